#include "eventlog/extract/uefi/device_path.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/byte_reader.h"
#include "common/encoding.h"
#include "eventlog/uefi_variable.h"

namespace vigil::eventlog {
namespace {

constexpr size_t kNodeHeaderSize = 4;
// EISA PNP ids as ACPI_HID_DEVICE_PATH.HID stores them (UEFI §10.3.3).
constexpr uint32_t kPnpEisaId = 0x41D0;

absl::Status Error(size_t offset, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("offset ", offset, ": ", reason));
}

std::string Generic(const DevicePathNode& n) {
  return absl::StrFormat("Path(%d,%d,%s)", n.type, n.sub_type,
                         HexEncode(n.data));
}

std::string Hardware(const DevicePathNode& n) {
  ByteReader r(n.data);
  switch (n.sub_type) {
    case 0x01: {  // HW_PCI_DP: Function, Device
      uint8_t function, device;
      if (r.ReadU8(&function) && r.ReadU8(&device)) {
        return absl::StrFormat("Pci(0x%X,0x%X)", device, function);
      }
      break;
    }
    case 0x03: {  // HW_MEMMAP_DP
      uint32_t mem_type;
      uint64_t start, end;
      if (r.ReadU32Le(&mem_type) && r.ReadU64Le(&start) && r.ReadU64Le(&end)) {
        return absl::StrFormat("MemoryMapped(0x%X,0x%X,0x%X)", mem_type, start,
                               end);
      }
      break;
    }
    case 0x04: {  // HW_VENDOR_DP
      EfiGuid g;
      if (ReadEfiGuid(r, &g)) {
        return r.empty() ? absl::StrCat("VenHw(", g.ToString(), ")")
                         : absl::StrCat("VenHw(", g.ToString(), ",",
                                        HexEncode(r.Rest()), ")");
      }
      break;
    }
    case 0x05: {  // HW_CONTROLLER_DP
      uint32_t ctrl;
      if (r.ReadU32Le(&ctrl)) return absl::StrFormat("Ctrl(0x%X)", ctrl);
      break;
    }
    default:
      break;
  }
  return Generic(n);
}

std::string Acpi(const DevicePathNode& n) {
  ByteReader r(n.data);
  switch (n.sub_type) {
    case 0x01: {  // ACPI_DP: HID, UID
      uint32_t hid, uid;
      if (!r.ReadU32Le(&hid) || !r.ReadU32Le(&uid)) break;
      if ((hid & 0xFFFF) == kPnpEisaId) {
        switch (hid >> 16) {
          case 0x0A03:
            return absl::StrFormat("PciRoot(0x%X)", uid);
          case 0x0A08:
            return absl::StrFormat("PcieRoot(0x%X)", uid);
          case 0x0604:
            return absl::StrFormat("Floppy(0x%X)", uid);
          case 0x0301:
            return absl::StrFormat("Keyboard(0x%X)", uid);
          case 0x0501:
            return absl::StrFormat("Serial(0x%X)", uid);
          case 0x0401:
            return absl::StrFormat("ParallelPort(0x%X)", uid);
          default:
            return absl::StrFormat("Acpi(PNP%04X,0x%X)", hid >> 16, uid);
        }
      }
      return absl::StrFormat("Acpi(0x%08X,0x%X)", hid, uid);
    }
    case 0x02: {  // ACPI_EXTENDED_DP: HID, UID, CID (+ strings)
      uint32_t hid, uid, cid;
      if (r.ReadU32Le(&hid) && r.ReadU32Le(&uid) && r.ReadU32Le(&cid)) {
        return absl::StrFormat("AcpiEx(0x%08X,0x%08X,0x%X)", hid, cid, uid);
      }
      break;
    }
    case 0x03: {  // ACPI_ADR_DP
      uint32_t adr;
      if (r.ReadU32Le(&adr)) return absl::StrFormat("AcpiAdr(0x%X)", adr);
      break;
    }
    default:
      break;
  }
  return Generic(n);
}

std::string Messaging(const DevicePathNode& n) {
  ByteReader r(n.data);
  switch (n.sub_type) {
    case 0x01: {  // MSG_ATAPI_DP
      uint8_t primary, slave;
      uint16_t lun;
      if (r.ReadU8(&primary) && r.ReadU8(&slave) && r.ReadU16Le(&lun)) {
        return absl::StrFormat("Ata(%s,%s,0x%X)",
                               primary ? "Secondary" : "Primary",
                               slave ? "Slave" : "Master", lun);
      }
      break;
    }
    case 0x02: {  // MSG_SCSI_DP
      uint16_t pun, lun;
      if (r.ReadU16Le(&pun) && r.ReadU16Le(&lun)) {
        return absl::StrFormat("Scsi(0x%X,0x%X)", pun, lun);
      }
      break;
    }
    case 0x05: {  // MSG_USB_DP
      uint8_t port, interface;
      if (r.ReadU8(&port) && r.ReadU8(&interface)) {
        return absl::StrFormat("USB(0x%X,0x%X)", port, interface);
      }
      break;
    }
    case 0x0A: {  // MSG_VENDOR_DP
      EfiGuid g;
      if (ReadEfiGuid(r, &g)) {
        return r.empty() ? absl::StrCat("VenMsg(", g.ToString(), ")")
                         : absl::StrCat("VenMsg(", g.ToString(), ",",
                                        HexEncode(r.Rest()), ")");
      }
      break;
    }
    case 0x0B: {  // MSG_MAC_ADDR_DP: 32-byte address, IfType
      absl::Span<const uint8_t> mac;
      uint8_t if_type;
      if (r.ReadBytes(32, &mac) && r.ReadU8(&if_type)) {
        // Ethernet-type interfaces use 6 bytes (EDK2 prints HwAddressSize).
        const size_t len = (if_type == 0 || if_type == 1) ? 6 : 32;
        return absl::StrFormat("MAC(%s,0x%X)", HexEncode(mac.subspan(0, len)),
                               if_type);
      }
      break;
    }
    case 0x11: {  // MSG_DEVICE_LOGICAL_UNIT_DP
      uint8_t lun;
      if (r.ReadU8(&lun)) return absl::StrFormat("Unit(0x%X)", lun);
      break;
    }
    case 0x12: {  // MSG_SATA_DP
      uint16_t hba, pm, lun;
      if (r.ReadU16Le(&hba) && r.ReadU16Le(&pm) && r.ReadU16Le(&lun)) {
        return absl::StrFormat("Sata(0x%X,0x%X,0x%X)", hba, pm, lun);
      }
      break;
    }
    case 0x17: {  // MSG_NVME_NAMESPACE_DP
      uint32_t nsid;
      absl::Span<const uint8_t> eui;
      if (r.ReadU32Le(&nsid) && r.ReadBytes(8, &eui)) {
        std::vector<std::string> parts;
        // EDK2 prints the EUI-64 most significant byte first.
        for (size_t i = 8; i > 0; --i) {
          parts.push_back(absl::StrFormat("%02X", eui[i - 1]));
        }
        return absl::StrFormat("NVMe(0x%X,%s)", nsid,
                               absl::StrJoin(parts, "-"));
      }
      break;
    }
    case 0x18: {  // MSG_URI_DP
      const auto uri = r.Rest();
      return absl::StrCat(
          "Uri(",
          absl::string_view(reinterpret_cast<const char*>(uri.data()),
                            uri.size()),
          ")");
    }
    default:
      break;
  }
  return Generic(n);
}

std::string Media(const DevicePathNode& n) {
  ByteReader r(n.data);
  switch (n.sub_type) {
    case MEDIA_HARDDRIVE_DP: {
      uint32_t part;
      uint64_t start, size;
      absl::Span<const uint8_t> sig;
      uint8_t mbr_type, sig_type;
      if (!r.ReadU32Le(&part) || !r.ReadU64Le(&start) || !r.ReadU64Le(&size) ||
          !r.ReadBytes(16, &sig) || !r.ReadU8(&mbr_type) ||
          !r.ReadU8(&sig_type)) {
        break;
      }
      if (sig_type == 0x02) {
        EfiGuid g;
        std::copy(sig.begin(), sig.end(), g.bytes.begin());
        return absl::StrFormat("HD(%d,GPT,%s,0x%X,0x%X)", part, g.ToString(),
                               start, size);
      }
      if (sig_type == 0x01) {
        const uint32_t mbr = sig[0] | sig[1] << 8 | sig[2] << 16 |
                             static_cast<uint32_t>(sig[3]) << 24;
        return absl::StrFormat("HD(%d,MBR,0x%08X,0x%X,0x%X)", part, mbr, start,
                               size);
      }
      return absl::StrFormat("HD(%d,%d,0,0x%X,0x%X)", part, sig_type, start,
                             size);
    }
    case 0x02: {  // MEDIA_CDROM_DP
      uint32_t entry;
      uint64_t start, size;
      if (r.ReadU32Le(&entry) && r.ReadU64Le(&start) && r.ReadU64Le(&size)) {
        return absl::StrFormat("CDROM(0x%X,0x%X,0x%X)", entry, start, size);
      }
      break;
    }
    case 0x03: {  // MEDIA_VENDOR_DP
      EfiGuid g;
      if (ReadEfiGuid(r, &g)) {
        return r.empty() ? absl::StrCat("VenMedia(", g.ToString(), ")")
                         : absl::StrCat("VenMedia(", g.ToString(), ",",
                                        HexEncode(r.Rest()), ")");
      }
      break;
    }
    case MEDIA_FILEPATH_DP: {
      absl::StatusOr<std::string> path = Utf16LeToUtf8(n.data);
      if (path.ok()) return *std::move(path);
      break;
    }
    case 0x05: {  // MEDIA_PROTOCOL_DP
      EfiGuid g;
      if (ReadEfiGuid(r, &g)) return absl::StrCat("Media(", g.ToString(), ")");
      break;
    }
    case 0x06: {  // MEDIA_PIWG_FW_FILE_DP
      EfiGuid g;
      if (ReadEfiGuid(r, &g)) return absl::StrCat("FvFile(", g.ToString(), ")");
      break;
    }
    case 0x07: {  // MEDIA_PIWG_FW_VOL_DP
      EfiGuid g;
      if (ReadEfiGuid(r, &g)) return absl::StrCat("Fv(", g.ToString(), ")");
      break;
    }
    case 0x08: {  // MEDIA_RELATIVE_OFFSET_RANGE_DP
      uint32_t reserved;
      uint64_t start, end;
      if (r.ReadU32Le(&reserved) && r.ReadU64Le(&start) && r.ReadU64Le(&end)) {
        return absl::StrFormat("Offset(0x%X,0x%X)", start, end);
      }
      break;
    }
    default:
      break;
  }
  return Generic(n);
}

std::string Bbs(const DevicePathNode& n) {
  ByteReader r(n.data);
  uint16_t device_type, status_flag;
  if (n.sub_type == 0x01 && r.ReadU16Le(&device_type) &&
      r.ReadU16Le(&status_flag)) {  // BBS_BBS_DP (UEFI §10.3.7)
    absl::Span<const uint8_t> desc = r.Rest();
    size_t len = 0;
    while (len < desc.size() && desc[len] != 0) ++len;
    return absl::StrFormat(
        "BBS(0x%X,%s,0x%X)", device_type,
        absl::string_view(reinterpret_cast<const char*>(desc.data()), len),
        status_flag);
  }
  return Generic(n);
}

}  // namespace

absl::StatusOr<DevicePath> ParseDevicePath(absl::Span<const uint8_t> data,
                                           size_t base_offset,
                                           size_t* consumed) {
  DevicePath path;
  ByteReader r(data, base_offset);
  while (!r.empty()) {
    DevicePathNode node;
    node.offset = r.offset();
    uint16_t length;
    ByteReader peek = r;
    if (!peek.ReadU8(&node.type) || !peek.ReadU8(&node.sub_type) ||
        !peek.ReadU16Le(&length)) {
      return Error(node.offset, "truncated device path node header");
    }
    if (length < kNodeHeaderSize) {
      return Error(node.offset,
                   absl::StrCat("device path node Length ", length,
                                " is smaller than its 4-byte header"));
    }
    ByteReader body;
    if (!r.ReadSub(length, &body)) {
      return Error(node.offset,
                   absl::StrCat("device path node Length ", length,
                                " runs past the end (", r.remaining(),
                                " bytes left)"));
    }
    body.Skip(kNodeHeaderSize);
    node.data = body.Rest();
    if (node.type == END_DEVICE_PATH_TYPE &&
        node.sub_type == END_ENTIRE_DEVICE_PATH_SUBTYPE) {
      path.terminated = true;
      break;
    }
    if (path.nodes.size() == kMaxDevicePathNodes) {
      return Error(node.offset, absl::StrCat("device path has more than ",
                                             kMaxDevicePathNodes, " nodes"));
    }
    path.nodes.push_back(node);
  }
  if (consumed != nullptr) *consumed = r.offset() - base_offset;
  return path;
}

absl::StatusOr<std::vector<DevicePath>> ParseDevicePathList(
    absl::Span<const uint8_t> data, size_t base_offset) {
  std::vector<DevicePath> paths;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t used = 0;
    absl::StatusOr<DevicePath> p =
        ParseDevicePath(data.subspan(pos), base_offset + pos, &used);
    if (!p.ok()) return p.status();
    paths.push_back(*std::move(p));
    pos += used;  // used >= 4 whenever pos < size, so this terminates
  }
  return paths;
}

std::string DevicePathNodeToText(const DevicePathNode& node) {
  switch (node.type) {
    case HARDWARE_DEVICE_PATH:
      return Hardware(node);
    case ACPI_DEVICE_PATH:
      return Acpi(node);
    case MESSAGING_DEVICE_PATH:
      return Messaging(node);
    case MEDIA_DEVICE_PATH:
      return Media(node);
    case BBS_DEVICE_PATH:
      return Bbs(node);
    case END_DEVICE_PATH_TYPE:
      if (node.sub_type == END_INSTANCE_DEVICE_PATH_SUBTYPE) return ",";
      break;
    default:
      break;
  }
  return Generic(node);
}

std::string DevicePathToText(const DevicePath& path) {
  std::string out;
  bool after_instance = true;
  for (const DevicePathNode& node : path.nodes) {
    std::string text = DevicePathNodeToText(node);
    if (text == ",") {
      out += ",";
      after_instance = true;
      continue;
    }
    if (!after_instance) out += "/";
    out += text;
    after_instance = false;
  }
  return out;
}

std::string DevicePathFileName(const DevicePath& path) {
  std::string out;
  for (const DevicePathNode& node : path.nodes) {
    if (node.type != MEDIA_DEVICE_PATH || node.sub_type != MEDIA_FILEPATH_DP) {
      continue;
    }
    absl::StatusOr<std::string> part = Utf16LeToUtf8(node.data);
    if (!part.ok() || part->empty()) continue;
    // Some firmware splits a path over several nodes ("\EFI\ubuntu",
    // "shimx64.efi"); join them with exactly one separator.
    if (!out.empty() && out.back() != '\\' && part->front() != '\\') {
      out += '\\';
    }
    out += *part;
  }
  return out;
}

absl::string_view DevicePathTypeName(uint8_t type) {
  switch (type) {
    case HARDWARE_DEVICE_PATH:
      return "Hardware";
    case ACPI_DEVICE_PATH:
      return "ACPI";
    case MESSAGING_DEVICE_PATH:
      return "Messaging";
    case MEDIA_DEVICE_PATH:
      return "Media";
    case BBS_DEVICE_PATH:
      return "BBS";
    case END_DEVICE_PATH_TYPE:
      return "End";
    default:
      return "Unknown";
  }
}

nlohmann::ordered_json DevicePathMaaJson(const DevicePath& path) {
  if (path.nodes.empty()) return nullptr;
  const DevicePathNode& first = path.nodes.front();
  nlohmann::ordered_json type;
  type["String"] = std::string(DevicePathTypeName(first.type));
  type["Value"] = first.type;
  nlohmann::ordered_json out;
  out["Type"] = std::move(type);
  out["SubType"] = first.sub_type;
  return out;
}

}  // namespace vigil::eventlog
