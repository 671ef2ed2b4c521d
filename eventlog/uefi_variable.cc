#include "eventlog/uefi_variable.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"
#include "common/encoding.h"

namespace vigil::eventlog {
namespace {

constexpr uint64_t kMaxNameChars = 1024;

}  // namespace

bool ReadEfiGuid(ByteReader& r, EfiGuid* out) {
  absl::Span<const uint8_t> b;
  if (!r.ReadBytes(16, &b)) return false;
  std::copy(b.begin(), b.end(), out->bytes.begin());
  return true;
}

const EfiGuid& EfiGlobalVariableGuid() {
  static const EfiGuid* g =
      new EfiGuid(*EfiGuid::FromString("8BE4DF61-93CA-11D2-AA0D-00E098032B8C"));
  return *g;
}

const EfiGuid& EfiImageSecurityDatabaseGuid() {
  static const EfiGuid* g =
      new EfiGuid(*EfiGuid::FromString("D719B2CB-3D3A-4596-A3BC-DAD00E67656F"));
  return *g;
}

std::string EfiGuid::ToString() const {
  // 8-4-4-4-12 upper-case hex; the first three fields are little-endian
  // (UEFI spec appendix A). By hand, not snprintf: a db or dbx variable
  // renders one per signature (a third of the `events` claim's time).
  static constexpr char kHex[] = "0123456789ABCDEF";
  static constexpr int kOrder[16] = {3, 2,  1,  0,  5,  4,  7,  6,
                                     8, 9, 10, 11, 12, 13, 14, 15};
  std::string out(36, '-');
  size_t at = 0;
  for (int i = 0; i < 16; ++i) {
    if (at == 8 || at == 13 || at == 18 || at == 23) ++at;  // the dashes
    const uint8_t v = bytes[kOrder[i]];
    out[at++] = kHex[v >> 4];
    out[at++] = kHex[v & 15];
  }
  return out;
}

std::optional<EfiGuid> EfiGuid::FromString(absl::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' ||
      text[18] != '-' || text[23] != '-') {
    return std::nullopt;
  }
  uint8_t raw[16];
  size_t n = 0;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '-') {
      ++i;
      continue;
    }
    int hi = HexDigitValue(text[i]), lo = HexDigitValue(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    raw[n++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  // Text order -> EFI_GUID layout: Data1 (LE u32), Data2, Data3 (LE u16),
  // Data4 (8 bytes as written).
  EfiGuid g;
  const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
  for (int i = 0; i < 16; ++i) g.bytes[i] = raw[order[i]];
  return g;
}

absl::StatusOr<std::string> Utf16LeToUtf8(absl::Span<const uint8_t> data) {
  std::string out;
  ByteReader r(data);
  uint16_t u;
  while (r.ReadU16Le(&u)) {
    if (u == 0) break;
    uint32_t cp = u;
    if (u >= 0xD800 && u <= 0xDBFF) {
      uint16_t lo;
      if (!r.ReadU16Le(&lo) || lo < 0xDC00 || lo > 0xDFFF) {
        return absl::InvalidArgumentError("utf-16: unpaired high surrogate");
      }
      cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return absl::InvalidArgumentError("utf-16: unpaired low surrogate");
    }
    AppendUtf8(cp, &out);
  }
  return out;
}

absl::StatusOr<UefiVariableData> ParseUefiVariableData(
    absl::Span<const uint8_t> data, size_t base_offset) {
  ByteReader r(data, base_offset);
  UefiVariableData v;
  absl::Span<const uint8_t> guid;
  uint64_t name_chars, data_len;
  if (!r.ReadBytes(16, &guid) || !r.ReadU64Le(&name_chars) ||
      !r.ReadU64Le(&data_len)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "offset ", r.offset(), ": UEFI_VARIABLE_DATA: truncated header"));
  }
  std::copy(guid.begin(), guid.end(), v.vendor_guid.bytes.begin());
  if (name_chars > kMaxNameChars || name_chars * 2 > r.remaining()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "offset ", r.offset(), ": UEFI_VARIABLE_DATA: UnicodeNameLength ",
        name_chars, " exceeds the data"));
  }
  absl::Span<const uint8_t> name;
  r.ReadBytes(name_chars * 2, &name);
  auto utf8 = Utf16LeToUtf8(name);
  if (!utf8.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "offset ", r.offset(),
        ": UEFI_VARIABLE_DATA: UnicodeName: ", utf8.status().message()));
  }
  v.name_utf8 = *std::move(utf8);
  if (data_len > r.remaining()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "offset ", r.offset(), ": UEFI_VARIABLE_DATA: VariableDataLength ",
        data_len, " exceeds the ", r.remaining(), " bytes left"));
  }
  r.ReadBytes(data_len, &v.variable_data);
  v.trailing_bytes = r.remaining();
  return v;
}

}  // namespace vigil::eventlog
