// The SIPA decoder over every Windows WBCL in the corpus
// (eventlog/testdata/corpus/MANIFEST.md, "WBCL"): each EV_EVENT_TAG record
// parses, and the decoded values equal the "raw SIPA values" the MANIFEST's
// independent decoder lists (distinct values, in order of first appearance)
// and its loaded-module (FILEPATH) record count.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "eventlog/event_types.h"
#include "eventlog/extract/windows/sipa.h"
#include "eventlog/extract/windows/sipa_payload.h"
#include "eventlog/parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::eventlog {
namespace {

using json = nlohmann::ordered_json;

constexpr char kCorpus[] = "eventlog/testdata/corpus/";

struct WbclCase {
  const char* path;             // under kCorpus
  const char* raw_sipa_values;  // MANIFEST "raw SIPA values", verbatim
  int filepath_records;
};

// Copied from MANIFEST.md.
const WbclCase
    kWbclLogs
        [] =
            {
                {"immune-gmbh-guard-oss/tpm12_windows_lenovo_x1carbonv3",
                 R"({"BOOTDEBUGGING": [0], "OSKERNELDEBUG": [0], "TESTSIGNING": [0], "FLIGHTSIGNING": [0], "CODEINTEGRITY": [1], "DATAEXECUTIONPREVENTION": [0], "SAFEMODE": [0], "WINPE": [0], "HYPERVISOR_LAUNCH_TYPE": [1], "VSM_LAUNCH_TYPE": [1], "HYPERVISOR_IOMMU_POLICY": [0], "HYPERVISOR_DEBUG": [0], "VBS_VSM_REQUIRED": [1], "BOOTCOUNTER": [0], "BITLOCKER_UNLOCK": [4, 1], "ELAM_KEYNAME": ["Windows Defender"], "TRANSFER_CONTROL": [1]})",
                 75},
                {"immune-gmbh-guard-oss/tpm2_windows_lenovo_yogax1v2",
                 R"({"BOOTDEBUGGING": [0], "OSKERNELDEBUG": [0], "TESTSIGNING": [0], "FLIGHTSIGNING": [0], "CODEINTEGRITY": [1], "DATAEXECUTIONPREVENTION": [0], "SAFEMODE": [0], "WINPE": [0], "HYPERVISOR_LAUNCH_TYPE": [0], "VSM_LAUNCH_TYPE": [0], "BOOTCOUNTER": [214], "BITLOCKER_UNLOCK": [4, 1], "ELAM_KEYNAME": ["Windows Defender"], "TRANSFER_CONTROL": [1]})",
                 72},
                {"immune-gmbh-guard-oss/windows_event_log",
                 R"({"BOOTDEBUGGING": [0], "TESTSIGNING": [0], "FLIGHTSIGNING": [0], "CODEINTEGRITY": [1], "BOOTCOUNTER": [120], "BITLOCKER_UNLOCK": [4, 1], "TRANSFER_CONTROL": [2]})",
                 4},
                {"immune-gmbh-guard-oss/derived/"
                 "IMN-SUPERMICRO-WBCL-Quote-AIKs.evidence.eventlog.bin",
                 R"({"BOOTDEBUGGING": [0], "OSKERNELDEBUG": [0], "TESTSIGNING": [0], "FLIGHTSIGNING": [0], "CODEINTEGRITY": [1], "DATAEXECUTIONPREVENTION": [1], "SAFEMODE": [0], "WINPE": [0], "HYPERVISOR_LAUNCH_TYPE": [0], "VSM_LAUNCH_TYPE": [0], "BOOTCOUNTER": [14], "BITLOCKER_UNLOCK": [0], "ELAM_KEYNAME": ["Windows Defender"], "TRANSFER_CONTROL": [1]})",
                 73},
                {"immune-gmbh-guard-oss/derived/"
                 "latitude-7520.evidence.eventlog.bin",
                 R"({"BOOTDEBUGGING": [0], "OSKERNELDEBUG": [0], "TESTSIGNING": [0], "FLIGHTSIGNING": [0], "CODEINTEGRITY": [1], "DATAEXECUTIONPREVENTION": [0], "SAFEMODE": [0], "WINPE": [0], "HYPERVISOR_LAUNCH_TYPE": [1], "VSM_LAUNCH_TYPE": [1], "HYPERVISOR_IOMMU_POLICY": [0], "HYPERVISOR_BOOT_DMA_PROTECTION": [0], "HYPERVISOR_DEBUG": [0], "VBS_VSM_REQUIRED": [1], "VBS_HVCI_POLICY": [1], "BOOTCOUNTER": [187], "BITLOCKER_UNLOCK": [0, 1], "ELAM_KEYNAME": ["Windows Defender"], "TRANSFER_CONTROL": [1, 5]})",
                 87},
                {"immune-gmbh-guard-oss/derived/"
                 "DESKTOP-MIMU51J-EPP-ESET.evidence.eventlog.bin",
                 R"({"BOOTDEBUGGING": [0], "OSKERNELDEBUG": [0], "TESTSIGNING": [0], "FLIGHTSIGNING": [0], "CODEINTEGRITY": [1], "DATAEXECUTIONPREVENTION": [0], "SAFEMODE": [0], "WINPE": [0], "HYPERVISOR_LAUNCH_TYPE": [0], "VSM_LAUNCH_TYPE": [0], "BOOTCOUNTER": [183], "BITLOCKER_UNLOCK": [0, 1], "ELAM_KEYNAME": ["Windows Defender"], "TRANSFER_CONTROL": [1]})",
                 73},
                {"immune-gmbh-guard-oss/derived/"
                 "dell-notebook-5eventlogs-WBCL.evidence.eventlog0.bin",
                 R"({"BOOTDEBUGGING": [0], "OSKERNELDEBUG": [0], "TESTSIGNING": [0], "FLIGHTSIGNING": [0], "CODEINTEGRITY": [1], "DATAEXECUTIONPREVENTION": [0], "SAFEMODE": [0], "WINPE": [0], "HYPERVISOR_LAUNCH_TYPE": [0], "VSM_LAUNCH_TYPE": [0], "BOOTCOUNTER": [168], "BITLOCKER_UNLOCK": [0, 1], "ELAM_KEYNAME": ["Windows Defender"], "TRANSFER_CONTROL": [1]})", 73},
                {"immune-gmbh-guard-oss/derived/"
                 "dell-notebook-5eventlogs-WBCL.evidence.eventlog1.bin",
                 R"({"BOOTDEBUGGING": [0], "TESTSIGNING": [0], "FLIGHTSIGNING": [0], "CODEINTEGRITY": [1], "BOOTCOUNTER": [169], "BITLOCKER_UNLOCK": [0, 1], "TRANSFER_CONTROL": [2]})",
                 3},
                {"immune-gmbh-guard-oss/derived/"
                 "dell-notebook-5eventlogs-WBCL.evidence.eventlog2.bin",
                 R"({"BOOTDEBUGGING": [0], "TESTSIGNING": [0], "FLIGHTSIGNING": [0], "CODEINTEGRITY": [1], "BOOTCOUNTER": [170], "BITLOCKER_UNLOCK": [0, 1], "TRANSFER_CONTROL": [2]})",
                 3},
                {"immune-gmbh-guard-oss/derived/"
                 "dell-notebook-5eventlogs-WBCL.evidence.eventlog3.bin",
                 R"({"BOOTDEBUGGING": [0], "TESTSIGNING": [0], "FLIGHTSIGNING": [0], "CODEINTEGRITY": [1], "BOOTCOUNTER": [171], "BITLOCKER_UNLOCK": [0, 1], "TRANSFER_CONTROL": [2]})",
                 3},
                {"immune-gmbh-guard-oss/derived/"
                 "dell-notebook-5eventlogs-WBCL.evidence.eventlog4.bin",
                 R"({"BOOTDEBUGGING": [0], "TESTSIGNING": [0], "FLIGHTSIGNING": [0], "CODEINTEGRITY": [1], "BOOTCOUNTER": [172], "BITLOCKER_UNLOCK": [0, 1], "TRANSFER_CONTROL": [2]})",
                 3},
                {"immune-gmbh-guard-oss/derived/x1carbon.eventlog.bin",
                 R"({"BOOTDEBUGGING": [0], "OSKERNELDEBUG": [0], "TESTSIGNING": [0], "FLIGHTSIGNING": [0], "CODEINTEGRITY": [1], "DATAEXECUTIONPREVENTION": [0], "SAFEMODE": [0], "WINPE": [0], "HYPERVISOR_LAUNCH_TYPE": [1], "VSM_LAUNCH_TYPE": [1], "HYPERVISOR_IOMMU_POLICY": [0], "HYPERVISOR_DEBUG": [0], "VBS_VSM_REQUIRED": [1], "VBS_HVCI_POLICY": [1], "BOOTCOUNTER": [206], "BITLOCKER_UNLOCK": [4, 1], "ELAM_KEYNAME": ["Windows Defender"], "TRANSFER_CONTROL": [1, 5]})",
                 89},
                {"immune-gmbh-guard-oss/derived/t480s.values.eventlog.bin",
                 R"({"BOOTDEBUGGING": [0], "OSKERNELDEBUG": [0], "TESTSIGNING": [0], "FLIGHTSIGNING": [0], "CODEINTEGRITY": [1], "DATAEXECUTIONPREVENTION": [0], "SAFEMODE": [0], "WINPE": [0], "HYPERVISOR_LAUNCH_TYPE": [0], "VSM_LAUNCH_TYPE": [0], "BOOTCOUNTER": [71], "BITLOCKER_UNLOCK": [0], "ELAM_KEYNAME": ["Windows Defender"], "TRANSFER_CONTROL": [1]})",
                 75},
};

// The keys the MANIFEST decoder reports whenever they occur.
const char* const kReportedKeys[] = {"BOOTDEBUGGING",
                                     "OSKERNELDEBUG",
                                     "TESTSIGNING",
                                     "FLIGHTSIGNING",
                                     "CODEINTEGRITY",
                                     "DATAEXECUTIONPREVENTION",
                                     "SAFEMODE",
                                     "WINPE",
                                     "HYPERVISOR_LAUNCH_TYPE",
                                     "VSM_LAUNCH_TYPE",
                                     "HYPERVISOR_IOMMU_POLICY",
                                     "HYPERVISOR_BOOT_DMA_PROTECTION",
                                     "HYPERVISOR_DEBUG",
                                     "VBS_VSM_REQUIRED",
                                     "VBS_HVCI_POLICY",
                                     "BOOTCOUNTER",
                                     "BITLOCKER_UNLOCK",
                                     "ELAM_KEYNAME",
                                     "TRANSFER_CONTROL"};

// The MANIFEST's "raw" value of a rendered payload: booleans as 0/1,
// enumerations as their Value.
json RawValue(const json& rendered) {
  if (rendered.is_boolean()) return rendered.get<bool>() ? 1 : 0;
  if (rendered.is_object() && rendered.contains("Value"))
    return rendered["Value"];
  return rendered;
}

struct Collected {
  json values =
      json::object();  // name -> distinct raw values, first-seen order
  int filepaths = 0;
};

void Walk(const std::vector<SipaEvent>& events, Collected* c) {
  for (const SipaEvent& ev : events) {
    if (ev.is_aggregation()) {
      Walk(ev.children, c);
      continue;
    }
    std::optional<SipaIdInfo> info = LookupSipaId(ev.id);
    if (!info.has_value()) continue;
    if (ev.id == SIPAEVENT_FILEPATH) ++c->filepaths;
    const std::string name(info->name);
    json v = RawValue(SipaPayloadJson(ev.id, ev.data));
    json& list = c->values[name];
    if (list.is_null()) list = json::array();
    if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
  }
}

class WbclCorpusTest : public ::testing::TestWithParam<WbclCase> {};

TEST_P(WbclCorpusTest, EveryEventTagParsesAndYieldsTheManifestValues) {
  const WbclCase& c = GetParam();
  std::vector<uint8_t> bytes = vigil::testing::ReadFileBytes(
      vigil::testing::SourcePath(std::string(kCorpus) + c.path));
  ASSERT_FALSE(bytes.empty()) << c.path;
  ASSERT_OK_AND_ASSIGN(EventLog log, Parse(bytes));

  Collected got;
  int tags = 0;
  for (const RawEvent& ev : log.events) {
    const bool trust_point = ev.pcr_index == kNoPcr;
    if (ev.untrusted_type != EV_EVENT_TAG && !trust_point) continue;
    ASSERT_OK_AND_ASSIGN(std::vector<SipaEvent> sipa, ParseSipaEvents(ev.data));
    std::optional<json> pd = SipaProcessedData(ev);
    ASSERT_TRUE(pd.has_value()) << "event " << ev.index;
    EXPECT_NO_THROW(pd->dump(-1, ' ', false, json::error_handler_t::strict));
    if (trust_point) {
      EXPECT_TRUE(pd->contains("EVENT_TRUSTPOINT_AGGREGATION")) << pd->dump();
      continue;
    }
    ++tags;
    if (ev.pcr_index == 12 || ev.pcr_index == 13) {
      EXPECT_TRUE((*pd)["EVENT_TRUSTBOUNDARY"].is_object())
          << "event " << ev.index;
    } else if (ev.pcr_index == 14) {
      EXPECT_TRUE(pd->contains("EVENT_TRUSTBOUNDARY") ||
                  (*pd)["EVENT_AUTHORITYPUBKEY"].is_array())
          << "event " << ev.index;
    }
    Walk(sipa, &got);
  }
  EXPECT_GE(tags, 6);

  json want = json::parse(c.raw_sipa_values);
  for (const char* key : kReportedKeys) {
    json expected = want.contains(key) ? want[key] : json::array();
    json actual = got.values.contains(key) ? got.values[key] : json::array();
    EXPECT_EQ(actual, expected) << c.path << ": " << key;
  }
  EXPECT_EQ(got.filepaths, c.filepath_records) << c.path;
}

INSTANTIATE_TEST_SUITE_P(Manifest, WbclCorpusTest,
                         ::testing::ValuesIn(kWbclLogs));

// Lenovo's TPM 1.2 firmware logs two EV_EVENT_TAG records of its own in
// PCR 1 (tagged-event IDs 5 and 6, not SIPA): they still render, under the
// unknown-ID keys, with base64url payloads.
TEST(FirmwareEventTags, NonSipaIdsRenderUnderUnknownKeys) {
  std::vector<uint8_t> bytes =
      vigil::testing::ReadFileBytes(vigil::testing::SourcePath(
          std::string(kCorpus) +
          "immune-gmbh-guard-oss/tpm12_windows_lenovo_x1carbonv3"));
  ASSERT_FALSE(bytes.empty());
  ASSERT_OK_AND_ASSIGN(EventLog log, Parse(bytes));
  std::set<std::string> keys;
  for (const RawEvent& ev : log.events) {
    if (ev.untrusted_type != EV_EVENT_TAG || ev.pcr_index != 1) continue;
    std::optional<json> pd = SipaProcessedData(ev);
    ASSERT_TRUE(pd.has_value()) << "event " << ev.index;
    for (const auto& [k, v] : pd->items()) {
      keys.insert(k);
      EXPECT_TRUE(v.is_string()) << k;
    }
  }
  EXPECT_EQ(keys, (std::set<std::string>{"EVENT_UNKNOWN_0x00000005",
                                         "EVENT_UNKNOWN_0x00000006"}));
}

// MANIFEST lists nsacyber-HIRS/TpmLog.bin (bootmgfw.efi) among the candidate
// Windows logs; it has no EV_EVENT_TAG record, so there is nothing to decode.
TEST(HirsTpmLog, HasNoEventTagRecords) {
  std::vector<uint8_t> bytes =
      vigil::testing::ReadFileBytes(vigil::testing::SourcePath(
          std::string(kCorpus) + "nsacyber-HIRS/TpmLog.bin"));
  ASSERT_FALSE(bytes.empty());
  ASSERT_OK_AND_ASSIGN(EventLog log, Parse(bytes));
  for (const RawEvent& ev : log.events)
    EXPECT_NE(ev.untrusted_type, EV_EVENT_TAG);
}

}  // namespace
}  // namespace vigil::eventlog
