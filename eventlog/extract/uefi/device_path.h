// File: eventlog/extract/uefi/device_path.h
// -----------------------------------------------------------------------------
// EFI_DEVICE_PATH_PROTOCOL (UEFI 2.10 §10.2-§10.3): a sequence of nodes
//   { UINT8 Type; UINT8 SubType; UINT8 Length[2]; UINT8 Data[Length - 4]; }
// ended by an End Entire node (Type 0x7F, SubType 0xFF). Device paths appear
// in UEFI_IMAGE_LOAD_EVENT (EV_EFI_BOOT_SERVICES_APPLICATION, PFP §10.2.3) and
// EFI_LOAD_OPTION.FilePathList (Boot####, UEFI §3.1.3).
//
// Text follows UEFI §10.6 "Device Path to Text" (as EDK2's
// DevicePathToTextLib renders it) for the common node types, for example
//   PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x0,0xFFFF,0x0)/HD(1,GPT,<guid>,0x800,0x100000)/\EFI\ubuntu\shimx64.efi
// and "Path(type,subtype,hex)" for the rest. Pure parsing of UNTRUSTED bytes;
// the device path of an image load event is not covered by its digest, so it
// is a hint about where an image came from, never proof.

#ifndef VIGIL_EVENTLOG_EXTRACT_UEFI_DEVICE_PATH_H_
#define VIGIL_EVENTLOG_EXTRACT_UEFI_DEVICE_PATH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "nlohmann/json.hpp"

namespace vigil::eventlog {

// Device path node types (UEFI 2.10 §10.3.1, Table 10.2).
inline constexpr uint8_t HARDWARE_DEVICE_PATH = 0x01;
inline constexpr uint8_t ACPI_DEVICE_PATH = 0x02;
inline constexpr uint8_t MESSAGING_DEVICE_PATH = 0x03;
inline constexpr uint8_t MEDIA_DEVICE_PATH = 0x04;
inline constexpr uint8_t BBS_DEVICE_PATH = 0x05;
inline constexpr uint8_t END_DEVICE_PATH_TYPE = 0x7F;
inline constexpr uint8_t END_ENTIRE_DEVICE_PATH_SUBTYPE = 0xFF;
inline constexpr uint8_t END_INSTANCE_DEVICE_PATH_SUBTYPE = 0x01;
// Media subtypes used by callers (UEFI §10.3.5).
inline constexpr uint8_t MEDIA_HARDDRIVE_DP = 0x01;
inline constexpr uint8_t MEDIA_FILEPATH_DP = 0x04;

// Most nodes accepted in one device path. Real paths have fewer than 10; the
// cap bounds work on hostile input whose nodes are 4 bytes each.
inline constexpr size_t kMaxDevicePathNodes = 256;

struct DevicePathNode {
  size_t offset = 0;  // absolute offset of the node header
  uint8_t type = 0;
  uint8_t sub_type = 0;
  absl::Span<const uint8_t> data;  // the Length - 4 bytes after the header
};

struct DevicePath {
  // Every node in order, End Instance nodes included, the final End Entire
  // node excluded.
  std::vector<DevicePathNode> nodes;
  // False when the bytes ran out without an End Entire node (tolerated:
  // some firmware omits it when LengthOfDevicePath bounds the path).
  bool terminated = false;
};

// ParseDevicePath(data, base_offset): one device path starting at data[0],
// read up to and including its End Entire node; `*consumed` (if non-null)
// receives the number of bytes used, so multi-path lists (FilePathList) can
// continue after it. Spans point into `data`.
// Fails with kInvalidArgument, "offset N: <reason>", when a node header is
// truncated, a node Length is < 4 or runs past the end of `data`, or there
// are more than kMaxDevicePathNodes nodes.
absl::StatusOr<DevicePath> ParseDevicePath(absl::Span<const uint8_t> data,
                                           size_t base_offset = 0,
                                           size_t* consumed = nullptr);

// ParseDevicePathList(data, base_offset): device paths back to back until
// `data` is used up (EFI_LOAD_OPTION.FilePathList). Fails as ParseDevicePath.
absl::StatusOr<std::vector<DevicePath>> ParseDevicePathList(
    absl::Span<const uint8_t> data, size_t base_offset = 0);

// The UEFI text form of one node ("Pci(0x1F,0x2)", "\EFI\BOOT\BOOTX64.EFI").
// Never fails: malformed node bodies render generically.
std::string DevicePathNodeToText(const DevicePathNode& node);
// Nodes joined with "/", instances with ",". "" for an empty path.
std::string DevicePathToText(const DevicePath& path);
// The concatenated media FilePath nodes ("\EFI\ubuntu\shimx64.efi"), or "" if
// the path has none. Like everything here, untrusted.
std::string DevicePathFileName(const DevicePath& path);

// The name MAA renders for a node Type ("ACPI", "Media", ...; §3.3 of
// docs/maa-spec.md shows "ACPI"; the others follow UEFI Table 10.2 and are
// inferred), or "Unknown".
absl::string_view DevicePathTypeName(uint8_t type);

// The MAA `DevicePath` object for an image load event: the first node's
// header, {"Type":{"String":"ACPI","Value":2},"SubType":1} (maa-spec §3.3),
// or null for an empty path.
nlohmann::ordered_json DevicePathMaaJson(const DevicePath& path);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_EXTRACT_UEFI_DEVICE_PATH_H_
