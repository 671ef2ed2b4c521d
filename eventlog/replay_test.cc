#include "eventlog/replay.h"

#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "eventlog/event_types.h"
#include "eventlog/parser.h"
#include "eventlog/testing/log_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::eventlog {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;
using testing::HashOf;
using testing::LogBuilder;
using testing::Str;
using tpm::HashAlg;

tpm::Digest ExtendAll(HashAlg alg, tpm::Digest pcr,
                      const std::vector<std::vector<uint8_t>>& datas) {
  for (const auto& d : datas) EXPECT_OK(tpm::Extend(alg, &pcr, HashOf(alg, d)));
  return pcr;
}

EventLog ParseOrDie(const std::vector<uint8_t>& bytes) {
  absl::StatusOr<EventLog> log = Parse(bytes);
  EXPECT_OK(log);
  return *std::move(log);
}

TEST(ReplayDigests, ExtendsEachBankFromZero) {
  LogBuilder b({HashAlg::kSha1, HashAlg::kSha256});
  b.Add(4, EV_POST_CODE, Str("a")).Add(4, EV_SEPARATOR, {0, 0, 0, 0});
  ASSERT_OK_AND_ASSIGN(auto banks, ReplayDigests(ParseOrDie(b.Bytes())));
  ASSERT_EQ(banks.size(), 2u);
  for (const BankReplay& bank : banks) {
    EXPECT_EQ(bank.values[4],
              ExtendAll(bank.alg, tpm::Digest(tpm::DigestSize(bank.alg)),
                        {Str("a"), {0, 0, 0, 0}}));
    EXPECT_EQ(bank.event_count[4], 2u);
    EXPECT_EQ(bank.last_event[4], 2u);
    EXPECT_EQ(bank.event_count[5], 0u);
  }
}

TEST(ReplayDigests, NoActionAndPcrAllOnesAreNeverExtended) {
  LogBuilder b({HashAlg::kSha256});
  b.Add(0, EV_NO_ACTION, Str("anything")).Add(kNoPcr, EV_NO_ACTION, Str("x"));
  ASSERT_OK_AND_ASSIGN(auto banks, ReplayDigests(ParseOrDie(b.Bytes())));
  EXPECT_EQ(banks[0].values[0], tpm::Digest(32, 0));
  EXPECT_EQ(banks[0].event_count[0], 0u);
}

TEST(ReplayDigests, StartupLocalitySetsPcr0InitialValue) {
  LogBuilder b({HashAlg::kSha256});
  b.AddStartupLocality(3).Add(0, EV_S_CRTM_VERSION, Str("v"));
  EventLog log = ParseOrDie(b.Bytes());
  tpm::Digest init(32, 0);
  init[31] = 3;
  EXPECT_EQ(InitialValueForLog(log, HashAlg::kSha256, 0), init);
  ASSERT_OK_AND_ASSIGN(auto banks, ReplayDigests(log));
  EXPECT_EQ(banks[0].values[0], ExtendAll(HashAlg::kSha256, init, {Str("v")}));
}

TEST(ReplayDigests, HcrtmLogStartsPcr0AtLocality4) {
  LogBuilder b({HashAlg::kSha256});
  b.Add(0, EV_EFI_HCRTM_EVENT, Str("HCRTM"));
  EventLog log = ParseOrDie(b.Bytes());
  tpm::Digest init(32, 0);
  init[31] = 4;
  EXPECT_EQ(InitialValueForLog(log, HashAlg::kSha256, 0), init);
}

TEST(ReplayDigests, DrtmPcrsStartAtAllOnes) {
  LogBuilder b({HashAlg::kSha256});
  b.Add(17, EV_POST_CODE, Str("d"));
  ASSERT_OK_AND_ASSIGN(auto banks, ReplayDigests(ParseOrDie(b.Bytes())));
  EXPECT_EQ(banks[0].values[17],
            ExtendAll(HashAlg::kSha256, tpm::Digest(32, 0xff), {Str("d")}));
}

TEST(Replay, MatchingPcrsAreVerifiedAndMissingOnesAreNot) {
  LogBuilder b({HashAlg::kSha256});
  b.Add(4, EV_POST_CODE, Str("a"));
  EventLog log = ParseOrDie(b.Bytes());
  tpm::PcrBank trusted{HashAlg::kSha256,
                       {{4, ExtendAll(HashAlg::kSha256, tpm::Digest(32), {Str("a")})}}};
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, Replay(log, {trusted}));
  EXPECT_TRUE(r.PcrVerified(4));
  EXPECT_FALSE(r.PcrVerified(5));  // not supplied
  EXPECT_TRUE(r.mismatches().empty());
  EXPECT_TRUE(r.against_quote());
  EXPECT_TRUE(r.EventTrusted(1));
}

TEST(Replay, MismatchNamesBankPcrValuesAndLastEvent) {
  LogBuilder b({HashAlg::kSha1, HashAlg::kSha256});
  b.Add(4, EV_POST_CODE, Str("a")).Add(4, EV_POST_CODE, Str("b"));
  EventLog log = ParseOrDie(b.Bytes());
  tpm::PcrBank trusted{HashAlg::kSha256, {{4, tpm::Digest(32, 0x11)}}};
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, Replay(log, {trusted}));
  ASSERT_EQ(r.mismatches().size(), 1u);
  const PcrMismatch& m = r.mismatches()[0];
  EXPECT_EQ(m.alg, HashAlg::kSha256);
  EXPECT_EQ(m.pcr, 4u);
  EXPECT_EQ(m.expected, tpm::Digest(32, 0x11));
  EXPECT_EQ(m.last_event, 2u);
  EXPECT_FALSE(r.PcrVerified(4));
  EXPECT_FALSE(r.EventTrusted(1));
  EXPECT_THAT(r.WhyNotClean(std::vector<uint32_t>{4}), HasSubstr("pcr 4: not verified"));
}

TEST(Replay, OneMatchingBankDoesNotVerifyAPcrAnotherBankContradicts) {
  LogBuilder b({HashAlg::kSha1, HashAlg::kSha256});
  b.Add(4, EV_POST_CODE, Str("a"));
  EventLog log = ParseOrDie(b.Bytes());
  tpm::PcrBank good{HashAlg::kSha1,
                    {{4, ExtendAll(HashAlg::kSha1, tpm::Digest(20), {Str("a")})}}};
  tpm::PcrBank bad{HashAlg::kSha256, {{4, tpm::Digest(32, 0x22)}}};
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, Replay(log, {good, bad}));
  EXPECT_FALSE(r.PcrVerified(4));
}

TEST(Replay, BankAbsentFromLogIsReportedNotChecked) {
  LogBuilder b({HashAlg::kSha256});
  b.Add(4, EV_POST_CODE, Str("a"));
  tpm::PcrBank sha384{HashAlg::kSha384, {{4, tpm::Digest(48, 0)}}};
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, Replay(ParseOrDie(b.Bytes()), {sha384}));
  EXPECT_THAT(r.unreplayable_banks(), ::testing::ElementsAre(HashAlg::kSha384));
  EXPECT_FALSE(r.PcrVerified(4));
}

TEST(Replay, RejectsMalformedOrDuplicateTrustedBanks) {
  LogBuilder b({HashAlg::kSha256});
  EventLog log = ParseOrDie(b.Bytes());
  tpm::PcrBank short_value{HashAlg::kSha256, {{0, tpm::Digest(20)}}};
  EXPECT_THAT(Replay(log, {short_value}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pcr 0")));
  tpm::PcrBank a{HashAlg::kSha256, {{0, tpm::Digest(32)}}};
  EXPECT_THAT(Replay(log, {a, a}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("given twice")));
}

TEST(Replay, UnloggedExitBootServicesQuirkIsAppliedOnlyOnMismatchAndReported) {
  LogBuilder b({HashAlg::kSha256});
  b.Add(5, EV_EFI_ACTION, Str("Calling EFI Application from Boot Option"));
  EventLog log = ParseOrDie(b.Bytes());
  tpm::Digest logged = ExtendAll(HashAlg::kSha256, tpm::Digest(32),
                                 {Str("Calling EFI Application from Boot Option")});
  tpm::Digest with_ebs =
      ExtendAll(HashAlg::kSha256, logged,
                {Str("Exit Boot Services Invocation"),
                 Str("Exit Boot Services Returned with Success")});
  ASSERT_OK_AND_ASSIGN(ReplayedLog r,
                       Replay(log, {tpm::PcrBank{HashAlg::kSha256, {{5, with_ebs}}}}));
  EXPECT_TRUE(r.PcrVerified(5));
  ASSERT_EQ(r.quirks().size(), 1u);
  EXPECT_EQ(r.quirks()[0].id, "ebs-invocation-success-unlogged");
  ASSERT_OK_AND_ASSIGN(ReplayedLog plain,
                       Replay(log, {tpm::PcrBank{HashAlg::kSha256, {{5, logged}}}}));
  EXPECT_TRUE(plain.quirks().empty());
  // The quirk only ever applies to its own PCR.
  ASSERT_OK_AND_ASSIGN(ReplayedLog other,
                       Replay(log, {tpm::PcrBank{HashAlg::kSha256, {{4, with_ebs}}}}));
  EXPECT_TRUE(other.quirks().empty());
  EXPECT_EQ(other.mismatches().size(), 1u);
}

TEST(Integrity, ForgedDataUnderAnHonestDigestIsFlaggedAndUntrusted) {
  LogBuilder b({HashAlg::kSha256});
  std::map<HashAlg, std::vector<uint8_t>> honest = {
      {HashAlg::kSha256, HashOf(HashAlg::kSha256, Str("Exit Boot Services Invocation"))}};
  b.AddWithDigests(5, EV_EFI_ACTION, Str("Something else entirely......"), honest);
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, InsecureReplayWithoutQuote(ParseOrDie(b.Bytes())));
  EXPECT_EQ(r.data_check(1), DataCheck::kMismatch);
  EXPECT_FALSE(r.EventTrusted(1));
  ASSERT_EQ(r.findings().size(), 1u);
  EXPECT_EQ(r.findings()[0].kind, IntegrityFinding::Kind::kDataMismatch);
  EXPECT_FALSE(r.PcrsClean(std::vector<uint32_t>{5}));
  EXPECT_TRUE(r.PcrsClean(std::vector<uint32_t>{4}));
}

// The event-type relabeling attack (landscape.md §10): the type is not covered
// by the digest, so a relabeled event replays fine but must taint its PCR.
TEST(Integrity, UnknownEventTypeTaintsItsPcr) {
  LogBuilder b({HashAlg::kSha256});
  b.Add(7, 0x0000BEEF, Str("relabeled"));
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, InsecureReplayWithoutQuote(ParseOrDie(b.Bytes())));
  EXPECT_TRUE(r.PcrVerified(7));
  EXPECT_FALSE(r.EventTrusted(1));
  EXPECT_THAT(r.WhyNotClean(std::vector<uint32_t>{7}),
              HasSubstr("pcr 7: event 1: unknown event type 0x0000beef"));
}

TEST(Integrity, BootVariableAcceptsEitherDigestConvention) {
  const std::vector<uint8_t> var =
      testing::UefiVariable(testing::GlobalVariableGuid(), "BootOrder", {1, 0});
  LogBuilder b({HashAlg::kSha256});
  b.Add(1, EV_EFI_VARIABLE_BOOT, var);  // H(UEFI_VARIABLE_DATA)
  b.AddWithDigests(1, EV_EFI_VARIABLE_BOOT, var,
                   {{HashAlg::kSha256, HashOf(HashAlg::kSha256, {1, 0})}});  // EDK2
  b.AddWithDigests(1, EV_EFI_VARIABLE_BOOT, var,
                   {{HashAlg::kSha256, HashOf(HashAlg::kSha256, {9, 9})}});  // forged
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, InsecureReplayWithoutQuote(ParseOrDie(b.Bytes())));
  EXPECT_EQ(r.data_check(1), DataCheck::kMatches);
  EXPECT_EQ(r.data_check(2), DataCheck::kMatchesVariableData);
  EXPECT_EQ(r.data_check(3), DataCheck::kMismatch);
}

TEST(Integrity, InsecureReplayVerifiesEveryPcrButSaysSo) {
  LogBuilder b({HashAlg::kSha256});
  b.Add(4, EV_POST_CODE, Str("a"));
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, InsecureReplayWithoutQuote(ParseOrDie(b.Bytes())));
  EXPECT_FALSE(r.against_quote());
  EXPECT_TRUE(r.PcrVerified(0));
  EXPECT_TRUE(r.PcrVerified(23));
  EXPECT_FALSE(r.PcrVerified(24));
}

// Shim logs 6 bytes after an authority event's UEFI_VARIABLE_DATA and hashes
// the structure plus 5 of them (go-attestation#157; seen in the corpus's
// debian-10, cos-85, cos-93 and tpm2-tools postcode logs).
TEST(Integrity, ShimAuthorityEventWithTrailingBytesStillCoversTheStructure) {
  std::vector<uint8_t> var =
      testing::UefiVariable(testing::GlobalVariableGuid(), "Shim", Str("certificate"));
  std::vector<uint8_t> logged = var;
  logged.insert(logged.end(), {0, 0, 0, 0, 0, 0xaf});
  std::vector<uint8_t> hashed(logged.begin(), logged.end() - 1);
  LogBuilder b({HashAlg::kSha256});
  b.AddWithDigests(7, EV_EFI_VARIABLE_AUTHORITY, logged,
                   {{HashAlg::kSha256, HashOf(HashAlg::kSha256, hashed)}});
  // A digest over less than the structure is a mismatch.
  b.AddWithDigests(7, EV_EFI_VARIABLE_AUTHORITY, logged,
                   {{HashAlg::kSha256,
                     HashOf(HashAlg::kSha256,
                            std::vector<uint8_t>(var.begin(), var.end() - 1))}});
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, InsecureReplayWithoutQuote(ParseOrDie(b.Bytes())));
  EXPECT_EQ(r.data_check(1), DataCheck::kMatchesIgnoringTrailingBytes);
  EXPECT_TRUE(r.EventTrusted(1));
  EXPECT_EQ(r.data_check(2), DataCheck::kMismatch);
}

// The Linux EFI stub measures the initrd into PCR 9 as an EV_EVENT_TAG whose
// digest is of the initrd; only Windows SIPA PCRs require digest == H(data).
TEST(Integrity, TaggedEventDataIsCheckedOnlyOnSipaPcrs) {
  std::map<HashAlg, std::vector<uint8_t>> other = {
      {HashAlg::kSha256, HashOf(HashAlg::kSha256, Str("initrd contents"))}};
  LogBuilder b({HashAlg::kSha256});
  b.AddWithDigests(9, EV_EVENT_TAG, Str("tag"), other);
  b.AddWithDigests(12, EV_EVENT_TAG, Str("tag"), other);
  b.Add(13, EV_EVENT_TAG, Str("tag"));
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, InsecureReplayWithoutQuote(ParseOrDie(b.Bytes())));
  EXPECT_EQ(r.data_check(1), DataCheck::kNotApplicable);
  EXPECT_TRUE(r.PcrsClean(std::vector<uint32_t>{9}));
  EXPECT_EQ(r.data_check(2), DataCheck::kMismatch);
  EXPECT_FALSE(r.PcrsClean(std::vector<uint32_t>{12}));
  EXPECT_EQ(r.data_check(3), DataCheck::kMatches);
}

}  // namespace
}  // namespace vigil::eventlog
