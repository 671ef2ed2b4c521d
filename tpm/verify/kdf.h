// File: tpm/verify/kdf.h
// -----------------------------------------------------------------------------
// The TPM key derivation functions (TPM 2.0 Part 1 §11.4.10), as the TPM
// computes them, for the software side of credential activation.

#ifndef VIGIL_TPM_VERIFY_KDF_H_
#define VIGIL_TPM_VERIFY_KDF_H_

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tpm/types/hash_alg.h"

namespace vigil::tpm {

// KDFa (Part 1 §11.4.10.2, SP 800-108 counter mode with HMAC):
//   K(i) = HMAC_hash(key, [i]32 || label || 0x00 || context_u || context_v ||
//                    [bits]32), i = 1..
// `label` is given without its terminating NUL, which is added here (Part 1
// §11.4.10.2: "the label ... shall include the terminating NUL"). Returns
// ceil(bits/8) bytes; when bits is not a multiple of 8 the unused high bits of
// the first byte are cleared. Fails with kInvalidArgument for bits == 0 or
// bits > 65536, kInternal when OpenSSL's HMAC fails.
absl::StatusOr<std::vector<uint8_t>> KdfA(HashAlg hash,
                                          absl::Span<const uint8_t> key,
                                          absl::string_view label,
                                          absl::Span<const uint8_t> context_u,
                                          absl::Span<const uint8_t> context_v,
                                          uint32_t bits);

// KDFe (Part 1 §11.4.10.3, SP 800-56A concatenation KDF):
//   K(i) = H([i]32 || z || label || 0x00 || party_u || party_v), i = 1..
// `z` is the x-coordinate of the ECDH shared point. Label NUL handling, return
// value and failures as KdfA.
absl::StatusOr<std::vector<uint8_t>> KdfE(HashAlg hash,
                                          absl::Span<const uint8_t> z,
                                          absl::string_view label,
                                          absl::Span<const uint8_t> party_u,
                                          absl::Span<const uint8_t> party_v,
                                          uint32_t bits);

// HMAC_hash(key, concatenation of `parts`). Fails with kInternal when
// OpenSSL's HMAC fails (or lacks `hash`).
absl::StatusOr<std::vector<uint8_t>> TpmHmac(
    HashAlg hash, absl::Span<const uint8_t> key,
    std::initializer_list<absl::Span<const uint8_t>> parts);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_VERIFY_KDF_H_
