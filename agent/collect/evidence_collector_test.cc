// EvidenceCollector on a real swtpm re-enacting a recorded boot (Windows on a
// ThinkPad X1 Carbon): the evidence it collects verifies with the pure
// verifier (tpm::VerifyQuote) against the AK it presented and the nonce, and
// it answers a software MakeCredential challenge with the secret.
#include "agent/collect/evidence_collector.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "eventlog/parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/swtpm/boot_reenactment.h"
#include "tests/swtpm/swtpm_instance.h"
#include "tpm/types/hash_alg.h"
#include "tpm/verify/make_credential.h"
#include "tpm/verify/quote_verifier.h"
#include "tpm/wire/public_area.h"

namespace vigil::agent {
namespace {

using ::vigil::testing::StatusIs;

constexpr char kLog[] =
    "eventlog/testdata/corpus/immune-gmbh-guard-oss/derived/"
    "x1carbon.eventlog.bin";

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// Converts the protocol's banks back to tpm::PcrBank, as a verifier would.
std::vector<tpm::PcrBank> Banks(const v1::Quote& q) {
  std::vector<tpm::PcrBank> banks;
  for (const v1::PcrBank& b : q.pcrs()) {
    tpm::PcrBank bank;
    bank.alg = static_cast<tpm::HashAlg>(b.hash_alg());
    for (const v1::PcrValue& v : b.values()) {
      bank.values[v.index()] = Bytes(v.digest());
    }
    banks.push_back(std::move(bank));
  }
  return banks;
}

class EvidenceCollectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    log_bytes_ = new std::vector<uint8_t>(
        vigil::testing::ReadFileBytes(vigil::testing::SourcePath(kLog)));
  }
  void SetUp() override {
    ASSERT_FALSE(log_bytes_->empty());
    ASSERT_OK_AND_ASSIGN(eventlog::EventLog log, eventlog::Parse(*log_bytes_));
    ASSERT_OK_AND_ASSIGN(swtpm_, vigil::testing::StartSwtpmWithBootLog(log));
    source_ =
        std::make_unique<FileEventLogSource>(vigil::testing::SourcePath(kLog));
  }
  std::unique_ptr<EvidenceCollector> NewCollector(CollectorOptions options) {
    auto opener = [tcti = swtpm_->tcti_config()] {
      return tpm::EsysContext::Open(tcti);
    };
    absl::StatusOr<tpm::EsysContext> ctx = opener();
    EXPECT_OK(ctx);
    return std::make_unique<EvidenceCollector>(*std::move(ctx), opener,
                                               source_.get(), options);
  }

  static std::vector<uint8_t>* log_bytes_;
  std::unique_ptr<vigil::testing::SwtpmInstance> swtpm_;
  std::unique_ptr<FileEventLogSource> source_;
};
std::vector<uint8_t>* EvidenceCollectorTest::log_bytes_ = nullptr;

TEST_F(EvidenceCollectorTest, HelloCarriesTheEkCertificateAndAPersistentAk) {
  auto collector = NewCollector({});
  ASSERT_OK_AND_ASSIGN(v1::AgentHello hello, collector->Hello());
  EXPECT_EQ(hello.protocol_version(), 1u);
  ASSERT_EQ(hello.ek_certificates_size(), 1);  // swtpm holds no chain
  EXPECT_EQ(hello.ek_certificates(0), [&] {
    std::vector<uint8_t> der = vigil::testing::ReadFileBytes(
        swtpm_->ek_cert_path(tpm::EkKind::kRsa2048));
    return std::string(der.begin(), der.end());
  }());
  ASSERT_OK(tpm::ParseTpm2bPublic(Bytes(hello.ek_public())));
  ASSERT_OK(tpm::ParseTpm2bPublic(Bytes(hello.ak_public())));
  EXPECT_TRUE(hello.tpm_info().is_software());
  EXPECT_EQ(hello.tpm_info().manufacturer(), "IBM");

  // A second agent process finds the same AK at the handle (not a new one).
  auto again = NewCollector({});
  collector.reset();
  ASSERT_OK_AND_ASSIGN(v1::AgentHello hello2, again->Hello());
  EXPECT_EQ(hello2.ak_public(), hello.ak_public());
}

TEST_F(EvidenceCollectorTest, EvidenceQuotesVerifyAgainstTheAkAndNonce) {
  for (size_t per_quote : {size_t{0}, size_t{1}}) {
    SCOPED_TRACE(per_quote);
    CollectorOptions options;
    options.max_banks_per_quote = per_quote;
    options.ak_alg = tpm::AkAlg::kRsa2048;
    auto collector = NewCollector(options);
    ASSERT_OK_AND_ASSIGN(v1::AgentHello hello, collector->Hello());
    ASSERT_OK_AND_ASSIGN(tpm::PublicArea ak,
                         tpm::ParseTpm2bPublic(Bytes(hello.ak_public())));

    v1::AttestationRequest request;
    request.set_nonce("verifier-nonce-0123456789");
    request.set_pcr_mask(0x00ffffff);
    ASSERT_OK_AND_ASSIGN(v1::Evidence evidence, collector->Collect(request));
    EXPECT_EQ(evidence.nonce(), request.nonce());
    EXPECT_EQ(evidence.event_log(),
              std::string(log_bytes_->begin(), log_bytes_->end()));
    EXPECT_TRUE(evidence.tpm_info().is_software());
    // The x1carbon log has SHA-1 and SHA-256 banks, both allocated.
    ASSERT_EQ(evidence.quotes_size(), per_quote == 1 ? 2 : 1);
    std::set<uint32_t> algs;
    for (const v1::Quote& q : evidence.quotes()) {
      std::vector<tpm::PcrBank> banks = Banks(q);
      ASSERT_OK_AND_ASSIGN(
          tpm::VerifiedPcrs verified,
          tpm::VerifyQuote(ak, Bytes(q.attest()), Bytes(q.signature()),
                           Bytes(request.nonce()), banks));
      for (const tpm::PcrBank& b : verified.banks()) {
        algs.insert(static_cast<uint32_t>(b.alg));
        EXPECT_EQ(b.values.size(), 24u);
      }
      // The same quote under another nonce is a replay.
      EXPECT_THAT(tpm::VerifyQuote(ak, Bytes(q.attest()), Bytes(q.signature()),
                                   Bytes("other"), banks),
                  StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
    }
    EXPECT_EQ(algs, (std::set<uint32_t>{0x0004, 0x000B}));
    ASSERT_OK_AND_ASSIGN(uint32_t reset_count, collector->ResetCount());
    EXPECT_EQ(evidence.reset_count(), reset_count);
    ASSERT_OK(tpm::EvictPersistent(
        *tpm::EsysContext::Open(swtpm_->tcti_config()), tpm::kDefaultAkHandle));
  }
}

TEST_F(EvidenceCollectorTest, RequestedPcrsOnlyAndBadRequestsRefused) {
  auto collector = NewCollector({});
  v1::AttestationRequest request;
  request.set_nonce("n");
  request.set_pcr_mask(0x80 | 0x1);  // PCRs 0 and 7
  ASSERT_OK_AND_ASSIGN(v1::Evidence evidence, collector->Collect(request));
  for (const v1::Quote& q : evidence.quotes()) {
    for (const v1::PcrBank& b : q.pcrs()) {
      ASSERT_EQ(b.values_size(), 2);
      EXPECT_EQ(b.values(0).index(), 0u);
      EXPECT_EQ(b.values(1).index(), 7u);
    }
  }
  request.set_pcr_mask(1u << 24);
  EXPECT_THAT(collector->Collect(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("pcr_mask")));
  request.set_pcr_mask(1);
  request.set_nonce(std::string(65, 'n'));
  EXPECT_THAT(collector->Collect(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("nonce")));
}

// known_event_log_sha256: the log is named only when the verifier holds
// exactly this log; any other digest (a new boot, a log that grew) sends it.
TEST_F(EvidenceCollectorTest, NamesTheLogByDigestOnlyWhenTheVerifierHoldsIt) {
  auto collector = NewCollector({});
  const std::string log(log_bytes_->begin(), log_bytes_->end());
  ASSERT_OK_AND_ASSIGN(tpm::Digest sha,
                       tpm::Hash(tpm::HashAlg::kSha256, *log_bytes_));
  const std::string digest(sha.begin(), sha.end());
  v1::AttestationRequest request;
  request.set_nonce("n");
  request.set_pcr_mask(1);
  request.set_known_event_log_sha256(digest);
  ASSERT_OK_AND_ASSIGN(v1::Evidence held, collector->Collect(request));
  EXPECT_TRUE(held.event_log().empty());
  EXPECT_EQ(held.event_log_sha256(), digest);
  EXPECT_EQ(held.quotes_size(), 1);

  std::string other = digest;
  other[0] ^= 1;
  for (const std::string& known : {other, std::string(), digest.substr(1)}) {
    request.set_known_event_log_sha256(known);
    ASSERT_OK_AND_ASSIGN(v1::Evidence sent, collector->Collect(request));
    EXPECT_EQ(sent.event_log(), log);
    EXPECT_TRUE(sent.event_log_sha256().empty());
  }
}

TEST_F(EvidenceCollectorTest, AnswersASoftwareMakeCredentialChallenge) {
  auto collector = NewCollector({});
  ASSERT_OK_AND_ASSIGN(v1::AgentHello hello, collector->Hello());
  ASSERT_OK_AND_ASSIGN(tpm::PublicArea ek,
                       tpm::ParseTpm2bPublic(Bytes(hello.ek_public())));
  ASSERT_OK_AND_ASSIGN(tpm::PublicArea ak,
                       tpm::ParseTpm2bPublic(Bytes(hello.ak_public())));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> ak_name, tpm::ComputeName(ak));
  const std::vector<uint8_t> secret = Bytes("0123456789abcdef0123456789abcdef");
  tpm::OpenSslRandomSource rng;
  ASSERT_OK_AND_ASSIGN(tpm::CredentialBlob blob,
                       tpm::MakeCredential(ek, ak_name, secret, rng));
  v1::CredentialChallenge challenge;
  challenge.set_id_object(
      std::string(blob.id_object.begin(), blob.id_object.end()));
  challenge.set_encrypted_secret(
      std::string(blob.encrypted_secret.begin(), blob.encrypted_secret.end()));
  ASSERT_OK_AND_ASSIGN(v1::CredentialResponse answer,
                       collector->Activate(challenge));
  EXPECT_EQ(answer.secret(), std::string(secret.begin(), secret.end()));

  // A challenge for another AK Name is refused by the TPM.
  ak_name.back() ^= 1;
  ASSERT_OK_AND_ASSIGN(tpm::CredentialBlob other,
                       tpm::MakeCredential(ek, ak_name, secret, rng));
  challenge.set_id_object(
      std::string(other.id_object.begin(), other.id_object.end()));
  challenge.set_encrypted_secret(std::string(other.encrypted_secret.begin(),
                                             other.encrypted_secret.end()));
  EXPECT_THAT(collector->Activate(challenge),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST_F(EvidenceCollectorTest, ReopensTheTpmAfterItWentAwayAndSeesTheNewBoot) {
  auto collector = NewCollector({});
  ASSERT_OK(collector->Hello());
  ASSERT_OK_AND_ASSIGN(uint32_t before, collector->ResetCount());
  swtpm_->Kill();
  EXPECT_THAT(collector->ResetCount(),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  // A power cycle; this harness's TPM waits for TPM2_Startup, as firmware
  // would send it.
  ASSERT_OK(swtpm_->Restart());
  {
    ASSERT_OK_AND_ASSIGN(tpm::EsysContext ctx,
                         tpm::EsysContext::Open(swtpm_->tcti_config()));
    ASSERT_OK(ctx.StartupClear());
  }
  // The AK is persistent: after the power cycle it is found again.
  EXPECT_OK(collector->Hello());
  ASSERT_OK_AND_ASSIGN(uint32_t after, collector->ResetCount());
  EXPECT_NE(after, before);
}

}  // namespace
}  // namespace vigil::agent
