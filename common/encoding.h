// File: common/encoding.h
// -----------------------------------------------------------------------------
// Hex, base64 (RFC 4648 §4) and base64url (RFC 4648 §5, unpadded, as JWT and
// Azure Attestation's `events` JSON use it) encoders and strict decoders.

#ifndef VIGIL_COMMON_ENCODING_H_
#define VIGIL_COMMON_ENCODING_H_

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
// on an odd length or a non-hex character.
absl::StatusOr<std::vector<uint8_t>> HexDecode(absl::string_view hex);

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

inline absl::Span<const uint8_t> AsBytes(absl::string_view s) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()),
                                   s.size());
}

}  // namespace vigil

#endif  // VIGIL_COMMON_ENCODING_H_
