// The whole TPM half of attestation on a re-enacted real boot, with Vigil's
// own pieces on both sides (issue #4 §5): a swtpm replays a recorded boot
// log; the device layer creates the EK and an AK and quotes every PCR of every
// bank over a fresh nonce; the pure verifier checks the quote and yields
// VerifiedPcrs; the event-log engine replays the log against exactly those
// values and derives the claims. Then the same evidence, tampered, fails at
// the step that must catch it.
#include <memory>
#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "eventlog/claims.h"
#include "eventlog/parser.h"
#include "eventlog/replay.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/swtpm/boot_reenactment.h"
#include "tests/swtpm/swtpm_instance.h"
#include "tpm/device/attestation_key.h"
#include "tpm/device/ek.h"
#include "tpm/device/esys_context.h"
#include "tpm/verify/quote_verifier.h"
#include "tpm/wire/public_area.h"

namespace vigil::testing {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

struct Case {
  std::string log;
  tpm::AkAlg ak;
  bool secure_boot;
};

class AttestationPipeline : public ::testing::TestWithParam<Case> {};

TEST_P(AttestationPipeline, QuoteVerifiesAndTheLogReplaysToTheVerifiedPcrs) {
  const Case& c = GetParam();
  std::vector<uint8_t> bytes =
      ReadFileBytes(SourcePath("eventlog/testdata/corpus/" + c.log));
  ASSERT_FALSE(bytes.empty());
  ASSERT_OK_AND_ASSIGN(eventlog::EventLog log, eventlog::Parse(bytes));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SwtpmInstance> swtpm, StartSwtpmWithBootLog(log));

  // Device side (the agent).
  ASSERT_OK_AND_ASSIGN(tpm::EsysContext ctx, tpm::EsysContext::Open(swtpm->tcti_config()));
  ASSERT_OK_AND_ASSIGN(tpm::EndorsementKey ek, tpm::CreateEk(ctx, tpm::EkKind::kRsa2048));
  tpm::AkOptions ak_options;
  ak_options.alg = c.ak;
  ASSERT_OK_AND_ASSIGN(tpm::AttestationKey ak, tpm::CreateAk(ctx, ek, ak_options));
  const std::vector<uint8_t> nonce = {0x6e, 0x6f, 0x6e, 0x63, 0x65, 0x2d, 0x31};
  ASSERT_OK_AND_ASSIGN(tpm::QuoteResult quote, tpm::Quote(ctx, ak, nonce, {}));

  // Verifier side: nothing from the device is trusted until verified.
  ASSERT_OK_AND_ASSIGN(tpm::PublicArea ak_public, tpm::ParseTpm2bPublic(ak.public_area));
  ASSERT_OK_AND_ASSIGN(tpm::VerifiedPcrs verified,
                       tpm::VerifyQuote(ak_public, quote.attest, quote.signature, nonce,
                                        quote.pcrs));
  ASSERT_OK_AND_ASSIGN(eventlog::ReplayedLog replayed,
                       eventlog::Replay(log, verified.banks()));
  EXPECT_TRUE(replayed.mismatches().empty()) << c.log;
  EXPECT_TRUE(replayed.quirks().empty());
  for (uint32_t pcr = 0; pcr < tpm::kNumPcrs; ++pcr) {
    EXPECT_TRUE(replayed.PcrVerified(pcr)) << "pcr " << pcr;
  }
  eventlog::DerivedClaims claims = eventlog::DeriveClaims(replayed);
  const eventlog::ClaimValue* sb = claims.Find("secureBootEnabled");
  ASSERT_NE(sb, nullptr) << c.log;
  EXPECT_EQ(std::get<bool>(*sb), c.secure_boot);

  // The same quote with another nonce (a replay) is refused by the verifier.
  const std::vector<uint8_t> other_nonce = {1, 2, 3};
  EXPECT_THAT(tpm::VerifyQuote(ak_public, quote.attest, quote.signature, other_nonce,
                               quote.pcrs),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("nonce")));
  // Quoted values that were altered after signing are refused too.
  std::vector<tpm::PcrBank> altered = quote.pcrs;
  altered[0].values[7][0] ^= 1;
  EXPECT_THAT(tpm::VerifyQuote(ak_public, quote.attest, quote.signature, nonce, altered),
              StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
}

INSTANTIATE_TEST_SUITE_P(
    RealBoots, AttestationPipeline,
    ::testing::Values(
        Case{"google-go-tpm-tools/ubuntu-2404-amd-sevsnp.bin", tpm::AkAlg::kEccNistP256, false},
        Case{"immune-gmbh-guard-oss/derived/x1carbon.eventlog.bin", tpm::AkAlg::kRsa2048, true},
        Case{"immune-gmbh-guard-oss/derived/good-1.evidence.eventlog.bin",
             tpm::AkAlg::kEccNistP256, true}),
    [](const ::testing::TestParamInfo<Case>& param) {
      return std::string(param.index == 0   ? "UbuntuSevSnp"
                         : param.index == 1 ? "WindowsX1Carbon"
                                            : "GentooX1Carbon");
    });

}  // namespace
}  // namespace vigil::testing
