#include "common/encoding.h"

#include <string.h>

#include <array>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace vigil {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kStd[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// A decoder that fails part way has already written some bytes, which may
// be a secret's (HmacKey::FromFile decodes its key file with these): wipe
// them before the buffer is freed. explicit_bzero, not std::fill: a store
// into memory about to be freed may be optimised away.
absl::Status DiscardPartial(std::vector<uint8_t>& out, absl::Status error) {
  if (!out.empty()) explicit_bzero(out.data(), out.size());
  return error;
}

std::string Encode64(absl::Span<const uint8_t> in, const char* alphabet,
                     bool pad) {
  // Sized once and written by index: push_back's capacity check per
  // character was most of the `events` claim's time (every event's data is
  // encoded; db and dbx run to tens of KB).
  const size_t full = in.size() / 3;
  const size_t rest = in.size() - full * 3;
  const size_t tail = rest == 0 ? 0 : pad ? 4 : rest + 1;
  std::string out(full * 4 + tail, '=');
  char* o = out.data();
  const uint8_t* p = in.data();
  for (size_t k = 0; k < full; ++k, p += 3, o += 4) {
    const uint32_t v = (p[0] << 16) | (p[1] << 8) | p[2];
    o[0] = alphabet[(v >> 18) & 63];
    o[1] = alphabet[(v >> 12) & 63];
    o[2] = alphabet[(v >> 6) & 63];
    o[3] = alphabet[v & 63];
  }
  if (rest != 0) {
    const uint32_t v = (p[0] << 16) | (rest == 2 ? p[1] << 8 : 0);
    o[0] = alphabet[(v >> 18) & 63];
    o[1] = alphabet[(v >> 12) & 63];
    if (rest == 2) o[2] = alphabet[(v >> 6) & 63];
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> Decode64(absl::string_view text,
                                              const char* alphabet,
                                              absl::string_view name) {
  std::array<int, 256> table;
  table.fill(-1);
  for (int i = 0; i < 64; ++i) table[static_cast<uint8_t>(alphabet[i])] = i;
  size_t len = text.size();
  while (len > 0 && text[len - 1] == '=' && text.size() - len < 2) --len;
  if (len % 4 == 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": invalid length ", text.size()));
  }
  std::vector<uint8_t> out;
  out.reserve(len * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; ++i) {
    int v = table[static_cast<uint8_t>(text[i])];
    if (v < 0) {
      return DiscardPartial(
          out, absl::InvalidArgumentError(
                   absl::StrCat(name, ": invalid character at position ", i)));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  // Non-canonical trailing bits (e.g. "QR" instead of "QQ") are rejected so
  // that one byte string has exactly one encoding.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return DiscardPartial(out, absl::InvalidArgumentError(absl::StrCat(
                                   name, ": non-zero padding bits at end")));
  }
  if (len != text.size() && (len + (text.size() - len)) % 4 != 0) {
    return DiscardPartial(
        out, absl::InvalidArgumentError(absl::StrCat(name, ": bad padding")));
  }
  return out;
}

}  // namespace

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string HexEncode(absl::Span<const uint8_t> bytes) {
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kHexDigits[bytes[i] >> 4];
    out[2 * i + 1] = kHexDigits[bytes[i] & 15];
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> HexDecode(absl::string_view hex) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("hex: odd length ", hex.size()));
  }
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexDigitValue(hex[2 * i]);
    int lo = HexDigitValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return DiscardPartial(out, absl::InvalidArgumentError(absl::StrCat(
                                     "hex: invalid character at position ",
                                     hi < 0 ? 2 * i : 2 * i + 1)));
    }
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return out;
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsLowerHex(absl::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Base64Encode(absl::Span<const uint8_t> bytes) {
  return Encode64(bytes, kStd, /*pad=*/true);
}

std::string Base64UrlEncode(absl::Span<const uint8_t> bytes) {
  return Encode64(bytes, kUrl, /*pad=*/false);
}

absl::StatusOr<std::vector<uint8_t>> Base64Decode(absl::string_view text) {
  return Decode64(text, kStd, "base64");
}

absl::StatusOr<std::vector<uint8_t>> Base64UrlDecode(absl::string_view text) {
  return Decode64(text, kUrl, "base64url");
}

size_t FindInvalidUtf8(absl::string_view s) {
  static constexpr int32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    const int32_t cp = DecodeUtf8Sequence(s, i, &len);
    if (cp < 0 || cp < kMin[len] || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return absl::string_view::npos;
}

}  // namespace vigil
