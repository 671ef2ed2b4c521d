#include "eventlog/extract/windows/windows_claims.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status_macros.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "eventlog/event_types.h"
#include "eventlog/extract/windows/sipa_ids.h"
#include "eventlog/parser.h"
#include "eventlog/replay.h"
#include "eventlog/testing/log_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::eventlog {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::vigil::eventlog::testing::LogBuilder;
using ::vigil::eventlog::testing::PutU32;
using ::vigil::eventlog::testing::PutU64;
using ::vigil::eventlog::testing::Utf16;

constexpr char kX1Carbon[] =
    "eventlog/testdata/corpus/immune-gmbh-guard-oss/derived/"
    "x1carbon.eventlog.bin";
constexpr char kT480s[] =
    "eventlog/testdata/corpus/immune-gmbh-guard-oss/derived/"
    "t480s.values.eventlog.bin";

// Every claim DeriveWindowsClaims may produce.
const char* const kAllClaims[] = {"codeIntegrityEnabled",
                                  "bootDebuggingDisabled",
                                  "osKernelDebuggingDisabled",
                                  "testSigningDisabled",
                                  "flightSigningNotEnabled",
                                  "iommuEnabled",
                                  "notSafeMode",
                                  "notWinPE",
                                  "depPolicy",
                                  "elamDriverLoaded",
                                  "bootCount",
                                  "vbsEnabled",
                                  "hvciEnabled",
                                  "bitlockerStatus",
                                  "bootMgrSvn",
                                  "bootAppSvn"};

std::vector<uint8_t> Tag(uint32_t id, const std::vector<uint8_t>& payload) {
  return ::vigil::eventlog::testing::SipaTag(id, payload);
}
using ::vigil::eventlog::testing::Cat;

std::vector<uint8_t> Tb(std::initializer_list<std::vector<uint8_t>> children) {
  return Tag(SIPAEVENT_TRUSTBOUNDARY, Cat(children));
}

std::vector<uint8_t> Bool(uint32_t id, bool v) {
  return Tag(id, {v ? uint8_t{1} : uint8_t{0}});
}

std::vector<uint8_t> U32(uint32_t id, uint32_t v) {
  std::vector<uint8_t> p;
  PutU32(&p, v);
  return Tag(id, p);
}

std::vector<uint8_t> Module(const std::string& path, bool validated) {
  return Tag(SIPAEVENT_LOADEDMODULE_AGGREGATION,
             Cat({Tag(SIPAEVENT_FILEPATH, Utf16(path, true)),
                  Bool(SIPAEVENT_IMAGEVALIDATED, validated)}));
}

const std::vector<uint8_t> kWbcl = {'W', 'B', 'C', 'L'};

absl::StatusOr<DerivedClaims> DeriveFromLog(const std::vector<uint8_t>& bytes) {
  ASSIGN_OR_RETURN(EventLog log, Parse(bytes));
  ASSIGN_OR_RETURN(ReplayedLog replayed, InsecureReplayWithoutQuote(log));
  DerivedClaims out;
  DeriveWindowsClaims(replayed, &out);
  return out;
}

std::vector<uint8_t> ReadCorpus(const char* path) {
  return vigil::testing::ReadFileBytes(vigil::testing::SourcePath(path));
}

std::optional<ClaimValue> Get(const DerivedClaims& c, const std::string& name) {
  const ClaimValue* v = c.Find(name);
  if (v == nullptr) return std::nullopt;
  return *v;
}

std::string WhyUnderivable(const DerivedClaims& c, const std::string& name) {
  for (const UnderivableClaim& u : c.underivable) {
    if (u.name == name) return u.reason;
  }
  return "";
}

std::vector<std::string> UnderivableNames(const DerivedClaims& c) {
  std::vector<std::string> names;
  for (const UnderivableClaim& u : c.underivable) names.push_back(u.name);
  return names;
}

// A minimal well-formed Windows log: the given PCR 12/13 trust boundaries,
// then the WBCL separators.
std::vector<uint8_t> WindowsLog(const std::vector<uint8_t>& pcr12,
                                const std::vector<uint8_t>& pcr13) {
  LogBuilder b({tpm::HashAlg::kSha256});
  b.Add(12, EV_EVENT_TAG, pcr12);
  b.Add(13, EV_EVENT_TAG, pcr13);
  b.Add(12, EV_SEPARATOR, kWbcl)
      .Add(13, EV_SEPARATOR, kWbcl)
      .Add(14, EV_SEPARATOR, kWbcl);
  return b.Bytes();
}

// The record of `log` at index `i`, as a byte offset into the file.
size_t RecordOffset(const std::vector<uint8_t>& bytes, size_t i) {
  absl::StatusOr<EventLog> log = Parse(bytes);
  return log.ok() ? log->events[i].offset : 0;
}

TEST(DeriveWindowsClaims, X1CarbonHasVbsAndHvciLaunched) {
  std::vector<uint8_t> bytes = ReadCorpus(kX1Carbon);
  ASSERT_FALSE(bytes.empty());
  ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(bytes));
  EXPECT_THAT(c.underivable, IsEmpty());
  EXPECT_EQ(Get(c, "codeIntegrityEnabled"), ClaimValue(true));
  EXPECT_EQ(Get(c, "bootDebuggingDisabled"), ClaimValue(true));
  EXPECT_EQ(Get(c, "osKernelDebuggingDisabled"), ClaimValue(true));
  EXPECT_EQ(Get(c, "testSigningDisabled"), ClaimValue(true));
  EXPECT_EQ(Get(c, "flightSigningNotEnabled"), ClaimValue(true));
  EXPECT_EQ(Get(c, "iommuEnabled"),
            ClaimValue(false));  // no VBS_IOMMU_REQUIRED
  EXPECT_EQ(Get(c, "notSafeMode"), ClaimValue(true));
  EXPECT_EQ(Get(c, "notWinPE"), ClaimValue(true));
  EXPECT_EQ(Get(c, "vbsEnabled"), ClaimValue(true));
  EXPECT_EQ(Get(c, "hvciEnabled"), ClaimValue(true));
  EXPECT_EQ(Get(c, "depPolicy"), ClaimValue(int64_t{0}));
  EXPECT_EQ(Get(c, "bitlockerStatus"), ClaimValue(int64_t{4}));
  EXPECT_EQ(Get(c, "elamDriverLoaded"), ClaimValue(true));
  EXPECT_EQ(Get(c, "bootMgrSvn"), ClaimValue(int64_t{1}));
  EXPECT_EQ(Get(c, "bootAppSvn"), ClaimValue(int64_t{1}));
  EXPECT_EQ(Get(c, "bootCount"), ClaimValue(int64_t{206}));
}

TEST(DeriveWindowsClaims, T480sHasNoVbsAndNoBitlocker) {
  std::vector<uint8_t> bytes = ReadCorpus(kT480s);
  ASSERT_FALSE(bytes.empty());
  ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(bytes));
  EXPECT_THAT(c.underivable, IsEmpty());
  EXPECT_EQ(Get(c, "codeIntegrityEnabled"), ClaimValue(true));
  EXPECT_EQ(Get(c, "bootDebuggingDisabled"), ClaimValue(true));
  EXPECT_EQ(Get(c, "testSigningDisabled"), ClaimValue(true));
  EXPECT_EQ(Get(c, "notSafeMode"), ClaimValue(true));
  EXPECT_EQ(Get(c, "notWinPE"), ClaimValue(true));
  EXPECT_EQ(Get(c, "vbsEnabled"), ClaimValue(false));
  EXPECT_EQ(Get(c, "hvciEnabled"), ClaimValue(false));
  EXPECT_EQ(Get(c, "bitlockerStatus"), ClaimValue(int64_t{0}));
  EXPECT_EQ(Get(c, "depPolicy"), ClaimValue(int64_t{0}));
  EXPECT_EQ(Get(c, "bootCount"), ClaimValue(int64_t{71}));
  EXPECT_EQ(Get(c, "bootMgrSvn"), ClaimValue(int64_t{1}));
}

TEST(DeriveWindowsClaims, QuoteWithoutDrtmPcrsLeavesOnlySvnClaimsDerivable) {
  std::vector<uint8_t> bytes = ReadCorpus(kX1Carbon);
  ASSERT_OK_AND_ASSIGN(EventLog log, Parse(bytes));
  ASSERT_OK_AND_ASSIGN(std::vector<BankReplay> banks, ReplayDigests(log));
  tpm::PcrBank trusted;
  for (const BankReplay& b : banks) {
    if (b.alg != tpm::HashAlg::kSha256) continue;
    trusted.alg = b.alg;
    for (uint32_t p = 0; p <= 14; ++p) trusted.values[p] = b.values[p];
  }
  ASSERT_OK_AND_ASSIGN(ReplayedLog replayed, Replay(log, {trusted}));
  DerivedClaims c;
  DeriveWindowsClaims(replayed, &c);
  EXPECT_THAT(WhyUnderivable(c, "codeIntegrityEnabled"),
              HasSubstr("pcr 19: not verified"));
  EXPECT_THAT(WhyUnderivable(c, "vbsEnabled"),
              HasSubstr("pcr 19: not verified"));
  EXPECT_EQ(Get(c, "codeIntegrityEnabled"), std::nullopt);
  EXPECT_EQ(Get(c, "bootMgrSvn"), ClaimValue(int64_t{1}));
}

TEST(DeriveWindowsClaims, QuoteMismatchOnPcr12MakesEveryClaimUnderivable) {
  std::vector<uint8_t> bytes = ReadCorpus(kX1Carbon);
  ASSERT_OK_AND_ASSIGN(EventLog log, Parse(bytes));
  ASSERT_OK_AND_ASSIGN(std::vector<BankReplay> banks, ReplayDigests(log));
  tpm::PcrBank trusted;
  trusted.alg = tpm::HashAlg::kSha256;
  for (const BankReplay& b : banks) {
    if (b.alg != tpm::HashAlg::kSha256) continue;
    for (uint32_t p = 0; p < tpm::kNumPcrs; ++p)
      trusted.values[p] = b.values[p];
  }
  trusted.values[12][0] ^= 1;
  ASSERT_OK_AND_ASSIGN(ReplayedLog replayed, Replay(log, {trusted}));
  DerivedClaims c;
  DeriveWindowsClaims(replayed, &c);
  EXPECT_THAT(c.claims, IsEmpty());
  EXPECT_EQ(UnderivableNames(c).size(), std::size(kAllClaims));
  for (const UnderivableClaim& u : c.underivable) {
    EXPECT_THAT(u.reason, HasSubstr("pcr 12: not verified")) << u.name;
  }
}

TEST(DeriveWindowsClaims, EventTagRelabeledAsKnownTypeMakesClaimsUnderivable) {
  std::vector<uint8_t> bytes = ReadCorpus(kX1Carbon);
  ASSERT_OK_AND_ASSIGN(EventLog log, Parse(bytes));
  size_t index = 0;
  for (const RawEvent& ev : log.events) {
    if (ev.pcr_index == 12 && ev.untrusted_type == EV_EVENT_TAG) {
      index = ev.index;
      break;
    }
  }
  ASSERT_NE(index, 0u);
  // EV_ACTION's digest also covers its data, so the record still verifies:
  // only the type changed, as an attacker hiding a trust boundary would do.
  std::vector<uint8_t> relabeled = bytes;
  const size_t at = RecordOffset(bytes, index) + 4;
  relabeled[at] = EV_ACTION;
  ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(relabeled));
  EXPECT_THAT(c.claims, IsEmpty());
  EXPECT_EQ(UnderivableNames(c).size(), std::size(kAllClaims));
  EXPECT_THAT(WhyUnderivable(c, "notSafeMode"),
              HasSubstr("pcr 12: event " + std::to_string(index) +
                        ": EV_ACTION is not a SIPA event"));
  EXPECT_THAT(WhyUnderivable(c, "bootMgrSvn"), HasSubstr("EV_ACTION"));
}

TEST(DeriveWindowsClaims, UnknownEventTypeInPcr12MakesClaimsUnderivable) {
  std::vector<uint8_t> bytes = ReadCorpus(kX1Carbon);
  ASSERT_OK_AND_ASSIGN(EventLog log, Parse(bytes));
  size_t index = 0;
  for (const RawEvent& ev : log.events) {
    if (ev.pcr_index == 12 && ev.untrusted_type == EV_EVENT_TAG)
      index = ev.index;
  }
  std::vector<uint8_t> relabeled = bytes;
  const size_t at = RecordOffset(bytes, index) + 4;
  relabeled[at] = 0x34;
  relabeled[at + 1] = 0x12;
  ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(relabeled));
  EXPECT_THAT(c.claims, IsEmpty());
  EXPECT_THAT(WhyUnderivable(c, "codeIntegrityEnabled"),
              HasSubstr("unknown event type 0x00001234"));
  EXPECT_THAT(WhyUnderivable(c, "hvciEnabled"), HasSubstr("pcr 12"));
}

TEST(DeriveWindowsClaims, AlteredEventTagDataIsNotUsed) {
  std::vector<uint8_t> bytes = ReadCorpus(kX1Carbon);
  ASSERT_OK_AND_ASSIGN(EventLog log, Parse(bytes));
  const RawEvent* target = nullptr;
  for (const RawEvent& ev : log.events) {
    if (ev.pcr_index == 13 && ev.untrusted_type == EV_EVENT_TAG) {
      target = &ev;
      break;
    }
  }
  ASSERT_NE(target, nullptr);
  // Flip the last data byte; the digests stay as they were.
  std::vector<uint8_t> altered = bytes;
  const size_t last =
      static_cast<size_t>(target->data.data() - log.storage->data()) +
      target->data.size() - 1;
  altered[last] ^= 0x01;
  ASSERT_OK_AND_ASSIGN(EventLog altered_log, Parse(altered));
  ASSERT_OK_AND_ASSIGN(ReplayedLog replayed,
                       InsecureReplayWithoutQuote(altered_log));
  EXPECT_FALSE(replayed.EventTrusted(target->index));
  DerivedClaims c;
  DeriveWindowsClaims(replayed, &c);
  EXPECT_EQ(Get(c, "codeIntegrityEnabled"), std::nullopt);
  EXPECT_THAT(WhyUnderivable(c, "codeIntegrityEnabled"),
              HasSubstr("EV_EVENT_TAG data does not match its digest"));
  // PCR 13 is not among the VBS claims' PCRs.
  EXPECT_EQ(Get(c, "vbsEnabled"), ClaimValue(true));
}

struct CorpusClaims {
  const char* path;  // under eventlog/testdata/corpus/immune-gmbh-guard-oss/
  bool os_kernel_debugging_disabled;
  bool elam_driver_loaded;
  bool vbs_enabled;
  bool hvci_enabled;
  int64_t dep_policy;
  int64_t bitlocker_status;
  int64_t boot_count;
};

// Facts per log: the MANIFEST's raw SIPA values through the §2.3 rules.
// Resume-style logs (TRANSFER_CONTROL 2) carry no OSKERNELDEBUG, so that
// claim is false there; the Dell Latitude logs load ESET's eelam.sys, not
// Defender's wdboot.sys.
const CorpusClaims kCorpusClaims[] = {
    {"tpm12_windows_lenovo_x1carbonv3", true, true, true, false, 0, 4, 0},
    {"tpm2_windows_lenovo_yogax1v2", true, true, false, false, 0, 4, 214},
    {"windows_event_log", false, false, false, false, 0, 4, 120},
    {"derived/IMN-SUPERMICRO-WBCL-Quote-AIKs.evidence.eventlog.bin", true, true,
     false, false, 1, 0, 14},
    {"derived/latitude-7520.evidence.eventlog.bin", true, false, true, true, 0,
     1, 187},
    {"derived/DESKTOP-MIMU51J-EPP-ESET.evidence.eventlog.bin", true, false,
     false, false, 0, 1, 183},
    {"derived/dell-notebook-5eventlogs-WBCL.evidence.eventlog0.bin", true,
     false, false, false, 0, 1, 168},
    {"derived/dell-notebook-5eventlogs-WBCL.evidence.eventlog1.bin", false,
     false, false, false, 0, 1, 169},
    {"derived/dell-notebook-5eventlogs-WBCL.evidence.eventlog2.bin", false,
     false, false, false, 0, 1, 170},
    {"derived/dell-notebook-5eventlogs-WBCL.evidence.eventlog3.bin", false,
     false, false, false, 0, 1, 171},
    {"derived/dell-notebook-5eventlogs-WBCL.evidence.eventlog4.bin", false,
     false, false, false, 0, 1, 172},
    {"derived/x1carbon.eventlog.bin", true, true, true, true, 0, 4, 206},
    {"derived/t480s.values.eventlog.bin", true, true, false, false, 0, 0, 71},
};

class CorpusClaimsTest : public ::testing::TestWithParam<CorpusClaims> {};

TEST_P(CorpusClaimsTest, DerivesEveryClaimFromTheManifestFacts) {
  const CorpusClaims& want = GetParam();
  std::vector<uint8_t> bytes = ReadCorpus(
      (std::string("eventlog/testdata/corpus/immune-gmbh-guard-oss/") +
       want.path)
          .c_str());
  ASSERT_FALSE(bytes.empty()) << want.path;
  ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(bytes));
  EXPECT_THAT(c.underivable, IsEmpty());
  for (const char* name :
       {"codeIntegrityEnabled", "bootDebuggingDisabled", "testSigningDisabled",
        "flightSigningNotEnabled", "notSafeMode", "notWinPE"}) {
    EXPECT_EQ(Get(c, name), ClaimValue(true)) << name;
  }
  EXPECT_EQ(Get(c, "iommuEnabled"),
            ClaimValue(false));  // no VBS_IOMMU_REQUIRED
  EXPECT_EQ(Get(c, "osKernelDebuggingDisabled"),
            ClaimValue(want.os_kernel_debugging_disabled));
  EXPECT_EQ(Get(c, "elamDriverLoaded"), ClaimValue(want.elam_driver_loaded));
  EXPECT_EQ(Get(c, "vbsEnabled"), ClaimValue(want.vbs_enabled));
  EXPECT_EQ(Get(c, "hvciEnabled"), ClaimValue(want.hvci_enabled));
  EXPECT_EQ(Get(c, "depPolicy"), ClaimValue(want.dep_policy));
  EXPECT_EQ(Get(c, "bitlockerStatus"), ClaimValue(want.bitlocker_status));
  EXPECT_EQ(Get(c, "bootCount"), ClaimValue(want.boot_count));
  EXPECT_EQ(Get(c, "bootMgrSvn"), ClaimValue(int64_t{1}));
  EXPECT_EQ(Get(c, "bootAppSvn"), ClaimValue(int64_t{1}));
}

INSTANTIATE_TEST_SUITE_P(Manifest, CorpusClaimsTest,
                         ::testing::ValuesIn(kCorpusClaims));

// Semantics, on hand-built logs.

TEST(DeriveWindowsClaims, SafeModeAndWinPeDefaultToTrueWhenAbsent) {
  ASSERT_OK_AND_ASSIGN(
      DerivedClaims c,
      DeriveFromLog(WindowsLog(Tb({Bool(SIPAEVENT_CODEINTEGRITY, true)}),
                               Tb({Bool(SIPAEVENT_CODEINTEGRITY, true)}))));
  EXPECT_EQ(Get(c, "notSafeMode"), ClaimValue(true));
  EXPECT_EQ(Get(c, "notWinPE"), ClaimValue(true));
  // Absent debug events, by contrast, mean "not shown disabled".
  EXPECT_EQ(Get(c, "bootDebuggingDisabled"), ClaimValue(false));
  EXPECT_EQ(Get(c, "osKernelDebuggingDisabled"), ClaimValue(false));
  EXPECT_EQ(Get(c, "codeIntegrityEnabled"), ClaimValue(true));
  EXPECT_EQ(Get(c, "depPolicy"), ClaimValue(int64_t{0}));
  EXPECT_EQ(Get(c, "bitlockerStatus"), ClaimValue(int64_t{0}));
  EXPECT_EQ(Get(c, "bootMgrSvn"), std::nullopt);
  EXPECT_EQ(Get(c, "bootCount"), std::nullopt);
  EXPECT_THAT(c.underivable, IsEmpty());
}

TEST(DeriveWindowsClaims, OneTrueSafeModeAnywhereMakesNotSafeModeFalse) {
  ASSERT_OK_AND_ASSIGN(
      DerivedClaims c,
      DeriveFromLog(WindowsLog(Tb({Bool(SIPAEVENT_SAFEMODE, false)}),
                               Tb({Bool(SIPAEVENT_SAFEMODE, true)}))));
  EXPECT_EQ(Get(c, "notSafeMode"), ClaimValue(false));
}

TEST(DeriveWindowsClaims, RepeatedKeyInOneTrustBoundaryFailsClosed) {
  // Two CODEINTEGRITY values in one aggregation render as an array, which
  // never equals true.
  ASSERT_OK_AND_ASSIGN(
      DerivedClaims c,
      DeriveFromLog(WindowsLog(
          Tb({Bool(SIPAEVENT_CODEINTEGRITY, true),
              Bool(SIPAEVENT_CODEINTEGRITY, true), Bool(SIPAEVENT_WINPE, false),
              Bool(SIPAEVENT_WINPE, false)}),
          Tb({Bool(SIPAEVENT_CODEINTEGRITY, true)}))));
  EXPECT_EQ(Get(c, "codeIntegrityEnabled"), ClaimValue(false));
  EXPECT_EQ(Get(c, "notWinPE"), ClaimValue(false));
}

TEST(DeriveWindowsClaims, MalformedBooleanFailsClosed) {
  ASSERT_OK_AND_ASSIGN(
      DerivedClaims c,
      DeriveFromLog(WindowsLog(Tb({Tag(SIPAEVENT_SAFEMODE, {0, 0, 0, 0}),
                                   Tag(SIPAEVENT_CODEINTEGRITY, {2})}),
                               Tb({}))));
  EXPECT_EQ(Get(c, "notSafeMode"), ClaimValue(false));
  EXPECT_EQ(Get(c, "codeIntegrityEnabled"), ClaimValue(false));
}

TEST(DeriveWindowsClaims,
     OnlyTopLevelTrustBoundariesOfPcrs12_13_19_20AreSearched) {
  LogBuilder b({tpm::HashAlg::kSha256});
  b.Add(12, EV_EVENT_TAG, Tb({Bool(SIPAEVENT_CODEINTEGRITY, true)}));
  // A SAFEMODE outside a top-level trust boundary, and one in PCR 14: the
  // sample policies do not look there.
  b.Add(13, EV_EVENT_TAG,
        Cat({Bool(SIPAEVENT_SAFEMODE, true),
             Tag(SIPAEVENT_ELAM_AGGREGATION,
                 Tb({Bool(SIPAEVENT_SAFEMODE, true)}))}));
  b.Add(14, EV_EVENT_TAG, Tb({Bool(SIPAEVENT_SAFEMODE, true)}));
  b.Add(19, EV_EVENT_TAG, Tb({Bool(SIPAEVENT_CODEINTEGRITY, true)}));
  ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(b.Bytes()));
  EXPECT_THAT(c.underivable, IsEmpty());
  EXPECT_EQ(Get(c, "notSafeMode"), ClaimValue(true));
  EXPECT_EQ(Get(c, "codeIntegrityEnabled"), ClaimValue(true));
}

TEST(DeriveWindowsClaims, DrtmPcr20TrustBoundaryCounts) {
  LogBuilder b({tpm::HashAlg::kSha256});
  b.Add(12, EV_EVENT_TAG, Tb({Bool(SIPAEVENT_TESTSIGNING, false)}));
  b.Add(20, EV_EVENT_TAG, Tb({Bool(SIPAEVENT_TESTSIGNING, true)}));
  ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(b.Bytes()));
  EXPECT_EQ(Get(c, "testSigningDisabled"), ClaimValue(false));
}

TEST(DeriveWindowsClaims, VbsUsesPcrs12And19AndBothVsmKeys) {
  {
    LogBuilder b({tpm::HashAlg::kSha256});
    b.Add(12, EV_EVENT_TAG, Tb({Bool(SIPAEVENT_VBS_VSM_REQUIRED, true)}));
    b.Add(19, EV_EVENT_TAG,
          Tb({Bool(SIPAEVENT_VBS_MANDATORY_ENFORCEMENT, true)}));
    b.Add(13, EV_EVENT_TAG,
          Tb({Bool(SIPAEVENT_VBS_VSM_REQUIRED, false)}));  // ignored
    ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(b.Bytes()));
    EXPECT_EQ(Get(c, "vbsEnabled"), ClaimValue(true));
  }
  {
    LogBuilder b({tpm::HashAlg::kSha256});
    b.Add(12, EV_EVENT_TAG, Tb({Bool(SIPAEVENT_VBS_VSM_REQUIRED, true)}));
    b.Add(19, EV_EVENT_TAG,
          Tb({Bool(SIPAEVENT_VBS_MANDATORY_ENFORCEMENT, false)}));
    ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(b.Bytes()));
    EXPECT_EQ(Get(c, "vbsEnabled"), ClaimValue(false));
  }
}

std::vector<uint8_t> Hvci(uint64_t v) {
  std::vector<uint8_t> p;
  PutU64(&p, v);
  return Tag(SIPAEVENT_VBS_HVCI_POLICY, p);
}

TEST(DeriveWindowsClaims, HvciNeedsTheNamedEnableValueInPcr12Or19) {
  {
    ASSERT_OK_AND_ASSIGN(DerivedClaims c,
                         DeriveFromLog(WindowsLog(Tb({Hvci(1)}), Tb({}))));
    EXPECT_EQ(Get(c, "hvciEnabled"), ClaimValue(true));
  }
  {
    // Value 2 has no symbolic name, so the String filter drops it.
    ASSERT_OK_AND_ASSIGN(DerivedClaims c,
                         DeriveFromLog(WindowsLog(Tb({Hvci(2)}), Tb({}))));
    EXPECT_EQ(Get(c, "hvciEnabled"), ClaimValue(false));
  }
  {
    ASSERT_OK_AND_ASSIGN(DerivedClaims c,
                         DeriveFromLog(WindowsLog(Tb({}), Tb({Hvci(1)}))));
    EXPECT_EQ(Get(c, "hvciEnabled"), ClaimValue(false));
  }
}

TEST(DeriveWindowsClaims, BitlockerIsFirstNonZeroAndDepIsLast) {
  LogBuilder b({tpm::HashAlg::kSha256});
  b.Add(12, EV_EVENT_TAG,
        Tb({U32(SIPAEVENT_BITLOCKER_UNLOCK, 0),
            U32(SIPAEVENT_DATAEXECUTIONPREVENTION, 1)}));
  b.Add(13, EV_EVENT_TAG,
        Tb({U32(SIPAEVENT_BITLOCKER_UNLOCK,
                2),  // PCR 13: not searched for BitLocker
            U32(SIPAEVENT_DATAEXECUTIONPREVENTION, 3)}));
  b.Add(12, EV_EVENT_TAG, Tb({U32(SIPAEVENT_BITLOCKER_UNLOCK, 0x10)}));
  b.Add(12, EV_EVENT_TAG, Tb({U32(SIPAEVENT_BITLOCKER_UNLOCK, 4)}));
  ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(b.Bytes()));
  EXPECT_EQ(Get(c, "bitlockerStatus"), ClaimValue(int64_t{0x10}));
  EXPECT_EQ(Get(c, "depPolicy"), ClaimValue(int64_t{3}));
}

TEST(DeriveWindowsClaims, ElamNeedsAValidatedWdboot) {
  {
    ASSERT_OK_AND_ASSIGN(
        DerivedClaims c,
        DeriveFromLog(WindowsLog(
            Tb({}), Tb({Module("\\Windows\\System32\\drivers\\wd\\WdBoot.sys",
                               true)}))));
    EXPECT_EQ(Get(c, "elamDriverLoaded"), ClaimValue(true));
  }
  {
    ASSERT_OK_AND_ASSIGN(
        DerivedClaims c,
        DeriveFromLog(WindowsLog(
            Tb({}),
            Tb({Module("\\Windows\\System32\\drivers\\WdBoot.sys", false),
                Module("\\Windows\\System32\\drivers\\other.sys", true)}))));
    EXPECT_EQ(Get(c, "elamDriverLoaded"), ClaimValue(false));
  }
}

TEST(DeriveWindowsClaims, SvnsFollowTheBootSequenceBeforeTheSeparator) {
  LogBuilder b({tpm::HashAlg::kSha256});
  // Boot manager: SVN 3, transfer to the OS loader.
  b.Add(12, EV_EVENT_TAG,
        Tb({U32(SIPAEVENT_APPLICATION_SVN, 3),
            U32(SIPAEVENT_TRANSFER_CONTROL, 1)}));
  // Module details with a MODULE_SVN.
  b.Add(13, EV_EVENT_TAG,
        Tb({Tag(SIPAEVENT_LOADEDMODULE_AGGREGATION,
                U32(SIPAEVENT_MODULE_SVN, 9))}));
  // A PCR 12 record without an SVN is skipped; the next one is the app's.
  b.Add(12, EV_EVENT_TAG, Tb({Bool(SIPAEVENT_CODEINTEGRITY, true)}));
  b.Add(12, EV_EVENT_TAG, Tb({U32(SIPAEVENT_APPLICATION_SVN, 7)}));
  b.Add(14, EV_SEPARATOR, kWbcl);
  // After the first separator in 12/13/14: ignored.
  b.Add(12, EV_EVENT_TAG, Tb({U32(SIPAEVENT_APPLICATION_SVN, 99)}));
  ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(b.Bytes()));
  EXPECT_EQ(Get(c, "bootMgrSvn"), ClaimValue(int64_t{3}));
  EXPECT_EQ(Get(c, "bootAppSvn"), ClaimValue(int64_t{7}));
}

TEST(DeriveWindowsClaims, BootAppSvnNeedsATransferToLoaderOrResume) {
  LogBuilder b({tpm::HashAlg::kSha256});
  b.Add(12, EV_EVENT_TAG,
        Tb({U32(SIPAEVENT_APPLICATION_SVN, 3),
            U32(SIPAEVENT_TRANSFER_CONTROL, 5)}));
  b.Add(13, EV_EVENT_TAG,
        Tb({Tag(SIPAEVENT_LOADEDMODULE_AGGREGATION,
                U32(SIPAEVENT_MODULE_SVN, 9))}));
  b.Add(12, EV_EVENT_TAG, Tb({U32(SIPAEVENT_APPLICATION_SVN, 7)}));
  ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(b.Bytes()));
  EXPECT_EQ(Get(c, "bootMgrSvn"), ClaimValue(int64_t{3}));
  EXPECT_EQ(Get(c, "bootAppSvn"), std::nullopt);
  EXPECT_THAT(c.underivable, IsEmpty());
}

TEST(DeriveWindowsClaims, DisagreeingBootCountersAreUnderivable) {
  std::vector<uint8_t> one, two;
  PutU64(&one, 5);
  PutU64(&two, 6);
  ASSERT_OK_AND_ASSIGN(
      DerivedClaims c,
      DeriveFromLog(WindowsLog(Tb({Tag(SIPAEVENT_BOOTCOUNTER, one)}),
                               Tb({Tag(SIPAEVENT_BOOTCOUNTER, two)}))));
  EXPECT_EQ(Get(c, "bootCount"), std::nullopt);
  EXPECT_THAT(WhyUnderivable(c, "bootCount"),
              HasSubstr("BOOTCOUNTER values disagree"));
}

TEST(DeriveWindowsClaims, BootCounterBeyondInt64IsUnderivable) {
  std::vector<uint8_t> huge;
  PutU64(&huge, 0x8000000000000000ull);
  ASSERT_OK_AND_ASSIGN(DerivedClaims c,
                       DeriveFromLog(WindowsLog(
                           Tb({Tag(SIPAEVENT_BOOTCOUNTER, huge)}), Tb({}))));
  EXPECT_THAT(WhyUnderivable(c, "bootCount"),
              HasSubstr("not a single integer"));
}

TEST(DeriveWindowsClaims, NonWbclSeparatorInSipaPcrIsUnderivable) {
  LogBuilder b({tpm::HashAlg::kSha256});
  b.Add(12, EV_EVENT_TAG, Tb({Bool(SIPAEVENT_SAFEMODE, true)}));
  b.Add(12, EV_SEPARATOR, Tb({Bool(SIPAEVENT_SAFEMODE, true)}));
  ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(b.Bytes()));
  EXPECT_THAT(
      WhyUnderivable(c, "notSafeMode"),
      HasSubstr("pcr 12: event 2: EV_SEPARATOR data is not a WBCL separator"));
}

TEST(DeriveWindowsClaims, MalformedSipaDataIsUnderivableWithItsFileOffset) {
  LogBuilder b({tpm::HashAlg::kSha256});
  b.Add(12, EV_EVENT_TAG, Tb({Bool(SIPAEVENT_CODEINTEGRITY, true)}));
  std::vector<uint8_t> bad = Tb({Bool(SIPAEVENT_CODEINTEGRITY, true)});
  bad[4] = 0x20;  // TRUSTBOUNDARY EventDataSize 32 > the 9 bytes present
  const size_t record = b.size();
  b.Add(13, EV_EVENT_TAG, bad);
  // Record header: pcr, type, count, alg, sha256 digest, size.
  const size_t data_offset = record + 4 + 4 + 4 + 2 + 32 + 4;
  ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(b.Bytes()));
  EXPECT_THAT(
      WhyUnderivable(c, "codeIntegrityEnabled"),
      HasSubstr("pcr 13: event 2: malformed SIPA data: offset " +
                std::to_string(data_offset) + ": SIPA event 0x40010001"));
  EXPECT_EQ(Get(c, "vbsEnabled"), ClaimValue(false));  // PCR 12/19 are fine
}

TEST(DeriveWindowsClaims, SecondTopLevelTrustBoundaryIsUnderivable) {
  LogBuilder b({tpm::HashAlg::kSha256});
  b.Add(12, EV_EVENT_TAG,
        Cat({Tb({Bool(SIPAEVENT_SAFEMODE, false)}),
             Tb({Bool(SIPAEVENT_SAFEMODE, true)})}));
  ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(b.Bytes()));
  EXPECT_THAT(WhyUnderivable(c, "notSafeMode"),
              HasSubstr("more than one top-level SIPA TRUSTBOUNDARY"));
}

TEST(DeriveWindowsClaims, NoActionRecordsInSipaPcrsAreIgnored) {
  LogBuilder b({tpm::HashAlg::kSha256});
  b.Add(12, EV_EVENT_TAG, Tb({Bool(SIPAEVENT_CODEINTEGRITY, true)}));
  std::map<tpm::HashAlg, std::vector<uint8_t>> zero = {
      {tpm::HashAlg::kSha256, std::vector<uint8_t>(32)}};
  b.AddWithDigests(12, EV_NO_ACTION, Tb({Bool(SIPAEVENT_CODEINTEGRITY, false)}),
                   zero);
  ASSERT_OK_AND_ASSIGN(DerivedClaims c, DeriveFromLog(b.Bytes()));
  EXPECT_THAT(c.underivable, IsEmpty());
  EXPECT_EQ(Get(c, "codeIntegrityEnabled"), ClaimValue(true));
}

}  // namespace
}  // namespace vigil::eventlog
