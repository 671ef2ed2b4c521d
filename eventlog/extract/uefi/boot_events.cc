#include "eventlog/extract/uefi/boot_events.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"
#include "common/encoding.h"

namespace vigil::eventlog {
namespace {

constexpr size_t kGptHeaderSize = 92;  // sizeof(EFI_PARTITION_TABLE_HEADER)
constexpr size_t kGptEntryMinSize = 128;  // sizeof(EFI_PARTITION_ENTRY)
constexpr size_t kConfigurationTableSize = 24;  // EFI_GUID + VOID*

absl::Status Error(size_t offset, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("offset ", offset, ": ", reason));
}

bool ReadUintn(ByteReader& r, size_t size, uint64_t* out) {
  if (size == 8) return r.ReadU64Le(out);
  uint32_t v;
  if (!r.ReadU32Le(&v)) return false;
  *out = v;
  return true;
}

std::string BytesAsText(absl::Span<const uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

bool PrintableAscii(uint8_t c) {
  return (c >= 0x20 && c < 0x7F) || c == '\t' || c == '\n' || c == '\r';
}

// Reads a UINT8-length-prefixed description (BLOB2, HANDOFF_TABLES2).
absl::StatusOr<std::string> ReadU8Description(ByteReader& r) {
  const size_t at = r.offset();
  uint8_t size;
  absl::Span<const uint8_t> desc;
  if (!r.ReadU8(&size) || !r.ReadBytes(size, &desc)) {
    return Error(at, "description size runs past the end");
  }
  return DecodeEventText(desc).text;
}

}  // namespace

absl::StatusOr<UefiImageLoadEvent> ParseUefiImageLoadEvent(
    absl::Span<const uint8_t> data, size_t base_offset, size_t uintn_size) {
  if (uintn_size != 4 && uintn_size != 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("UINTN size ", uintn_size, " is not 4 or 8"));
  }
  ByteReader r(data, base_offset);
  UefiImageLoadEvent ev;
  if (!r.ReadU64Le(&ev.image_location_in_memory) ||
      !ReadUintn(r, uintn_size, &ev.image_length_in_memory) ||
      !ReadUintn(r, uintn_size, &ev.image_link_time_address) ||
      !ReadUintn(r, uintn_size, &ev.length_of_device_path)) {
    return Error(r.offset(), "truncated UEFI_IMAGE_LOAD_EVENT");
  }
  const size_t path_at = r.offset();
  absl::Span<const uint8_t> path;
  if (ev.length_of_device_path > r.remaining() ||
      !r.ReadBytes(static_cast<size_t>(ev.length_of_device_path), &path)) {
    return Error(path_at, absl::StrCat("LengthOfDevicePath ",
                                       ev.length_of_device_path,
                                       " runs past the end (", r.remaining(),
                                       " bytes left)"));
  }
  absl::StatusOr<DevicePath> dp = ParseDevicePath(path, path_at);
  if (!dp.ok()) return dp.status();
  ev.device_path = *std::move(dp);
  ev.trailing_bytes = r.remaining();
  return ev;
}

absl::StatusOr<EfiLoadOption> ParseEfiLoadOption(absl::Span<const uint8_t> data,
                                                 size_t base_offset) {
  ByteReader r(data, base_offset);
  EfiLoadOption opt;
  if (!r.ReadU32Le(&opt.attributes) ||
      !r.ReadU16Le(&opt.file_path_list_length)) {
    return Error(r.offset(), "truncated EFI_LOAD_OPTION header");
  }
  const size_t desc_at = r.offset();
  ByteReader scan = r;
  size_t chars = 0;
  for (;;) {
    uint16_t c;
    if (!scan.ReadU16Le(&c)) {
      return Error(desc_at, "EFI_LOAD_OPTION Description has no NUL");
    }
    if (c == 0) break;
    if (++chars > kMaxLoadOptionDescriptionChars) {
      return Error(desc_at, absl::StrCat("EFI_LOAD_OPTION Description longer "
                                         "than ",
                                         kMaxLoadOptionDescriptionChars,
                                         " characters"));
    }
  }
  absl::Span<const uint8_t> desc;
  r.ReadBytes(chars * 2 + 2, &desc);  // scanned above
  absl::StatusOr<std::string> text = Utf16LeToUtf8(desc);
  if (!text.ok()) {
    return Error(desc_at, absl::StrCat("EFI_LOAD_OPTION Description: ",
                                       text.status().message()));
  }
  opt.description = *std::move(text);
  const size_t list_at = r.offset();
  absl::Span<const uint8_t> list;
  if (!r.ReadBytes(opt.file_path_list_length, &list)) {
    return Error(list_at, absl::StrCat("FilePathListLength ",
                                       opt.file_path_list_length,
                                       " runs past the end (", r.remaining(),
                                       " bytes left)"));
  }
  absl::StatusOr<std::vector<DevicePath>> paths =
      ParseDevicePathList(list, list_at);
  if (!paths.ok()) return paths.status();
  opt.file_path_list = *std::move(paths);
  opt.optional_data = r.Rest();
  return opt;
}

absl::StatusOr<std::vector<uint16_t>> ParseBootOrder(
    absl::Span<const uint8_t> data, size_t base_offset) {
  if (data.size() % 2 != 0) {
    return Error(base_offset, absl::StrCat("BootOrder has odd length ",
                                           data.size()));
  }
  std::vector<uint16_t> order;
  order.reserve(data.size() / 2);
  ByteReader r(data, base_offset);
  uint16_t v;
  while (r.ReadU16Le(&v)) order.push_back(v);
  return order;
}

bool IsBootOptionName(absl::string_view name) {
  if (name.size() != 8 || name.substr(0, 4) != "Boot") return false;
  return std::all_of(name.begin() + 4, name.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ||
           (c >= 'a' && c <= 'f');
  });
}

absl::StatusOr<FirmwareBlob> ParseFirmwareBlob(absl::Span<const uint8_t> data,
                                               size_t base_offset) {
  ByteReader r(data, base_offset);
  FirmwareBlob b;
  if (!r.ReadU64Le(&b.blob_base) || !r.ReadU64Le(&b.blob_length)) {
    return Error(r.offset(), "truncated UEFI_PLATFORM_FIRMWARE_BLOB");
  }
  return b;
}

absl::StatusOr<FirmwareBlob> ParseFirmwareBlob2(absl::Span<const uint8_t> data,
                                                size_t base_offset) {
  ByteReader r(data, base_offset);
  FirmwareBlob b;
  absl::StatusOr<std::string> desc = ReadU8Description(r);
  if (!desc.ok()) return desc.status();
  b.description = *std::move(desc);
  if (!r.ReadU64Le(&b.blob_base) || !r.ReadU64Le(&b.blob_length)) {
    return Error(r.offset(), "truncated UEFI_PLATFORM_FIRMWARE_BLOB2");
  }
  return b;
}

namespace {

absl::Status ReadTables(ByteReader& r, HandoffTables* out) {
  const size_t at = r.offset();
  uint64_t n;
  if (!r.ReadU64Le(&n)) return Error(at, "truncated NumberOfTables");
  if (n > r.remaining() / kConfigurationTableSize) {
    return Error(at, absl::StrCat("NumberOfTables ", n, " needs more than the ",
                                  r.remaining(), " bytes left"));
  }
  out->tables.resize(static_cast<size_t>(n));
  for (HandoffTables::Entry& e : out->tables) {
    ReadEfiGuid(r, &e.vendor_guid);  // sizes checked above
    r.ReadU64Le(&e.vendor_table);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HandoffTables> ParseHandoffTables(absl::Span<const uint8_t> data,
                                                 size_t base_offset) {
  ByteReader r(data, base_offset);
  HandoffTables t;
  absl::Status s = ReadTables(r, &t);
  if (!s.ok()) return s;
  return t;
}

absl::StatusOr<HandoffTables> ParseHandoffTables2(
    absl::Span<const uint8_t> data, size_t base_offset) {
  ByteReader r(data, base_offset);
  HandoffTables t;
  absl::StatusOr<std::string> desc = ReadU8Description(r);
  if (!desc.ok()) return desc.status();
  t.description = *std::move(desc);
  absl::Status s = ReadTables(r, &t);
  if (!s.ok()) return s;
  return t;
}

absl::StatusOr<GptData> ParseGptData(absl::Span<const uint8_t> data,
                                     size_t base_offset) {
  ByteReader r(data, base_offset);
  GptData g;
  ByteReader h;
  if (!r.ReadSub(kGptHeaderSize, &h)) {
    return Error(base_offset, absl::StrCat("UEFI_GPT_DATA of ", data.size(),
                                           " bytes is shorter than the "
                                           "92-byte partition table header"));
  }
  // Cannot fail: the header is exactly the size of these fields.
  h.ReadU64Le(&g.signature);
  h.ReadU32Le(&g.revision);
  h.ReadU32Le(&g.header_size);
  h.ReadU32Le(&g.header_crc32);
  h.ReadU32Le(&g.reserved);
  h.ReadU64Le(&g.my_lba);
  h.ReadU64Le(&g.alternate_lba);
  h.ReadU64Le(&g.first_usable_lba);
  h.ReadU64Le(&g.last_usable_lba);
  ReadEfiGuid(h, &g.disk_guid);
  h.ReadU64Le(&g.partition_entry_lba);
  h.ReadU32Le(&g.number_of_partition_entries);
  h.ReadU32Le(&g.size_of_partition_entry);
  h.ReadU32Le(&g.partition_entry_array_crc32);
  const size_t count_at = r.offset();
  if (!r.ReadU64Le(&g.number_of_partitions)) {
    return Error(count_at, "truncated NumberOfPartitions");
  }
  if (g.size_of_partition_entry < kGptEntryMinSize ||
      g.size_of_partition_entry > kMaxGptEntrySize) {
    return Error(base_offset + 84,
                 absl::StrCat("SizeOfPartitionEntry ",
                              g.size_of_partition_entry, " is outside [128, ",
                              kMaxGptEntrySize, "]"));
  }
  if (g.number_of_partitions > kMaxGptPartitions) {
    return Error(count_at, absl::StrCat("NumberOfPartitions ",
                                        g.number_of_partitions,
                                        " exceeds the limit of ",
                                        kMaxGptPartitions));
  }
  if (g.number_of_partitions > r.remaining() / g.size_of_partition_entry) {
    return Error(count_at,
                 absl::StrCat("NumberOfPartitions ", g.number_of_partitions,
                              " of ", g.size_of_partition_entry,
                              " bytes run past the end (", r.remaining(),
                              " bytes left)"));
  }
  g.partitions.resize(static_cast<size_t>(g.number_of_partitions));
  for (GptPartitionEntry& p : g.partitions) {
    ByteReader e;
    r.ReadSub(g.size_of_partition_entry, &e);  // checked above
    ReadEfiGuid(e, &p.partition_type_guid);
    ReadEfiGuid(e, &p.unique_partition_guid);
    e.ReadU64Le(&p.starting_lba);
    e.ReadU64Le(&p.ending_lba);
    e.ReadU64Le(&p.attributes);
    absl::Span<const uint8_t> name;
    e.ReadBytes(72, &name);  // CHAR16 PartitionName[36]
    absl::StatusOr<std::string> text = Utf16LeToUtf8(name);
    if (text.ok()) p.partition_name = *std::move(text);
  }
  if (!r.empty()) {
    return Error(r.offset(), absl::StrCat(r.remaining(),
                                          " bytes follow the last partition"));
  }
  return g;
}

EventText DecodeEventText(absl::Span<const uint8_t> data) {
  EventText out;
  // UTF-16LE: strip whole NUL code units, then require ASCII-range code units
  // (high byte 0). Non-Latin UTF-16 text in these events has not been seen;
  // it falls through to kBinary rather than being guessed at.
  absl::Span<const uint8_t> u16 = data.subspan(0, data.size() & ~size_t{1});
  while (u16.size() >= 2 && u16[u16.size() - 2] == 0 &&
         u16[u16.size() - 1] == 0) {
    u16.remove_suffix(2);
  }
  if (!u16.empty() && data.size() % 2 == 0) {
    bool ok = true;
    for (size_t i = 0; i < u16.size() && ok; i += 2) {
      ok = u16[i + 1] == 0 && PrintableAscii(u16[i]);
    }
    if (ok) {
      out.encoding = EventText::Encoding::kUtf16;
      for (size_t i = 0; i < u16.size(); i += 2) out.text.push_back(u16[i]);
      return out;
    }
  }
  absl::Span<const uint8_t> ascii = data;
  while (!ascii.empty() && ascii.back() == 0) ascii.remove_suffix(1);
  if (!ascii.empty() && std::all_of(ascii.begin(), ascii.end(), PrintableAscii)) {
    out.encoding = EventText::Encoding::kAscii;
    out.text = BytesAsText(ascii);
    return out;
  }
  out.encoding = EventText::Encoding::kBinary;
  out.text = HexEncode(data);
  return out;
}

absl::StatusOr<Separator> ParseSeparator(absl::Span<const uint8_t> data,
                                         size_t base_offset) {
  ByteReader r(data, base_offset);
  Separator s;
  if (data.size() != 4 || !r.ReadU32Le(&s.value)) {
    return Error(base_offset, absl::StrCat("EV_SEPARATOR data is ", data.size(),
                                           " bytes, want 4"));
  }
  s.is_error = s.value == 0xFFFFFFFF;
  return s;
}

}  // namespace vigil::eventlog
