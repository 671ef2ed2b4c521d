// File: common/encoding.h
// -----------------------------------------------------------------------------
// Hex, base64 (RFC 4648 §4) and base64url (RFC 4648 §5, unpadded, as JWT and
// Azure Attestation's `events` JSON use it) encoders and strict decoders.

#ifndef VIGIL_COMMON_ENCODING_H_
#define VIGIL_COMMON_ENCODING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace vigil {

// Lower-case hex, two digits per byte.
std::string HexEncode(absl::Span<const uint8_t> bytes);
// Accepts upper or lower case. Fails (kInvalidArgument, naming the position)
// on an odd length or a non-hex character. This and the base64 decoders
// below wipe the bytes they had written when they fail part way (the text
// may be a secret's: HmacKey::FromFile).
absl::StatusOr<std::vector<uint8_t>> HexDecode(absl::string_view hex);
// Whether every character is 0-9 or a-f, as HexEncode writes (true for "").
// For identifiers that must be in that one canonical form (device ids,
// digests), where HexDecode would also accept upper case.
bool IsLowerHex(absl::string_view text);
// The value of one hex digit (either case), or -1 when `c` is not one. For
// parsers with their own layout of hex text (EFI GUIDs).
int HexDigitValue(char c);

// Standard alphabet with '=' padding.
std::string Base64Encode(absl::Span<const uint8_t> bytes);
// URL-safe alphabet, no padding.
std::string Base64UrlEncode(absl::Span<const uint8_t> bytes);
// Decoders accept their own alphabet only; padding is optional for both.
// Fail with kInvalidArgument naming the offending position.
absl::StatusOr<std::vector<uint8_t>> Base64Decode(absl::string_view text);
absl::StatusOr<std::vector<uint8_t>> Base64UrlDecode(absl::string_view text);

// Appends the UTF-8 encoding of code point `cp` (caller guarantees a valid
// Unicode scalar value: <= 0x10FFFF and not a surrogate).
void AppendUtf8(uint32_t cp, std::string* out);

// DecodeUtf8Sequence(s, i, &len): the code point of the multi-byte UTF-8
// sequence whose lead byte is s[i] (>= 0x80), and its length in *len — or -1
// when s[i] is not a lead byte, the sequence runs past the end, or a
// continuation byte is not 10xxxxxx (RFC 3629 §3). The structure only:
// shortest form, surrogates and the U+10FFFF limit are the caller's policy
// (a strict validator refuses them, a lenient decoder may not). Inline: it
// sits in JMESPath's case-insensitive comparison loop.
inline int32_t DecodeUtf8Sequence(absl::string_view s, size_t i, size_t* len) {
  const uint8_t c = static_cast<uint8_t>(s[i]);
  size_t n = 0;
  int32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return -1;
  }
  if (s.size() - i < n) return -1;
  for (size_t k = 1; k < n; ++k) {
    const uint8_t cc = static_cast<uint8_t>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (cc & 0x3F);
  }
  *len = n;
  return cp;
}

// FindInvalidUtf8: the offset of the first byte of `s` that does not begin a
// well-formed UTF-8 sequence by RFC 3629 §4 (shortest form only, no
// surrogates, nothing above U+10FFFF), or absl::string_view::npos when all of
// `s` is well-formed. The strict policy for text that is signed, hashed or
// compared byte for byte (JWT claims, policy documents).
size_t FindInvalidUtf8(absl::string_view s);

inline absl::Span<const uint8_t> AsBytes(absl::string_view s) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()),
                                   s.size());
}

}  // namespace vigil

#endif  // VIGIL_COMMON_ENCODING_H_
