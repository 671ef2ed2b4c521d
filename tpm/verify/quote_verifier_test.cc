// QuoteVerifier on real swtpm quotes (tpm/verify/testdata, see README.md) and
// on hostile variants: each rejection must give its precise reason.
#include "tpm/verify/quote_verifier.h"

#include <atomic>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tpm/verify/internal/signature_check.h"
#include "tpm/verify/testing/fixtures.h"
#include "tpm/verify/testing/software_ak.h"

namespace vigil::tpm {
namespace {

using ::testing::ElementsAre;
using testing::Fixture;
using testing::FixtureNonce;
using testing::FixturePcrs;
using ::testing::HasSubstr;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;
using Bytes = std::vector<uint8_t>;

static_assert(!std::is_default_constructible_v<VerifiedPcrs>,
              "only QuoteVerifier may construct VerifiedPcrs");

QuoteVerifier VerifierFor(const std::string& ak) {
  absl::StatusOr<PublicArea> area = ParseTpm2bPublic(Fixture(ak + ".pub"));
  EXPECT_THAT(area, IsOk());
  absl::StatusOr<QuoteVerifier> v = QuoteVerifier::Create(*area);
  EXPECT_THAT(v, IsOk());
  return *std::move(v);
}

absl::StatusOr<VerifiedPcrs> VerifyFixture(const QuoteVerifier& v,
                                           const std::string& quote,
                                           const std::vector<PcrBank>& pcrs) {
  return v.Verify(Fixture(quote + ".attest"), Fixture(quote + ".sig"),
                  FixtureNonce(quote), pcrs);
}

TEST(QuoteVerifier, RsaQuoteOverThreeBanksVerifies) {
  const QuoteVerifier v = VerifierFor("ak_rsa");
  ASSERT_OK_AND_ASSIGN(VerifiedPcrs pcrs,
                       VerifyFixture(v, "quote_rsa", FixturePcrs()));
  ASSERT_EQ(pcrs.banks().size(), 3u);
  EXPECT_EQ(pcrs.banks()[0].alg, HashAlg::kSha1);
  EXPECT_EQ(pcrs.banks()[1].alg, HashAlg::kSha256);
  EXPECT_EQ(pcrs.banks()[2].alg, HashAlg::kSha384);
  ASSERT_NE(pcrs.bank(HashAlg::kSha256), nullptr);
  EXPECT_EQ(pcrs.bank(HashAlg::kSha256)->values.size(), 10u);
  EXPECT_EQ(pcrs.bank(HashAlg::kSha512), nullptr);
  EXPECT_EQ(pcrs.digest_alg(), HashAlg::kSha256);
  EXPECT_EQ(pcrs.ak_name(), Fixture("ak_rsa.name"));
  EXPECT_EQ(pcrs.nonce(), FixtureNonce("quote_rsa"));
  EXPECT_TRUE(pcrs.clock_info().safe);
  EXPECT_GT(pcrs.clock_info().clock, 0u);
  EXPECT_NE(pcrs.firmware_version(), 0u);
}

TEST(QuoteVerifier, EccQuoteVerifies) {
  ASSERT_OK_AND_ASSIGN(
      VerifiedPcrs pcrs,
      VerifyFixture(VerifierFor("ak_ecc"), "quote_ecc", FixturePcrs()));
  EXPECT_EQ(pcrs.banks().size(), 3u);
  // Moved out whole; the clock and the rest stay.
  const std::vector<PcrBank> copy = pcrs.banks();
  const uint64_t clock = pcrs.clock_info().clock;
  const std::vector<PcrBank> released = std::move(pcrs).ReleaseBanks();
  ASSERT_EQ(released.size(), copy.size());
  for (size_t i = 0; i < copy.size(); ++i) {
    EXPECT_EQ(released[i].alg, copy[i].alg);
    EXPECT_EQ(released[i].values, copy[i].values);
  }
  EXPECT_EQ(pcrs.clock_info().clock, clock);  // NOLINT(bugprone-use-after-move)
}

TEST(QuoteVerifier, RsaPssQuoteVerifiesAndDropsUnquotedValues) {
  ASSERT_OK_AND_ASSIGN(
      VerifiedPcrs pcrs,
      VerifyFixture(VerifierFor("ak_rsapss"), "quote_rsapss", FixturePcrs()));
  ASSERT_EQ(pcrs.banks().size(), 1u);
  std::vector<uint32_t> idx;
  for (const auto& [pcr, value] : pcrs.banks()[0].values) idx.push_back(pcr);
  EXPECT_THAT(idx, ElementsAre(0, 1, 2, 3, 4, 5, 6, 7));
}

// The verify contexts a QuoteVerifier keeps (SignatureContexts) serve
// concurrent checks, and a kept context never lets a bad signature through:
// the same verifier, shared by threads, accepts the good quote and refuses a
// flipped signature every time, for two schemes of one key type each.
TEST(QuoteVerifier, KeptContextsServeConcurrentChecksAndStillRefuse) {
  for (const char* name : {"ecc", "rsa"}) {
    SCOPED_TRACE(name);
    const QuoteVerifier v = VerifierFor(std::string("ak_") + name);
    const std::string quote = std::string("quote_") + name;
    Bytes bad_sig = Fixture(quote + ".sig");
    bad_sig[bad_sig.size() - 3] ^= 0x01;
    std::atomic<int> good{0}, refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 25; ++i) {
          if (VerifyFixture(v, quote, FixturePcrs()).ok()) ++good;
          if (!v.Verify(Fixture(quote + ".attest"), bad_sig,
                        FixtureNonce(quote), FixturePcrs())
                   .ok()) {
            ++refused;
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(good.load(), 100);
    EXPECT_EQ(refused.load(), 100);
  }
}

TEST(QuoteVerifier, OneShotFunctionVerifies) {
  ASSERT_OK_AND_ASSIGN(PublicArea ak, ParseTpm2bPublic(Fixture("ak_ecc.pub")));
  EXPECT_THAT(
      VerifyQuote(ak, Fixture("quote_ecc.attest"), Fixture("quote_ecc.sig"),
                  FixtureNonce("quote_ecc"), FixturePcrs()),
      IsOk());
}

TEST(QuoteVerifier, WrongNonceIsUnauthenticated) {
  const QuoteVerifier v = VerifierFor("ak_rsa");
  Bytes nonce = FixtureNonce("quote_rsa");
  nonce[0] ^= 1;
  EXPECT_THAT(v.Verify(Fixture("quote_rsa.attest"), Fixture("quote_rsa.sig"),
                       nonce, FixturePcrs()),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("does not match the expected nonce")));
}

TEST(QuoteVerifier, AlteredPcrValueIsUnauthenticated) {
  std::vector<PcrBank> pcrs = FixturePcrs();
  pcrs[1].values[7][0] ^= 0x80;  // sha256 PCR 7
  EXPECT_THAT(
      VerifyFixture(VerifierFor("ak_ecc"), "quote_ecc", pcrs),
      StatusIs(absl::StatusCode::kUnauthenticated,
               HasSubstr("a supplied PCR value differs from the quoted one")));
}

TEST(QuoteVerifier, MissingSelectedPcrIsNamed) {
  std::vector<PcrBank> pcrs = FixturePcrs();
  pcrs[2].values.erase(7);  // sha384 PCR 7
  EXPECT_THAT(
      VerifyFixture(VerifierFor("ak_rsa"), "quote_rsa", pcrs),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr("pcr sha384[7] is selected by the quote but no value")));
}

TEST(QuoteVerifier, InvalidOrDuplicateSuppliedBankIsRejected) {
  std::vector<PcrBank> pcrs = FixturePcrs();
  pcrs.push_back(pcrs[0]);
  EXPECT_THAT(VerifyFixture(VerifierFor("ak_rsa"), "quote_rsa", pcrs),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sha1 appears twice")));
  pcrs = FixturePcrs();
  pcrs[1].values[3].pop_back();
  EXPECT_THAT(VerifyFixture(VerifierFor("ak_rsa"), "quote_rsa", pcrs),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("supplied pcr bank sha256")));
}

TEST(QuoteVerifier, QuoteSignedByAnotherAkIsUnauthenticated) {
  // quote_rsa2 is a genuine quote by ak_rsa2, checked against ak_rsa.
  const QuoteVerifier v = VerifierFor("ak_rsa");
  EXPECT_THAT(
      VerifyFixture(v, "quote_rsa2", FixturePcrs()),
      StatusIs(
          absl::StatusCode::kUnauthenticated,
          HasSubstr(
              "quote signature: RSASSA/sha256 signature does not verify")));
}

TEST(QuoteVerifier, EcdsaSignatureForRsaAkIsUnauthenticated) {
  const QuoteVerifier v = VerifierFor("ak_rsa");
  EXPECT_THAT(v.Verify(Fixture("quote_rsa.attest"), Fixture("quote_ecc.sig"),
                       FixtureNonce("quote_rsa"), FixturePcrs()),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("does not fit the AK's key type")));
}

TEST(QuoteVerifier, RsapssSignatureForRsassaAkIsUnauthenticated) {
  const QuoteVerifier v = VerifierFor("ak_rsa");
  EXPECT_THAT(
      v.Verify(Fixture("quote_rsapss.attest"), Fixture("quote_rsapss.sig"),
               FixtureNonce("quote_rsapss"), FixturePcrs()),
      StatusIs(absl::StatusCode::kUnauthenticated,
               HasSubstr("differs from the AK's fixed scheme")));
}

TEST(QuoteVerifier, TamperedAttestIsUnauthenticated) {
  Bytes attest = Fixture("quote_rsa.attest");
  attest[66] ^= 1;  // clockInfo.clock (magic 4, type 2, signer 36, nonce 22)
  EXPECT_THAT(
      VerifierFor("ak_rsa").Verify(attest, Fixture("quote_rsa.sig"),
                                   FixtureNonce("quote_rsa"), FixturePcrs()),
      StatusIs(absl::StatusCode::kUnauthenticated,
               HasSubstr("does not verify")));
}

TEST(QuoteVerifier, TruncatedOrOversizedStructuresAreInvalidArgument) {
  const QuoteVerifier v = VerifierFor("ak_rsa");
  const Bytes attest = Fixture("quote_rsa.attest");
  const Bytes sig = Fixture("quote_rsa.sig");
  EXPECT_THAT(v.Verify(Bytes(attest.begin(), attest.end() - 1), sig,
                       FixtureNonce("quote_rsa"), FixturePcrs()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("TPMS_ATTEST.attested at offset")));
  Bytes longer = attest;
  longer.push_back(0);
  EXPECT_THAT(
      v.Verify(longer, sig, FixtureNonce("quote_rsa"), FixturePcrs()),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
  EXPECT_THAT(v.Verify(Bytes(8192, 0xff), sig, FixtureNonce("quote_rsa"),
                       FixturePcrs()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("exceeds the maximum")));
  EXPECT_THAT(
      v.Verify(attest, Bytes(sig.begin(), sig.begin() + 100),
               FixtureNonce("quote_rsa"), FixturePcrs()),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("TPMT_SIGNATURE.signature at offset 2: truncated")));
}

TEST(QuoteVerifier, UnrestrictedKeyIsRefusedAsAk) {
  ASSERT_OK_AND_ASSIGN(PublicArea key,
                       ParseTpm2bPublic(Fixture("key_unrestricted.pub")));
  EXPECT_THAT(QuoteVerifier::Create(key),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("AK rejected: restricted is clear")));
}

TEST(QuoteVerifier, UnrestrictedKeyQuoteIsRefusedThoughItsSignatureIsValid) {
  // The TPM did sign quote_unrestricted with key_unrestricted: the signature
  // is genuine, yet such a key could equally sign a forged TPMS_ATTEST.
  ASSERT_OK_AND_ASSIGN(PublicArea key,
                       ParseTpm2bPublic(Fixture("key_unrestricted.pub")));
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr pkey, PublicKeyFromArea(key));
  ASSERT_OK_AND_ASSIGN(Signature sig,
                       ParseSignature(Fixture("quote_unrestricted.sig")));
  EXPECT_OK(verify_internal::CheckSignature(
      pkey.get(), sig, Fixture("quote_unrestricted.attest")));
  EXPECT_THAT(VerifyQuote(key, Fixture("quote_unrestricted.attest"),
                          Fixture("quote_unrestricted.sig"),
                          FixtureNonce("quote_unrestricted"), FixturePcrs()),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("restricted is clear")));
}

// Signed by a software key, so only the targeted field is wrong.
class SoftwareQuote : public ::testing::Test {
 protected:
  SoftwareQuote() : verifier_(*QuoteVerifier::Create(ak_.public_area())) {
    for (uint32_t p : {0u, 7u})
      bank_.values[p] = Digest(32, static_cast<uint8_t>(p + 1));
    Bytes concat;
    for (const auto& [p, v] : bank_.values)
      concat.insert(concat.end(), v.begin(), v.end());
    digest_ = *Hash(HashAlg::kSha256, concat);
  }
  absl::StatusOr<VerifiedPcrs> Verify(const Bytes& attest) {
    return verifier_.Verify(attest, ak_.Sign(attest), nonce_, {bank_});
  }
  testing::SoftwareAk ak_;
  QuoteVerifier verifier_;
  PcrBank bank_{HashAlg::kSha256, {}};
  Bytes nonce_ = Bytes(32, 0xab);
  Bytes digest_;
};

TEST_F(SoftwareQuote, WellFormedQuoteVerifiesWithClockInfo) {
  ASSERT_OK_AND_ASSIGN(
      VerifiedPcrs pcrs,
      Verify(testing::BuildQuoteAttest(kTpmGeneratedValue, kTpmStAttestQuote,
                                       nonce_, {0, 7}, digest_)));
  EXPECT_EQ(pcrs.clock_info().clock, 123456u);
  EXPECT_EQ(pcrs.clock_info().reset_count, 7u);
  EXPECT_EQ(pcrs.clock_info().restart_count, 3u);
  EXPECT_EQ(pcrs.firmware_version(), 0x0002000100000000ull);
}

TEST_F(SoftwareQuote, WrongMagicIsNotTpmGenerated) {
  EXPECT_THAT(
      Verify(testing::BuildQuoteAttest(0xff544348, kTpmStAttestQuote, nonce_,
                                       {0, 7}, digest_)),
      StatusIs(absl::StatusCode::kUnauthenticated,
               HasSubstr("magic 0xff544348 is not TPM_GENERATED_VALUE")));
}

TEST_F(SoftwareQuote, WrongTypeIsRejected) {
  EXPECT_THAT(
      Verify(testing::BuildQuoteAttest(kTpmGeneratedValue, 0x8019, nonce_, {},
                                       {})),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr("attestation type 0x8019 is not TPM_ST_ATTEST_QUOTE")));
}

TEST_F(SoftwareQuote, EmptySelectionIsRejected) {
  Bytes attest = testing::BuildQuoteAttest(
      kTpmGeneratedValue, kTpmStAttestQuote, nonce_, {}, digest_);
  EXPECT_THAT(Verify(attest), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("selects no PCRs")));
}

TEST_F(SoftwareQuote, ShortPcrDigestIsUnauthenticated) {
  Bytes short_digest(digest_.begin(), digest_.begin() + 20);
  EXPECT_THAT(
      Verify(testing::BuildQuoteAttest(kTpmGeneratedValue, kTpmStAttestQuote,
                                       nonce_, {0, 7}, short_digest)),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("pcrDigest")));
}

TEST_F(SoftwareQuote, UnknownBankInSelectionIsRejected) {
  EXPECT_THAT(
      Verify(testing::BuildQuoteAttest(kTpmGeneratedValue, kTpmStAttestQuote,
                                       nonce_, {0}, digest_, 0x0010)),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr(
              "pcrSelect[0].hash: 0x0010 is not a PCR bank hash algorithm")));
}

}  // namespace
}  // namespace vigil::tpm
