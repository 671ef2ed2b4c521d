// Golden-style tests over the real logs in eventlog/testdata/corpus: the
// Secure Boot state and claim each log must yield (MANIFEST.md "SecureBoot
// EFI variable measured in PCR7"), the EFI applications it loaded (MANIFEST
// "identity hints"), the go-tpm-tools TestParseSecureBootState assertions for
// ubuntu-1804-amd-sev, and that every event's ProcessedData/description is
// produced without a crash.

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "eventlog/event_types.h"
#include "eventlog/extract/uefi/boot_events.h"
#include "eventlog/extract/uefi/device_path.h"
#include "eventlog/extract/uefi/processed_data.h"
#include "eventlog/extract/uefi/secure_boot.h"
#include "eventlog/parser.h"
#include "eventlog/replay.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tpm/types/hash_alg.h"
#include "tpm/types/pcr_bank.h"

namespace vigil::eventlog {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::vigil::testing::ReadFileBytes;
using ::vigil::testing::ReadFileText;
using ::vigil::testing::SourcePath;

constexpr char kCorpus[] = "eventlog/testdata/corpus/";

struct CorpusCase {
  const char* path;
  // The measured SecureBoot variable per MANIFEST: "01", "00", "" (measured
  // empty) or "absent" (no SecureBoot event in PCR 7).
  const char* secure_boot;
  std::vector<std::string> efi_apps;  // MANIFEST identity hints, in order
};

const std::vector<CorpusCase>& Cases() {
  static const auto* cases = new std::vector<CorpusCase>{
      // MANIFEST lists no app: its decoder missed a path split over two
      // FilePath nodes ("\EFI\centos", "grubx64.efi").
      {"google-go-attestation/crypto_agile_eventlog", "",
       {"\\EFI\\centos\\grubx64.efi"}},
      {"google-go-attestation/coreos_36_shielded_vm_no_secure_boot_eventlog",
       "00",
       {"\\EFI\\fedora\\shimx64.efi", "\\EFI\\fedora\\grubx64.efi"}},
      {"google-go-attestation/short_no_action_eventlog", "absent", {}},
      {"google-go-tpm-tools/ubuntu-1804-amd-sev.bin", "00",
       {"\\EFI\\ubuntu\\shimx64.efi"}},
      {"google-go-tpm-tools/ubuntu-2104-no-dbx.bin", "00",
       {"\\EFI\\ubuntu\\shimx64.efi", "\\EFI\\ubuntu\\grubx64.efi"}},
      {"google-go-tpm-tools/ubuntu-2104-no-secure-boot.bin", "00",
       {"\\EFI\\ubuntu\\shimx64.efi", "\\EFI\\ubuntu\\grubx64.efi"}},
      {"google-go-tpm-tools/ubuntu-2404-amd-sevsnp.bin", "00",
       {"\\EFI\\ubuntu\\shimx64.efi", "\\EFI\\ubuntu\\grubx64.efi"}},
      {"google-go-tpm-tools/glinux-alex.bin", "00",
       {"\\EFI\\DEBIAN\\GRUBX64.EFI"}},
      // MANIFEST omits the kernel systemd-boot loads as an EFI application.
      {"google-go-tpm-tools/arch-linux-workstation.bin", "",
       {"\\EFI\\SYSTEMD\\SYSTEMD-BOOTX64.EFI", "\\vmlinuz-linux-lts"}},
      {"google-go-tpm-tools/debian-10.bin", "01", {"\\EFI\\BOOT\\BOOTX64.EFI"}},
      {"google-go-tpm-tools/cos-85-amd-sev.bin", "01",
       {"\\EFI\\BOOT\\BOOTX64.EFI"}},
      {"google-go-tpm-tools/cos-93-amd-sev.bin", "01",
       {"\\EFI\\BOOT\\BOOTX64.EFI"}},
      {"google-go-tpm-tools/eventlogwithsp800155.bin", "01",
       {"\\EFI\\BOOT\\BOOTX64.EFI", "\\EFI\\BOOT\\grub-lakitu.efi"}},
      {"google-go-tpm-tools/confidential-gke-debug-251000_eventlog.bin", "01",
       {"\\EFI\\BOOT\\BOOTX64.EFI", "\\EFI\\BOOT\\grub-lakitu.efi"}},
      {"tpm2-software-tpm2-tools/event-arch-linux.bin", "",
       {"\\EFI\\SYSTEMD\\SYSTEMD-BOOTX64.EFI", "\\vmlinuz-linux-lts"}},
      {"tpm2-software-tpm2-tools/event-bootorder.bin", "00",
       {"\\EFI\\BOOT\\BOOTX64.EFI"}},
      {"tpm2-software-tpm2-tools/event-postcode.bin", "01", {}},
      {"tpm2-software-tpm2-tools/event-uefi-sha1-log.bin", "",
       {"\\EFI\\ubuntu\\shimx64.efi"}},
      {"tpm2-software-tpm2-tools/event-sd-boot-fedora37.bin", "", {}},
      {"tpm2-software-tpm2-tss/binary_measurements_pc_client.bin", "",
       {"\\EFI\\ubuntu\\shimx64.efi"}},
      {"keylime-keylime/binary_bios_measurements", "00",
       {"\\EFI\\fedora\\shimx64.efi", "\\EFI\\fedora\\grubx64.efi"}},
      {"keylime-keylime/mb_log.bin", "01",
       {"\\EFI\\centos\\shimx64.efi", "\\EFI\\centos\\grubx64.efi"}},
      {"nsacyber-HIRS/TpmLog.bin", "00",
       {"\\EFI\\Microsoft\\Boot\\bootmgfw.efi", "\\Tcg2DumpLog.efi"}},
      {"nsacyber-HIRS/TPMLog_Altered.bin", "00",
       {"\\EFI\\Microsoft\\Boot\\bootmgfw.efi", "\\Tcg2DumpLog.efi"}},
      {"nsacyber-HIRS/laptop_default_binary_bios_measurements", "01",
       {"\\EFI\\centos\\shimx64.efi", "\\EFI\\centos\\grubx64.efi"}},
      {"9elements-tpmtool/binary_bios_measurements_tpm12_bios", "absent", {}},
      {"9elements-tpmtool/binary_bios_measurements_tpm12_efi", "absent",
       {"\\EFI\\BOOT\\BOOTX64.EFI"}},
      {"9elements-tpmtool/binary_bios_measurements_tpm20_efi_non_agile", "01",
       {"\\EFI\\BOOT\\BOOTX64.EFI"}},
      {"immune-gmbh-guard-oss/tpm12_windows_lenovo_x1carbonv3", "01",
       {"\\EFI\\Microsoft\\Boot\\bootmgfw.efi"}},
      {"immune-gmbh-guard-oss/tpm2_windows_lenovo_yogax1v2", "01",
       {"\\EFI\\Microsoft\\Boot\\bootmgfw.efi"}},
      {"immune-gmbh-guard-oss/windows_event_log", "01",
       {"\\EFI\\Microsoft\\Boot\\bootmgfw.efi"}},
      {"immune-gmbh-guard-oss/binary_bios_measurements_15", "00", {}},
      // MANIFEST lists no app; the log loads two Dell tools from USB (MBR).
      // Its separators carry the single byte 0xFF (tolerated, rule 3).
      {"immune-gmbh-guard-oss/binary_bios_measurements_27", "absent",
       {"\\efi\\Dell\\System_Services\\System_Services.efi",
        "\\efi\\dell\\system_services\\shell.efi"}},
      {"immune-gmbh-guard-oss/linux_event_log", "00",
       {"\\EFI\\debian\\grubx64.efi"}},
      {"immune-gmbh-guard-oss/derived/"
       "IMN-SUPERMICRO-WBCL-Quote-AIKs.evidence.eventlog.bin",
       "absent",
       {"\\EFI\\MICROSOFT\\BOOT\\BOOTMGFW.EFI"}},
      {"immune-gmbh-guard-oss/derived/latitude-7520.evidence.eventlog.bin",
       "00",
       {"\\EFI\\Boot\\BootX64.efi"}},
      {"immune-gmbh-guard-oss/derived/"
       "DESKTOP-MIMU51J-EPP-ESET.evidence.eventlog.bin",
       "00",
       {"\\EFI\\Boot\\BootX64.efi"}},
      {"immune-gmbh-guard-oss/derived/"
       "dell-notebook-5eventlogs-WBCL.evidence.eventlog0.bin",
       "00",
       {"\\EFI\\Boot\\BootX64.efi"}},
      {"immune-gmbh-guard-oss/derived/"
       "dell-notebook-5eventlogs-WBCL.evidence.eventlog4.bin",
       "00",
       {"\\EFI\\Boot\\BootX64.efi"}},
      {"immune-gmbh-guard-oss/derived/x1carbon.eventlog.bin", "01",
       {"\\EFI\\Microsoft\\Boot\\bootmgfw.efi"}},
      {"immune-gmbh-guard-oss/derived/t480s.values.eventlog.bin", "01",
       {"\\EFI\\Microsoft\\Boot\\bootmgfw.efi"}},
      {"immune-gmbh-guard-oss/derived/ludmilla.evidence.eventlog.bin", "00",
       {"\\EFI\\ubuntu\\shimx64.efi", "\\EFI\\ubuntu\\grubx64.efi"}},
      {"immune-gmbh-guard-oss/derived/"
       "test-HP-EliteBook-830-G6-baseline.eventlog.bin",
       "01",
       {"\\EFI\\ubuntu\\shimx64.efi", "\\EFI\\ubuntu\\grubx64.efi"}},
      {"immune-gmbh-guard-oss/derived/good-1.evidence.eventlog.bin", "01",
       {"\\EFI\\Gentoo\\kernel.efi"}},
      {"immune-gmbh-guard-oss/derived/"
       "issue926-x1carbon-before.evidence.eventlog.bin",
       "01",
       {"\\EFI\\Gentoo\\kernel.efi"}},
      {"immune-gmbh-guard-oss/derived/"
       "hahuri-invalid-eventlog.values.eventlog.bin",
       "01",
       {"\\EFI\\gentoo\\fwupdx64.efi", "\\EFI\\Gentoo\\kernel.efi"}},
  };
  return *cases;
}

absl::StatusOr<EventLog> Load(const std::string& rel) {
  std::vector<uint8_t> bytes = ReadFileBytes(SourcePath(kCorpus + rel));
  if (bytes.empty()) return absl::NotFoundError(rel);
  return Parse(bytes);
}

std::vector<std::string> EfiApps(const EventLog& log) {
  std::vector<std::string> apps;
  for (const RawEvent& ev : log.events) {
    if (ev.untrusted_type != EV_EFI_BOOT_SERVICES_APPLICATION) continue;
    absl::StatusOr<UefiImageLoadEvent> img = ParseUefiImageLoadEvent(ev.data);
    if (!img.ok()) continue;
    std::string name = DevicePathFileName(img->device_path);
    if (!name.empty() &&
        std::find(apps.begin(), apps.end(), name) == apps.end()) {
      apps.push_back(name);
    }
  }
  return apps;
}

TEST(UefiCorpus, SecureBootStateAndClaimMatchManifest) {
  for (const CorpusCase& c : Cases()) {
    SCOPED_TRACE(c.path);
    ASSERT_OK_AND_ASSIGN(EventLog log, Load(c.path));
    ASSERT_OK_AND_ASSIGN(ReplayedLog replayed, InsecureReplayWithoutQuote(log));
    const std::string want = c.secure_boot;

    DerivedClaims claims;
    DeriveUefiClaims(replayed, &claims);
    const ClaimValue* claim = claims.Find("secureBootEnabled");
    ASSERT_NE(claim, nullptr)
        << (claims.underivable.empty() ? "" : claims.underivable[0].reason);
    EXPECT_EQ(std::get<bool>(*claim), want == "01");

    absl::StatusOr<SecureBootState> state = ExtractSecureBoot(replayed);
    ASSERT_OK(state);
    if (want == "absent") {
      EXPECT_FALSE(state->enabled.has_value());
    } else {
      ASSERT_TRUE(state->enabled.has_value());
      EXPECT_EQ(*state->enabled, want == "01");
      if (want.empty()) {
        ASSERT_TRUE(state->secure_boot_raw.has_value());
        EXPECT_TRUE(state->secure_boot_raw->empty());
      }
    }
  }
}

TEST(UefiCorpus, EfiApplicationPathsMatchManifest) {
  for (const CorpusCase& c : Cases()) {
    SCOPED_TRACE(c.path);
    ASSERT_OK_AND_ASSIGN(EventLog log, Load(c.path));
    EXPECT_THAT(EfiApps(log), ElementsAreArray(c.efi_apps));
  }
}

TEST(UefiCorpus, EveryEventRendersWithoutError) {
  for (const CorpusCase& c : Cases()) {
    SCOPED_TRACE(c.path);
    ASSERT_OK_AND_ASSIGN(EventLog log, Load(c.path));
    for (const RawEvent& ev : log.events) {
      SCOPED_TRACE(ev.index);
      std::optional<nlohmann::ordered_json> pd = UefiProcessedData(ev);
      std::string line = DescribeUefiEvent(ev);
      // Every decodable UEFI type in real logs decodes.
      switch (ev.untrusted_type) {
        case EV_EFI_VARIABLE_DRIVER_CONFIG:
        case EV_EFI_VARIABLE_AUTHORITY:
        case EV_EFI_BOOT_SERVICES_APPLICATION:
        case EV_EFI_GPT_EVENT:
        case EV_EFI_PLATFORM_FIRMWARE_BLOB:
        case EV_EFI_ACTION:
          EXPECT_TRUE(pd.has_value());
          EXPECT_THAT(line, ::testing::Not(HasSubstr("malformed")));
          break;
        default:
          break;
      }
      if (pd.has_value()) {
        // Round-trips through text with exact 64-bit integers.
        std::string text = pd->dump();
        nlohmann::ordered_json back =
            nlohmann::ordered_json::parse(text, nullptr, false);
        ASSERT_FALSE(back.is_discarded());
        EXPECT_EQ(back, *pd);
      }
    }
  }
}

// go-tpm-tools server/eventlog_test.go:729-791 TestParseSecureBootState.
TEST(UefiCorpus, Ubuntu1804AmdSevDatabasesMatchGoTpmTools) {
  ASSERT_OK_AND_ASSIGN(EventLog log,
                       Load("google-go-tpm-tools/ubuntu-1804-amd-sev.bin"));
  ASSERT_OK_AND_ASSIGN(ReplayedLog replayed, InsecureReplayWithoutQuote(log));
  ASSERT_OK_AND_ASSIGN(SecureBootState sb, ExtractSecureBoot(replayed));
  // MANIFEST caution: the comment says enabled but the measured value is 0.
  ASSERT_TRUE(sb.enabled.has_value());
  EXPECT_FALSE(*sb.enabled);

  auto certs = [](const std::optional<std::vector<EfiSignatureList>>& db) {
    std::vector<std::string> subjects;
    size_t hashes = 0;
    for (const EfiSignatureList& l : *db) {
      for (const EfiSignatureData& s : l.signatures) {
        if (l.signature_type == EfiCertX509Guid()) {
          subjects.push_back(s.x509.has_value() ? s.x509->subject
                                                : "undecodable");
        } else {
          ++hashes;
        }
      }
    }
    return std::make_pair(subjects, hashes);
  };
  ASSERT_TRUE(sb.pk.has_value());
  auto [pk, pk_hashes] = certs(sb.pk);
  ASSERT_EQ(pk.size(), 1u);
  EXPECT_EQ(pk_hashes, 0u);
  ASSERT_TRUE(sb.kek.has_value());
  auto [kek, kek_hashes] = certs(sb.kek);
  ASSERT_EQ(kek.size(), 1u);
  EXPECT_THAT(kek[0], HasSubstr("CN=Microsoft Corporation KEK CA 2011"));
  ASSERT_TRUE(sb.db.has_value());
  auto [db, db_hashes] = certs(sb.db);
  EXPECT_EQ(db_hashes, 0u);
  ASSERT_EQ(db.size(), 2u);
  EXPECT_THAT(db, ::testing::UnorderedElementsAre(
                      HasSubstr("CN=Microsoft Windows Production PCA 2011"),
                      HasSubstr("CN=Microsoft Corporation UEFI CA 2011")));
  // Print for the golden record (rule 19: show actual output).
  for (const auto& s : pk) std::cout << "PK: " << s << "\n";
  for (const auto& s : kek) std::cout << "KEK: " << s << "\n";
  for (const auto& s : db) std::cout << "db: " << s << "\n";
}

}  // namespace
}  // namespace vigil::eventlog
