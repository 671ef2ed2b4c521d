// tpm/device against real swtpm instances, cross-checked with tpm2-tools and
// openssl (independent implementations).
#include <signal.h>

#include <atomic>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/encoding.h"
#include "common/status_macros.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/swtpm/subprocess.h"
#include "tests/swtpm/swtpm_instance.h"
#include "tests/swtpm/tpm2_tools_files.h"
#include "tpm/device/attestation_key.h"
#include "tpm/device/credential.h"
#include "tpm/device/ek.h"
#include "tpm/device/esys_context.h"
#include "tpm/device/pcrs.h"
#include "tpm/device/tpm_info.h"
#include "tpm/device/tss_status.h"

namespace vigil::testing {
namespace {

using ::testing::HasSubstr;
using tpm::AkAlg;
using tpm::EkKind;

std::vector<uint8_t> Nonce(uint8_t seed) {
  std::vector<uint8_t> n(32);
  for (size_t i = 0; i < n.size(); ++i) n[i] = static_cast<uint8_t>(seed + i * 7);
  return n;
}

absl::StatusOr<CommandResult> RunTool(const std::vector<std::string>& argv) {
  return RunCommand(argv, absl::Seconds(60));
}

class DeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // As vigil-agent (agent/main.cc): a swtpm killed between tcti-swtpm's
    // connect and its write() is EPIPE, not a SIGPIPE that ends the test
    // binary (it did once in CI, in SwtpmKilledDuringQuoteLoop...).
    signal(SIGPIPE, SIG_IGN);
    ASSERT_OK_AND_ASSIGN(swtpm_, SwtpmInstance::Start());
    ASSERT_OK_AND_ASSIGN(tpm::EsysContext ctx, tpm::EsysContext::Open(swtpm_->tcti_config()));
    ctx_ = std::make_unique<tpm::EsysContext>(std::move(ctx));
    ASSERT_OK_AND_ASSIGN(TempDir d, TempDir::Create("vigil-device-test"));
    tmp_ = std::make_unique<TempDir>(std::move(d));
  }
  void TearDown() override { ctx_.reset(); }

  std::unique_ptr<SwtpmInstance> swtpm_;
  std::unique_ptr<tpm::EsysContext> ctx_;
  std::unique_ptr<TempDir> tmp_;
};

TEST_F(DeviceTest, TpmInfoFlagsSwtpmAsSoftware) {
  ASSERT_OK_AND_ASSIGN(tpm::TpmInfo info, tpm::ReadTpmInfo(*ctx_));
  EXPECT_EQ(info.manufacturer, "IBM");
  EXPECT_TRUE(info.is_software);
  EXPECT_THAT(info.software_reason, HasSubstr("swtpm"));
  EXPECT_EQ(info.family, "2.0");
  EXPECT_THAT(info.pcr_banks, ::testing::ElementsAre(tpm::HashAlg::kSha1, tpm::HashAlg::kSha256));
  ASSERT_OK_AND_ASSIGN(tpm::TpmTime clock, tpm::ReadClock(*ctx_));
  EXPECT_TRUE(clock.safe);
}

TEST_F(DeviceTest, EkCertificateReadEqualsSwtpmSetupFilesAndChainsToRunCa) {
  for (EkKind kind : {EkKind::kRsa2048, EkKind::kEccNistP384}) {
    SCOPED_TRACE(tpm::EkKindName(kind));
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> cert, tpm::ReadEkCertificate(*ctx_, kind));
    std::vector<uint8_t> file = ReadFileBytes(swtpm_->ek_cert_path(kind));
    ASSERT_FALSE(file.empty());
    EXPECT_EQ(cert, file);
    const std::string der = tmp_->Join("ek.der"), pem = tmp_->Join("ek.pem");
    ASSERT_OK(WriteFile(der, std::string(cert.begin(), cert.end())));
    ASSERT_OK_AND_ASSIGN(CommandResult conv,
                         RunTool({"openssl", "x509", "-inform", "DER", "-in", der, "-out", pem}));
    ASSERT_EQ(conv.exit_code, 0) << conv.output;
    ASSERT_OK_AND_ASSIGN(CommandResult verify,
                         RunTool({"openssl", "verify", "-CAfile", swtpm_->ca_root_cert_path(),
                              "-untrusted", swtpm_->ca_intermediate_cert_path(), pem}));
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    EXPECT_THAT(verify.output, HasSubstr(": OK"));
  }
}

TEST_F(DeviceTest, MissingP256EkCertificateIsNotFound) {
  EXPECT_THAT(tpm::ReadEkCertificate(*ctx_, EkKind::kEccNistP256),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("0x01c0000a")));
}

TEST_F(DeviceTest, CreatedEkPublicKeyEqualsCertificateKey) {
  for (EkKind kind : {EkKind::kRsa2048, EkKind::kEccNistP384}) {
    SCOPED_TRACE(tpm::EkKindName(kind));
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> cert, tpm::ReadEkCertificate(*ctx_, kind));
    ASSERT_OK_AND_ASSIGN(tpm::EndorsementKey ek, tpm::CreateEk(*ctx_, kind));
    EXPECT_OK(tpm::CheckEkMatchesCertificate(ek.public_area, cert));
  }
  // The P-256 EK (template L-2) has no certificate on swtpm, but can be made.
  ASSERT_OK_AND_ASSIGN(tpm::EndorsementKey p256, tpm::CreateEk(*ctx_, EkKind::kEccNistP256));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> rsa_cert,
                       tpm::ReadEkCertificate(*ctx_, EkKind::kRsa2048));
  EXPECT_THAT(tpm::CheckEkMatchesCertificate(p256.public_area, rsa_cert),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("non-EC")));
}

TEST_F(DeviceTest, EkOfAnotherTpmDoesNotMatchCertificate) {
  ASSERT_OK_AND_ASSIGN(auto other, SwtpmInstance::Start(SwtpmOptions{.distinct_ek = true}));
  ASSERT_OK_AND_ASSIGN(tpm::EsysContext other_ctx, tpm::EsysContext::Open(other->tcti_config()));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> other_cert,
                       tpm::ReadEkCertificate(other_ctx, EkKind::kRsa2048));
  ASSERT_OK_AND_ASSIGN(tpm::EndorsementKey ek, tpm::CreateEk(*ctx_, EkKind::kRsa2048));
  EXPECT_THAT(tpm::CheckEkMatchesCertificate(ek.public_area, other_cert),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("modulus")));
}

TEST_F(DeviceTest, AkIsPersistedAndReloadedAcrossRestart) {
  std::vector<uint8_t> public_area, name;
  {
    ASSERT_OK_AND_ASSIGN(tpm::EndorsementKey ek, tpm::CreateEk(*ctx_, EkKind::kRsa2048));
    ASSERT_OK_AND_ASSIGN(tpm::AttestationKey ak,
                         tpm::CreateAk(*ctx_, ek, tpm::AkOptions{.alg = AkAlg::kEccNistP256}));
    EXPECT_EQ(ak.persistent_handle, tpm::kDefaultAkHandle);
    ASSERT_EQ(ak.name.size(), 34u);  // sha256 nameAlg + digest
    EXPECT_EQ(ak.name[0], 0x00);
    EXPECT_EQ(ak.name[1], 0x0b);
    public_area = ak.public_area;
    name = ak.name;
    EXPECT_THAT(tpm::CreateAk(*ctx_, ek, tpm::AkOptions{}),
                StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("0x81010002")));
  }
  ctx_.reset();
  ASSERT_OK(swtpm_->Restart());
  ASSERT_OK_AND_ASSIGN(tpm::EsysContext ctx, tpm::EsysContext::Open(swtpm_->tcti_config()));
  ASSERT_OK_AND_ASSIGN(tpm::AttestationKey reloaded, tpm::LoadAk(ctx, tpm::kDefaultAkHandle));
  EXPECT_EQ(reloaded.alg, AkAlg::kEccNistP256);
  EXPECT_EQ(reloaded.public_area, public_area);
  EXPECT_EQ(reloaded.name, name);

  // Replacing gives a new key at the same handle.
  ASSERT_OK_AND_ASSIGN(tpm::EndorsementKey ek, tpm::CreateEk(ctx, EkKind::kRsa2048));
  ASSERT_OK_AND_ASSIGN(tpm::AttestationKey replaced,
                       tpm::CreateAk(ctx, ek, tpm::AkOptions{.alg = AkAlg::kRsa2048,
                                                             .replace = true}));
  EXPECT_NE(replaced.name, name);
  EXPECT_EQ(replaced.alg, AkAlg::kRsa2048);
}

TEST_F(DeviceTest, LoadAkRejectsEmptyHandlesAndNonAttestationKeys) {
  EXPECT_THAT(tpm::LoadAk(*ctx_, 0x81010099), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  // The persistent RSA EK is a decryption key: quoting with it is impossible
  // and must not be attempted.
  EXPECT_THAT(tpm::LoadAk(*ctx_, 0x81010001),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("restricted signing")));
  EXPECT_THAT(tpm::LoadAk(*ctx_, 0x01c00002), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST_F(DeviceTest, PcrReadReturnsAll24PcrsOfEveryBankAndSeesExtends) {
  ASSERT_OK_AND_ASSIGN(tpm::PcrReadResult r, tpm::ReadPcrs(*ctx_));
  ASSERT_EQ(r.banks.size(), 2u);
  for (const tpm::PcrBank& b : r.banks) {
    EXPECT_EQ(b.values.size(), 24u);
    EXPECT_EQ(b.values.at(0), tpm::InitialPcrValue(b.alg, 0));
    EXPECT_EQ(b.values.at(17), tpm::InitialPcrValue(b.alg, 17));  // all 0xFF
  }
  tpm::Digest d1(20, 0xab), d256(32, 0xcd);
  std::vector<std::pair<tpm::HashAlg, tpm::Digest>> digests = {
      {tpm::HashAlg::kSha1, d1}, {tpm::HashAlg::kSha256, d256}};
  ASSERT_OK(tpm::ExtendPcr(*ctx_, 7, digests));
  ASSERT_OK_AND_ASSIGN(tpm::PcrReadResult after, tpm::ReadPcrs(*ctx_));
  EXPECT_NE(after.update_counter, r.update_counter);
  tpm::Digest want = tpm::InitialPcrValue(tpm::HashAlg::kSha256, 7);
  ASSERT_OK(tpm::Extend(tpm::HashAlg::kSha256, &want, d256));
  EXPECT_EQ(after.banks[1].values.at(7), want);
  EXPECT_THAT(tpm::ReadPcrs(*ctx_, {tpm::HashAlg::kSha384}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not allocated")));
  EXPECT_THAT(tpm::ReadPcrs(*ctx_, {}, {24}), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

class QuoteTest : public DeviceTest, public ::testing::WithParamInterface<AkAlg> {};

TEST_P(QuoteTest, OurQuoteVerifiesWithTpm2Checkquote) {
  ASSERT_OK_AND_ASSIGN(tpm::EndorsementKey ek, tpm::CreateEk(*ctx_, EkKind::kRsa2048));
  ASSERT_OK_AND_ASSIGN(tpm::AttestationKey ak,
                       tpm::CreateAk(*ctx_, ek, tpm::AkOptions{.alg = GetParam()}));
  ek = tpm::EndorsementKey();  // free the slot
  ASSERT_OK(tpm::ExtendPcr(*ctx_, 7, {{{tpm::HashAlg::kSha256, tpm::Digest(32, 7)}}}));
  const std::vector<uint8_t> nonce = Nonce(1);
  ASSERT_OK_AND_ASSIGN(tpm::QuoteResult q, tpm::Quote(*ctx_, ak, nonce, tpm::QuoteOptions{}));
  ASSERT_EQ(q.pcrs.size(), 2u);
  EXPECT_EQ(q.pcrs[1].values.size(), 24u);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> argv,
                       WriteCheckquoteInputs(tmp_->path(), ak.public_area, q, nonce));
  ASSERT_OK_AND_ASSIGN(CommandResult ok, RunTool(argv));
  EXPECT_EQ(ok.exit_code, 0) << absl::StrJoin(argv, " ") << "\n" << ok.output;

  // The same files with another nonce, or one altered PCR value, fail.
  std::vector<std::string> wrong_nonce = argv;
  wrong_nonce.back() = HexEncode(Nonce(2));
  ASSERT_OK_AND_ASSIGN(CommandResult bad_nonce, RunTool(wrong_nonce));
  EXPECT_NE(bad_nonce.exit_code, 0);
  tpm::QuoteResult altered = q;
  altered.pcrs[1].values[7][0] ^= 1;
  ASSERT_OK(WriteFile(tmp_->Join("quote.pcrs"), Tpm2ToolsSerializedPcrs(altered.pcrs)));
  ASSERT_OK_AND_ASSIGN(CommandResult bad_pcr, RunTool(argv));
  EXPECT_NE(bad_pcr.exit_code, 0);
}

TEST_P(QuoteTest, QuoteOfASelectionCoversOnlyThatSelection) {
  ASSERT_OK_AND_ASSIGN(tpm::EndorsementKey ek, tpm::CreateEk(*ctx_, EkKind::kRsa2048));
  ASSERT_OK_AND_ASSIGN(tpm::AttestationKey ak,
                       tpm::CreateAk(*ctx_, ek, tpm::AkOptions{.alg = GetParam()}));
  const std::vector<uint8_t> nonce = Nonce(3);
  ASSERT_OK_AND_ASSIGN(
      tpm::QuoteResult q,
      tpm::Quote(*ctx_, ak, nonce,
                 tpm::QuoteOptions{.pcrs = {7, 0, 4}, .banks = {tpm::HashAlg::kSha256}}));
  ASSERT_EQ(q.pcrs.size(), 1u);
  EXPECT_EQ(q.pcrs[0].values.size(), 3u);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> argv,
                       WriteCheckquoteInputs(tmp_->path(), ak.public_area, q, nonce));
  ASSERT_OK_AND_ASSIGN(CommandResult ok, RunTool(argv));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_THAT(tpm::Quote(*ctx_, ak, std::vector<uint8_t>(65), tpm::QuoteOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nonce")));
}

// Rounds made with QuoteRoundAfter carry strictly later signed clocks, as
// the verifier requires of a device's rounds; a round whose clock cannot
// be later (the same quote again) is retried, then returned as it is.
TEST_P(QuoteTest, RoundsAfterTheLastHaveLaterClocks) {
  ASSERT_OK_AND_ASSIGN(tpm::EndorsementKey ek,
                       tpm::CreateEk(*ctx_, EkKind::kRsa2048));
  ASSERT_OK_AND_ASSIGN(
      tpm::AttestationKey ak,
      tpm::CreateAk(*ctx_, ek, tpm::AkOptions{.alg = GetParam()}));
  const std::vector<uint8_t> nonce = Nonce(4);
  const tpm::QuoteOptions one_bank{.pcrs = {0},
                                   .banks = {tpm::HashAlg::kSha256}};
  auto round = [&]() -> absl::StatusOr<std::vector<tpm::QuoteResult>> {
    ASSIGN_OR_RETURN(tpm::QuoteResult q,
                     tpm::Quote(*ctx_, ak, nonce, one_bank));
    return std::vector<tpm::QuoteResult>{std::move(q)};
  };
  std::optional<tpm::ClockInfo> last;
  for (int i = 0; i < 20; ++i) {
    tpm::ClockInfo clock;
    ASSERT_OK_AND_ASSIGN(std::vector<tpm::QuoteResult> quotes,
                         tpm::QuoteRoundAfter(last, round, &clock));
    ASSERT_EQ(quotes.size(), 1u);
    ASSERT_OK_AND_ASSIGN(tpm::ClockInfo signed_clock,
                         tpm::QuoteClock(quotes[0]));
    EXPECT_EQ(signed_clock.clock, clock.clock);
    if (last.has_value()) {
      EXPECT_EQ(clock.reset_count, last->reset_count);
      EXPECT_GT(clock.clock, last->clock) << "round " << i;
    }
    last = clock;
  }

  // A round that can never be later: tried max_tries times, then returned.
  ASSERT_OK_AND_ASSIGN(std::vector<tpm::QuoteResult> stale, round());
  ASSERT_OK_AND_ASSIGN(tpm::ClockInfo stale_clock, tpm::QuoteClock(stale[0]));
  int calls = 0;
  tpm::ClockInfo clock;
  ASSERT_OK_AND_ASSIGN(
      std::vector<tpm::QuoteResult> same,
      tpm::QuoteRoundAfter(
          stale_clock,
          [&]() -> absl::StatusOr<std::vector<tpm::QuoteResult>> {
            ++calls;
            return stale;
          },
          &clock, /*max_tries=*/3));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(same[0].attest, stale[0].attest);
  EXPECT_EQ(clock.clock, stale_clock.clock);
  // A stale round first, then a fresh one: the fresh one is returned.
  calls = 0;
  ASSERT_OK_AND_ASSIGN(
      std::vector<tpm::QuoteResult> fresh,
      tpm::QuoteRoundAfter(
          stale_clock,
          [&]() -> absl::StatusOr<std::vector<tpm::QuoteResult>> {
            if (++calls == 1) return stale;
            return round();
          },
          &clock));
  EXPECT_GE(calls, 2);
  EXPECT_GT(clock.clock, stale_clock.clock);
  EXPECT_NE(fresh[0].attest, stale[0].attest);
  // A quote that does not parse is an error, not a clock.
  tpm::QuoteResult broken = stale[0];
  broken.attest.resize(10);
  EXPECT_THAT(tpm::QuoteClock(broken),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST_P(QuoteTest, CredentialFromTpm2MakecredentialIsActivated) {
  ASSERT_OK_AND_ASSIGN(tpm::EndorsementKey ek, tpm::CreateEk(*ctx_, EkKind::kRsa2048));
  ASSERT_OK_AND_ASSIGN(tpm::AttestationKey ak,
                       tpm::CreateAk(*ctx_, ek, tpm::AkOptions{.alg = GetParam()}));
  const std::string secret = "vigil activation secret 32 bytes";
  ASSERT_OK(WriteFile(tmp_->Join("ek.pub"), std::string(ek.public_area.begin(), ek.public_area.end())));
  ASSERT_OK(WriteFile(tmp_->Join("secret"), secret));
  ASSERT_OK_AND_ASSIGN(
      CommandResult mk,
      RunTool({"tpm2_makecredential", "-T", "none", "-e", tmp_->Join("ek.pub"), "-s",
           tmp_->Join("secret"), "-n", HexEncode(ak.name), "-o", tmp_->Join("cred")}));
  ASSERT_EQ(mk.exit_code, 0) << mk.output;
  ASSERT_OK_AND_ASSIGN(tpm::CredentialBlob blob,
                       tpm::ParseTpm2ToolsCredential(ReadFileBytes(tmp_->Join("cred"))));
  EXPECT_EQ(tpm::EncodeTpm2ToolsCredential(blob), ReadFileBytes(tmp_->Join("cred")));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> got, tpm::ActivateCredential(*ctx_, ek, ak, blob));
  EXPECT_EQ(std::string(got.begin(), got.end()), secret);

  // A credential bound to another Name is refused by the TPM.
  std::vector<uint8_t> other_name = ak.name;
  other_name.back() ^= 1;
  ASSERT_OK_AND_ASSIGN(
      CommandResult mk2,
      RunTool({"tpm2_makecredential", "-T", "none", "-e", tmp_->Join("ek.pub"), "-s",
           tmp_->Join("secret"), "-n", HexEncode(other_name), "-o", tmp_->Join("cred2")}));
  ASSERT_EQ(mk2.exit_code, 0) << mk2.output;
  ASSERT_OK_AND_ASSIGN(tpm::CredentialBlob blob2,
                       tpm::ParseTpm2ToolsCredential(ReadFileBytes(tmp_->Join("cred2"))));
  EXPECT_THAT(tpm::ActivateCredential(*ctx_, ek, ak, blob2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("integrity")));
}

INSTANTIATE_TEST_SUITE_P(AkAlgs, QuoteTest,
                         ::testing::Values(AkAlg::kRsa2048, AkAlg::kEccNistP256),
                         [](const auto& param_info) {
                           return param_info.param == AkAlg::kRsa2048 ? "Rsa" : "Ecc";
                         });

TEST(CredentialFile, MalformedFilesAreRejectedWithAReason) {
  EXPECT_THAT(tpm::ParseTpm2ToolsCredential(std::vector<uint8_t>{1, 2}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header")));
  EXPECT_THAT(tpm::ParseTpm2ToolsCredential(std::vector<uint8_t>(8, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("magic")));
  std::vector<uint8_t> truncated = {0xBA, 0xDC, 0xC0, 0xDE, 0, 0, 0, 1, 0, 5, 1};
  EXPECT_THAT(tpm::ParseTpm2ToolsCredential(truncated),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("past the end")));
  std::vector<uint8_t> trailing = {0xBA, 0xDC, 0xC0, 0xDE, 0, 0, 0, 1, 0, 0, 0, 0, 9};
  EXPECT_THAT(tpm::ParseTpm2ToolsCredential(trailing),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
}

// swtpm killed in the middle of a quote loop: the loop ends with a retryable
// error within the deadline and nothing crashes (tcti-swtpm opens a new
// connection per command, so a dead swtpm is ECONNREFUSED, not a hang).
TEST_F(DeviceTest, SwtpmKilledDuringQuoteLoopGivesRetryableError) {
  std::atomic<int> quotes{0};
  absl::Status last;
  {
    ASSERT_OK_AND_ASSIGN(tpm::EndorsementKey ek, tpm::CreateEk(*ctx_, EkKind::kRsa2048));
    ASSERT_OK_AND_ASSIGN(tpm::AttestationKey ak,
                         tpm::CreateAk(*ctx_, ek, tpm::AkOptions{.alg = AkAlg::kRsa2048}));
    ek = tpm::EndorsementKey();
    std::thread killer([&] {
      while (quotes.load() < 20) absl::SleepFor(absl::Milliseconds(1));
      swtpm_->Kill();
    });
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      absl::StatusOr<tpm::QuoteResult> q = tpm::Quote(*ctx_, ak, Nonce(9), tpm::QuoteOptions{});
      if (!q.ok()) {
        last = q.status();
        break;
      }
      ++quotes;
    }
    killer.join();
  }  // handles go before their context (handles.h)
  EXPECT_GE(quotes.load(), 20);
  EXPECT_THAT(last, StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  ASSERT_TRUE(tpm::TssRcFromStatus(last).has_value());
  // The context is now spent (esys_context.h); reopening fails promptly and
  // retryably until the TPM is back, then works again.
  ctx_.reset();
  const absl::Time t0 = absl::Now();
  EXPECT_THAT(tpm::EsysContext::Open(swtpm_->tcti_config()),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
  ASSERT_OK(swtpm_->Restart());
  ASSERT_OK_AND_ASSIGN(tpm::EsysContext again, tpm::EsysContext::Open(swtpm_->tcti_config()));
  ASSERT_OK_AND_ASSIGN(tpm::AttestationKey reloaded, tpm::LoadAk(again, tpm::kDefaultAkHandle));
  EXPECT_OK(tpm::Quote(again, reloaded, Nonce(9), tpm::QuoteOptions{}));
}

}  // namespace
}  // namespace vigil::testing
