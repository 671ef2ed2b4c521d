// File: eventlog/extract/uefi/boot_events.h
// -----------------------------------------------------------------------------
// Decoders for the event data of the UEFI boot events (TCG PC Client Platform
// Firmware Profile 1.05 rev 23, §10.4.1 Table 9 and §10.2.x structures):
//
//   EV_EFI_BOOT_SERVICES_APPLICATION / _DRIVER / EV_EFI_RUNTIME_SERVICES_DRIVER
//       UEFI_IMAGE_LOAD_EVENT (§10.2.3)
//   EV_EFI_VARIABLE_BOOT / _BOOT2       BootOrder (UINT16[]) and Boot####
//       (EFI_LOAD_OPTION, UEFI 2.10 §3.1.3) inside UEFI_VARIABLE_DATA
//   EV_EFI_PLATFORM_FIRMWARE_BLOB / 2   UEFI_PLATFORM_FIRMWARE_BLOB(2) (§10.2.4)
//   EV_EFI_HANDOFF_TABLES / 2           UEFI_HANDOFF_TABLE_POINTERS(2) (§10.2.5)
//   EV_EFI_GPT_EVENT / 2                UEFI_GPT_DATA (§10.2.6)
//   EV_EFI_ACTION, EV_ACTION, EV_S_CRTM_VERSION, EV_IPL   text
//   EV_SEPARATOR                        UINT32 (§3.3.2.2)
//
// Pure parsing of UNTRUSTED bytes. For most of these types the digest does NOT
// cover the data (image load events hash the PE image, firmware blobs the
// memory), so the decoded fields are hints about the measured object, not
// facts; only GPT, EFI_ACTION, separator and variable data are digest-covered
// (eventlog/event_types.h DigestCoversData). Every length field is validated
// through common/byte_reader.h.

#ifndef VIGIL_EVENTLOG_EXTRACT_UEFI_BOOT_EVENTS_H_
#define VIGIL_EVENTLOG_EXTRACT_UEFI_BOOT_EVENTS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "eventlog/extract/uefi/device_path.h"
#include "eventlog/uefi_variable.h"

namespace vigil::eventlog {

// UEFI_IMAGE_LOAD_EVENT. UINTN fields are 8 bytes on the 64-bit platforms
// every corpus log comes from; `uintn_size` lets 32-bit logs (Spec ID
// uintnSize == 1) be read with 4.
struct UefiImageLoadEvent {
  uint64_t image_location_in_memory = 0;
  uint64_t image_length_in_memory = 0;
  uint64_t image_link_time_address = 0;
  uint64_t length_of_device_path = 0;
  DevicePath device_path;
  size_t trailing_bytes = 0;  // after LengthOfDevicePath bytes
};

// ParseUefiImageLoadEvent(data, base_offset, uintn_size): fails with
// kInvalidArgument ("offset N: ...") when the fixed fields are truncated,
// LengthOfDevicePath exceeds the remaining bytes, `uintn_size` is not 4 or 8,
// or the device path is malformed (ParseDevicePath).
absl::StatusOr<UefiImageLoadEvent> ParseUefiImageLoadEvent(
    absl::Span<const uint8_t> data, size_t base_offset = 0,
    size_t uintn_size = 8);

// EFI_LOAD_OPTION (UEFI 2.10 §3.1.3), the value of Boot####.
struct EfiLoadOption {
  uint32_t attributes = 0;  // LOAD_OPTION_ACTIVE = 0x1, ...
  uint16_t file_path_list_length = 0;
  std::string description;  // UTF-8 from the NUL-terminated CHAR16 string
  std::vector<DevicePath> file_path_list;
  absl::Span<const uint8_t> optional_data;
};

// Longest Description accepted, in CHAR16 units.
inline constexpr size_t kMaxLoadOptionDescriptionChars = 4096;

// ParseEfiLoadOption(data, base_offset): fails with kInvalidArgument when the
// header is truncated, Description has no NUL within the data or
// kMaxLoadOptionDescriptionChars, is not valid UTF-16, FilePathListLength
// runs past the end, or a device path in the list is malformed.
absl::StatusOr<EfiLoadOption> ParseEfiLoadOption(absl::Span<const uint8_t> data,
                                                 size_t base_offset = 0);

// ParseBootOrder(data, base_offset): the BootOrder variable, UINT16 option
// numbers. Fails with kInvalidArgument on an odd length.
absl::StatusOr<std::vector<uint16_t>> ParseBootOrder(
    absl::Span<const uint8_t> data, size_t base_offset = 0);

// True for "Boot" followed by exactly four hex digits (UEFI §3.3).
bool IsBootOptionName(absl::string_view name);

// UEFI_PLATFORM_FIRMWARE_BLOB and UEFI_PLATFORM_FIRMWARE_BLOB2.
struct FirmwareBlob {
  std::optional<std::string> description;  // BLOB2 only; bytes as text
  uint64_t blob_base = 0;
  uint64_t blob_length = 0;
};
// Fails with kInvalidArgument when truncated (BLOB: 16 bytes; BLOB2: the
// BlobDescriptionSize-prefixed description then 16 bytes).
absl::StatusOr<FirmwareBlob> ParseFirmwareBlob(absl::Span<const uint8_t> data,
                                               size_t base_offset = 0);
absl::StatusOr<FirmwareBlob> ParseFirmwareBlob2(absl::Span<const uint8_t> data,
                                                size_t base_offset = 0);

// UEFI_HANDOFF_TABLE_POINTERS(2): EFI_CONFIGURATION_TABLE entries.
struct HandoffTables {
  std::optional<std::string> description;  // TABLES2 only
  struct Entry {
    EfiGuid vendor_guid;
    uint64_t vendor_table = 0;
  };
  std::vector<Entry> tables;
};
// Fails with kInvalidArgument when NumberOfTables entries (24 bytes each) do
// not fit in the data, or the description prefix overruns.
absl::StatusOr<HandoffTables> ParseHandoffTables(absl::Span<const uint8_t> data,
                                                 size_t base_offset = 0);
absl::StatusOr<HandoffTables> ParseHandoffTables2(
    absl::Span<const uint8_t> data, size_t base_offset = 0);

// UEFI_GPT_DATA: UEFI_PARTITION_TABLE_HEADER (UEFI 2.10 §5.3.2, 92 bytes),
// UINT64 NumberOfPartitions, then that many entries of
// SizeOfPartitionEntry bytes each (EDK2 Tcg2Dxe copies the header's size).
struct GptPartitionEntry {
  EfiGuid partition_type_guid;
  EfiGuid unique_partition_guid;
  uint64_t starting_lba = 0;
  uint64_t ending_lba = 0;
  uint64_t attributes = 0;
  std::string partition_name;  // UTF-8; "" if the name is not valid UTF-16
};
struct GptData {
  uint64_t signature = 0;  // "EFI PART" = 0x5452415020494645
  uint32_t revision = 0;
  uint32_t header_size = 0;
  uint32_t header_crc32 = 0;
  uint32_t reserved = 0;
  uint64_t my_lba = 0;
  uint64_t alternate_lba = 0;
  uint64_t first_usable_lba = 0;
  uint64_t last_usable_lba = 0;
  EfiGuid disk_guid;
  uint64_t partition_entry_lba = 0;
  uint32_t number_of_partition_entries = 0;
  uint32_t size_of_partition_entry = 0;
  uint32_t partition_entry_array_crc32 = 0;
  uint64_t number_of_partitions = 0;
  std::vector<GptPartitionEntry> partitions;
};
// Most partitions accepted (the GPT default array holds 128).
inline constexpr uint64_t kMaxGptPartitions = 1024;
// Largest SizeOfPartitionEntry accepted (UEFI: 128 * 2^n; real disks use 128).
inline constexpr uint32_t kMaxGptEntrySize = 4096;

// ParseGptData(data, base_offset): fails with kInvalidArgument when the
// header is truncated, SizeOfPartitionEntry < 128 or > kMaxGptEntrySize,
// NumberOfPartitions > kMaxGptPartitions or its entries run past the end, or
// bytes follow the last entry.
absl::StatusOr<GptData> ParseGptData(absl::Span<const uint8_t> data,
                                     size_t base_offset = 0);

// Event text (EV_EFI_ACTION, EV_ACTION, EV_S_CRTM_VERSION, EV_IPL, EV_POST_CODE
// strings): ASCII (grub's "grub_cmd: ...", "Exit Boot Services Invocation")
// or UTF-16LE (EDK2's S-CRTM version, systemd-boot's kernel command line).
struct EventText {
  enum class Encoding { kAscii, kUtf16, kBinary };
  Encoding encoding = Encoding::kBinary;
  // The text without trailing NULs; for kBinary, lower-case hex of the data.
  std::string text;
};
// Never fails: data that is neither printable ASCII/UTF-8 nor UTF-16LE text is
// reported as kBinary. Trailing NULs are dropped before deciding.
EventText DecodeEventText(absl::Span<const uint8_t> data);

// EV_SEPARATOR data (PFP §3.3.2.2 and §10.4.1): 0x00000000 normally,
// 0xFFFFFFFF when firmware hit an error; Windows logs use "WBCL" in PCR12-14.
struct Separator {
  uint32_t value = 0;
  bool is_error = false;  // 0xFFFFFFFF
};
// Fails with kInvalidArgument unless the data is exactly 4 bytes.
absl::StatusOr<Separator> ParseSeparator(absl::Span<const uint8_t> data,
                                         size_t base_offset = 0);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_EXTRACT_UEFI_BOOT_EVENTS_H_
