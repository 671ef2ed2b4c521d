// File: tpm/verify/internal/signature_check.h
// -----------------------------------------------------------------------------
// Verifies a parsed TPMT_SIGNATURE over a message with an OpenSSL key. Shared
// by the quote verifier and the AK creation check; not part of the API.

#ifndef VIGIL_TPM_VERIFY_INTERNAL_SIGNATURE_CHECK_H_
#define VIGIL_TPM_VERIFY_INTERNAL_SIGNATURE_CHECK_H_

#include <openssl/evp.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "tpm/wire/signature.h"

namespace vigil::tpm::verify_internal {

// OK when `sig` is a valid signature by `key` over H_sig.hash(message).
// RSASSA: PKCS#1 v1.5; RSAPSS: any salt length (TPMs differ: Part 1 §B.7 lets
// the salt be as long as the key allows, newer TPMs use the digest size), MGF1
// with the same hash; ECDSA: DER r,s.
// Fails with kUnauthenticated when the signature does not verify or the key
// type does not fit the scheme; kInternal when OpenSSL fails to set up.
absl::Status CheckSignature(EVP_PKEY* key, const Signature& sig,
                            absl::Span<const uint8_t> message);

}  // namespace vigil::tpm::verify_internal

#endif  // VIGIL_TPM_VERIFY_INTERNAL_SIGNATURE_CHECK_H_
