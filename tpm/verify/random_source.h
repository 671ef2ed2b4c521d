// File: tpm/verify/random_source.h
// -----------------------------------------------------------------------------
// Injected randomness (style.md rule 12) for the verifier's secrets: the
// MakeCredential seed, the ECDH ephemeral key and the OAEP seed. Production
// uses OpenSslRandomSource; tests pin bytes with a deterministic source.

#ifndef VIGIL_TPM_VERIFY_RANDOM_SOURCE_H_
#define VIGIL_TPM_VERIFY_RANDOM_SOURCE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace vigil::tpm {

// A source of cryptographically secure random bytes.
// Implementations must be thread-safe; the result is secret.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` entirely. Fails with kInternal when no randomness is
  // available; `out` is then unspecified and must not be used.
  virtual absl::Status Fill(absl::Span<uint8_t> out) = 0;
};

// RAND_priv_bytes from OpenSSL's default DRBG. Thread-safe.
class OpenSslRandomSource final : public RandomSource {
 public:
  absl::Status Fill(absl::Span<uint8_t> out) override;
};

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_VERIFY_RANDOM_SOURCE_H_
