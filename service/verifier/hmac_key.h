// File: service/verifier/hmac_key.h
// -----------------------------------------------------------------------------
// The verifier's secret for stateless challenges: nonces and enrolment
// tickets carry an HMAC-SHA-256 (RFC 2104) over their contents, so any
// replica holding the same key can check them without shared state
// (issue #5 §1). The key never leaves the process and is never logged.
#ifndef VIGIL_SERVICE_VERIFIER_HMAC_KEY_H_
#define VIGIL_SERVICE_VERIFIER_HMAC_KEY_H_

#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace vigil::service {

class HmacKey {
 public:
  static constexpr size_t kMinSize = 32;
  static constexpr size_t kMacSize = 32;

  // A fresh random key (one replica, or tests). Fails with kInternal when
  // the system has no randomness.
  static absl::StatusOr<HmacKey> Generate();
  // From key bytes (>= kMinSize). Fails with kInvalidArgument when shorter.
  static absl::StatusOr<HmacKey> FromBytes(absl::Span<const uint8_t> key);
  // From a file holding the key as hex or base64 text (one line) — the
  // shared key of several replicas. Fails with kNotFound (cannot open or
  // read) or kInvalidArgument (not a regular file, over 64 KiB, not hex or
  // base64, too short), naming the file and never echoing its contents.
  // Every copy of the key it made (the file's text, the decoded bytes, a
  // decode that failed part way) is wiped before it returns.
  static absl::StatusOr<HmacKey> FromFile(const std::string& path);

  // HMAC-SHA-256(key, label || 0x00 || part_1 || ... ) where every part is
  // prefixed with its 4-byte big-endian length, so different splits of the
  // same bytes never collide. `label` separates uses ("vigil nonce v1").
  // Fails with kInternal only when OpenSSL cannot allocate. Thread-safe:
  // each call copies a keyed context made once (no algorithm fetch and no
  // key schedule per call: two MACs per attestation).
  absl::StatusOr<std::array<uint8_t, kMacSize>> Mac(
      absl::string_view label,
      std::initializer_list<absl::Span<const uint8_t>> parts) const;

 private:
  // Keys an HMAC-SHA-256 context with `key`, then wipes `key` (the context
  // holds the only copy). Fails with kInternal when OpenSSL has no
  // HMAC-SHA-256.
  static absl::StatusOr<HmacKey> Make(std::vector<uint8_t> key);
  explicit HmacKey(std::shared_ptr<evp_mac_ctx_st> keyed)
      : keyed_(std::move(keyed)) {}
  // Initialised with the key, never updated: copied per Mac().
  std::shared_ptr<evp_mac_ctx_st> keyed_;
};

// Constant-time comparison (CRYPTO_memcmp); false when sizes differ.
bool ConstantTimeEquals(absl::Span<const uint8_t> a,
                        absl::Span<const uint8_t> b);

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_HMAC_KEY_H_
