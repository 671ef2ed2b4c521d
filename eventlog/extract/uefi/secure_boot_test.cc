#include "eventlog/extract/uefi/secure_boot.h"

#include "common/testing/status_matchers.h"
#include "eventlog/event_types.h"
#include "eventlog/extract/uefi/test_util.h"
#include "eventlog/parser.h"
#include "eventlog/replay.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::eventlog {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::vigil::testing::StatusIs;
using namespace uefi_test;  // NOLINT: test builders

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr uint32_t kSep = EV_SEPARATOR;
constexpr uint32_t kVar = EV_EFI_VARIABLE_DRIVER_CONFIG;

Bytes SecureBootVar(uint8_t v) {
  return UefiVariable(EfiGlobalVariableGuid(), "SecureBoot", {v});
}
const Bytes kZero4 = {0, 0, 0, 0};

absl::StatusOr<ReplayedLog> ReplayInsecure(const LogBuilder& b) {
  absl::StatusOr<EventLog> log = Parse(b.bytes());
  if (!log.ok()) return log.status();
  return InsecureReplayWithoutQuote(*log);
}

// The PCR values the log's own digests produce, as a verified quote would
// give them (so Replay() marks every PCR verified).
absl::StatusOr<ReplayedLog> ReplayAgainstSelf(const LogBuilder& b) {
  absl::StatusOr<EventLog> log = Parse(b.bytes());
  if (!log.ok()) return log.status();
  absl::StatusOr<std::vector<BankReplay>> banks = ReplayDigests(*log);
  if (!banks.ok()) return banks.status();
  tpm::PcrBank bank;
  bank.alg = tpm::HashAlg::kSha256;
  for (uint32_t p = 0; p < 24; ++p) bank.values[p] = (*banks)[0].values[p];
  return Replay(*log, {bank});
}

struct Claim {
  std::optional<bool> value;
  std::string reason;
};
Claim SecureBootClaim(const ReplayedLog& log) {
  DerivedClaims c;
  DeriveUefiClaims(log, &c);
  Claim out;
  if (const ClaimValue* v = c.Find("secureBootEnabled")) {
    out.value = std::get<bool>(*v);
  }
  for (const auto& u : c.underivable) {
    if (u.name == "secureBootEnabled") out.reason = u.reason;
  }
  return out;
}

LogBuilder Pcr7(uint8_t secure_boot) {
  LogBuilder b;
  b.Add(7, kVar, SecureBootVar(secure_boot));
  b.Add(7, kVar, UefiVariable(EfiGlobalVariableGuid(), "PK",
                              SignatureList(EfiCertX509Guid(),
                                            {SelfSignedCertDer("Test PK")})));
  b.Add(7, kVar, UefiVariable(EfiImageSecurityDatabaseGuid(), "dbx",
                              SignatureList(EfiCertSha256Guid(),
                                            {Bytes(32, 1), Bytes(32, 2)})));
  b.Add(7, kSep, kZero4);
  return b;
}

TEST(SecureBoot, EnabledLogGivesTrueAndState) {
  LogBuilder b = Pcr7(1);
  Bytes auth = GuidBytes(EfiGlobalVariableGuid());
  Append(&auth, SelfSignedCertDer("Test DB"));
  b.Add(7, EV_EFI_VARIABLE_AUTHORITY,
        UefiVariable(EfiImageSecurityDatabaseGuid(), "db", auth));
  b.Add(7, EV_EFI_VARIABLE_AUTHORITY,
        UefiVariable(EfiGlobalVariableGuid(), "SbatLevel",
                     Ascii("sbat,1,2021030218\n")));
  ASSERT_OK_AND_ASSIGN(ReplayedLog log, ReplayAgainstSelf(b));
  EXPECT_EQ(SecureBootClaim(log).value, true);
  ASSERT_OK_AND_ASSIGN(SecureBootState sb, ExtractSecureBoot(log));
  EXPECT_EQ(sb.enabled, true);
  ASSERT_TRUE(sb.pk.has_value());
  EXPECT_EQ(sb.pk->at(0).signatures.at(0).x509->subject, "CN=Test PK");
  ASSERT_TRUE(sb.dbx.has_value());
  EXPECT_THAT(sb.dbx->at(0).signatures, SizeIs(2));
  EXPECT_FALSE(sb.db.has_value());
  ASSERT_THAT(sb.authorities, SizeIs(2));
  EXPECT_TRUE(sb.authorities[0].after_separator);
  EXPECT_EQ(sb.authorities[0].signature->x509->subject, "CN=Test DB");
  EXPECT_EQ(sb.sbat_level, "sbat,1,2021030218\n");
  EXPECT_EQ(sb.separator_index, 4u);
}

TEST(SecureBoot, DisabledAndAbsentGiveFalse) {
  ASSERT_OK_AND_ASSIGN(ReplayedLog off, ReplayAgainstSelf(Pcr7(0)));
  EXPECT_EQ(SecureBootClaim(off).value, false);
  LogBuilder none;
  none.Add(7, kSep, kZero4);
  ASSERT_OK_AND_ASSIGN(ReplayedLog absent, ReplayAgainstSelf(none));
  EXPECT_EQ(SecureBootClaim(absent).value, false);
  ASSERT_OK_AND_ASSIGN(SecureBootState sb, ExtractSecureBoot(absent));
  EXPECT_FALSE(sb.enabled.has_value());
}

TEST(SecureBoot, ValueOtherThanOneIsFalse) {
  LogBuilder b;
  b.Add(7, kVar, UefiVariable(EfiGlobalVariableGuid(), "SecureBoot", {1, 0}));
  b.Add(7, kSep, kZero4);
  ASSERT_OK_AND_ASSIGN(ReplayedLog log, ReplayAgainstSelf(b));
  EXPECT_EQ(SecureBootClaim(log).value, false);
}

// The relabel attack (go-attestation docs/event-log-disclosure.md): the
// genuine SecureBoot=0 event's type is changed to an unregistered value (its
// digest still replays) and a forged SecureBoot=1 event is appended after the
// separator (an OS attacker can extend PCR 7 after boot).
TEST(SecureBoot, RelabelAttackIsUnderivable) {
  LogBuilder b;
  b.Add(7, 0x0000ABCD, SecureBootVar(0));
  b.Add(7, kSep, kZero4);
  b.Add(7, kVar, SecureBootVar(1));
  ASSERT_OK_AND_ASSIGN(ReplayedLog log, ReplayAgainstSelf(b));
  Claim c = SecureBootClaim(log);
  EXPECT_FALSE(c.value.has_value());
  EXPECT_THAT(c.reason, HasSubstr("pcr 7: event 1: unknown event type"));
  EXPECT_THAT(ExtractSecureBoot(log),
              StatusIs(kInvalid, HasSubstr("event 1: 0x0000abcd is not trusted")));
}

TEST(SecureBoot, RelabelToRegisteredUncoveredTypeIsUnderivable) {
  LogBuilder b;
  b.Add(7, EV_POST_CODE, SecureBootVar(0));
  b.Add(7, kSep, kZero4);
  b.Add(7, kVar, SecureBootVar(1));
  ASSERT_OK_AND_ASSIGN(ReplayedLog log, ReplayAgainstSelf(b));
  Claim c = SecureBootClaim(log);
  EXPECT_FALSE(c.value.has_value());
  EXPECT_THAT(c.reason, HasSubstr("event 1: unexpected EV_POST_CODE in pcr 7"));
}

TEST(SecureBoot, RelabelToAuthorityIsUnderivable) {
  LogBuilder b;
  b.Add(7, EV_EFI_VARIABLE_AUTHORITY, SecureBootVar(0));
  b.Add(7, kSep, kZero4);
  ASSERT_OK_AND_ASSIGN(ReplayedLog log, ReplayAgainstSelf(b));
  Claim c = SecureBootClaim(log);
  EXPECT_FALSE(c.value.has_value());
  EXPECT_THAT(c.reason, HasSubstr("relabeled type"));
}

TEST(SecureBoot, PostSeparatorSecureBootIsUnderivable) {
  LogBuilder b;
  b.Add(7, kSep, kZero4);
  b.Add(7, kVar, SecureBootVar(1));
  ASSERT_OK_AND_ASSIGN(ReplayedLog log, ReplayAgainstSelf(b));
  Claim c = SecureBootClaim(log);
  EXPECT_FALSE(c.value.has_value());
  EXPECT_THAT(c.reason, HasSubstr("event 2: variable SecureBoot measured after "
                                  "the EV_SEPARATOR (event 1)"));
}

TEST(SecureBoot, DuplicateSecureBootIsUnderivable) {
  LogBuilder b;
  b.Add(7, kVar, SecureBootVar(1));
  b.Add(7, kVar, SecureBootVar(1));
  b.Add(7, kSep, kZero4);
  ASSERT_OK_AND_ASSIGN(ReplayedLog log, ReplayAgainstSelf(b));
  Claim c = SecureBootClaim(log);
  EXPECT_FALSE(c.value.has_value());
  EXPECT_THAT(c.reason, HasSubstr("SecureBoot measured twice"));
}

TEST(SecureBoot, ForgedDataIsUnderivable) {
  LogBuilder b;
  // Data says 1, digest is of the genuine 0.
  b.Add(7, kVar, SecureBootVar(1), SecureBootVar(0));
  b.Add(7, kSep, kZero4);
  ASSERT_OK_AND_ASSIGN(ReplayedLog log, ReplayAgainstSelf(b));
  Claim c = SecureBootClaim(log);
  EXPECT_FALSE(c.value.has_value());
  EXPECT_THAT(c.reason, HasSubstr("does not match its digest"));
}

TEST(SecureBoot, UnverifiedPcr7IsUnderivable) {
  absl::StatusOr<EventLog> log = Parse(Pcr7(1).bytes());
  ASSERT_OK(log);
  tpm::PcrBank bank;
  bank.alg = tpm::HashAlg::kSha256;
  bank.values[7] = tpm::Digest(32, 0x42);
  ASSERT_OK_AND_ASSIGN(ReplayedLog replayed, Replay(*log, {bank}));
  Claim c = SecureBootClaim(replayed);
  EXPECT_FALSE(c.value.has_value());
  EXPECT_THAT(c.reason, HasSubstr("pcr 7: not verified"));
  EXPECT_THAT(ExtractSecureBoot(replayed),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("pcr 7")));
}

TEST(SecureBoot, SecondSeparatorAndErrorSeparatorAreRuleBreaks) {
  LogBuilder two = Pcr7(1);
  two.Add(7, kSep, kZero4);
  ASSERT_OK_AND_ASSIGN(ReplayedLog a, ReplayAgainstSelf(two));
  EXPECT_THAT(SecureBootClaim(a).reason, HasSubstr("second EV_SEPARATOR"));
  LogBuilder err;
  err.Add(7, kVar, SecureBootVar(1));
  err.Add(7, kSep, Bytes{0xFF, 0xFF, 0xFF, 0xFF});
  ASSERT_OK_AND_ASSIGN(ReplayedLog b, ReplayAgainstSelf(err));
  EXPECT_THAT(SecureBootClaim(b).reason, HasSubstr("firmware error"));
}

TEST(SecureBoot, VariablesWithoutSeparatorAreUnderivable) {
  LogBuilder b;
  b.Add(7, kVar, SecureBootVar(1));
  ASSERT_OK_AND_ASSIGN(ReplayedLog log, ReplayAgainstSelf(b));
  EXPECT_THAT(SecureBootClaim(log).reason, HasSubstr("no EV_SEPARATOR"));
}

TEST(SecureBoot, SecureBootOutsidePcr7IsUnderivable) {
  LogBuilder b;
  b.Add(7, kSep, kZero4);
  b.Add(14, kVar, SecureBootVar(1));
  ASSERT_OK_AND_ASSIGN(ReplayedLog log, ReplayAgainstSelf(b));
  Claim c = SecureBootClaim(log);
  EXPECT_FALSE(c.value.has_value());
  EXPECT_THAT(c.reason, HasSubstr("pcr 14: event 2: SecureBoot variable "
                                  "measured outside pcr 7"));
}

TEST(SecureBoot, MalformedVariableLengthsAreRuleBreaks) {
  Bytes bad = SecureBootVar(1);
  PutU64(&bad, 24, 0x7FFFFFFFFFFFFFFF);  // VariableDataLength
  LogBuilder b;
  b.Add(7, kVar, bad);
  b.Add(7, kSep, kZero4);
  ASSERT_OK_AND_ASSIGN(ReplayedLog log, ReplayAgainstSelf(b));
  EXPECT_THAT(SecureBootClaim(log).reason,
              HasSubstr("pcr 7: event 1: EV_EFI_VARIABLE_DRIVER_CONFIG"));
}

TEST(SecureBoot, MalformedDbFailsExtractionButNotTheClaim) {
  Bytes list = SignatureList(EfiCertSha256Guid(), {Bytes(32, 0)});
  PutU32(&list, 16, 0xFFFF);  // SignatureListSize overrun
  LogBuilder b;
  b.Add(7, kVar, SecureBootVar(1));
  b.Add(7, kVar, UefiVariable(EfiImageSecurityDatabaseGuid(), "db", list));
  b.Add(7, kSep, kZero4);
  ASSERT_OK_AND_ASSIGN(ReplayedLog log, ReplayAgainstSelf(b));
  EXPECT_EQ(SecureBootClaim(log).value, true);
  EXPECT_THAT(ExtractSecureBoot(log),
              StatusIs(kInvalid, HasSubstr("pcr 7: event 2: db: offset")));
}

TEST(SecureBoot, InsecureReplayStillAppliesTrustRules) {
  LogBuilder b;
  b.Add(7, kSep, kZero4);
  b.Add(7, kVar, SecureBootVar(1));
  ASSERT_OK_AND_ASSIGN(ReplayedLog log, ReplayInsecure(b));
  EXPECT_FALSE(SecureBootClaim(log).value.has_value());
}

}  // namespace
}  // namespace vigil::eventlog
