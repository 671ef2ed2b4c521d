// File: tpm/verify/ak_checks.h
// -----------------------------------------------------------------------------
// Is a public area fit to be an attestation key? The checks go-attestation
// makes (attest/activation.go checkAKParameters, attest/attest.go
// AttestationParameters): a restricted signing key that never leaves the TPM,
// generated inside it, of adequate size, with a sound nameAlg and scheme; plus
// the creation checks (TPM 2.0 Part 3 §18.3 TPM2_CertifyCreation).
//
// Trust: these checks say what KIND of key the public area describes. They do
// not establish that the key lives in a genuine TPM: that is the job of
// credential activation against a trusted EK (make_credential.h) or an AK
// certificate, done by the caller before it trusts the AK.

#ifndef VIGIL_TPM_VERIFY_AK_CHECKS_H_
#define VIGIL_TPM_VERIFY_AK_CHECKS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "tpm/wire/public_area.h"

namespace vigil::tpm {

// What an AK must satisfy beyond the fixed attribute rules. Defaults are safe.
struct AkRequirements {
  // Smallest RSA modulus accepted. go-attestation and NIST SP 800-57 use 2048.
  uint32_t min_rsa_bits = 2048;
  // SHA-1 as nameAlg or signing hash. Defaults to false: SHA-1 has practical
  // collisions, and a colliding Name or quote digest defeats the check.
  bool allow_sha1 = false;
};

// OK when `ak` is an RSA or ECC key with (TPMA_OBJECT, Part 2 §8.3)
// fixedTPM, fixedParent, sensitiveDataOrigin, restricted and sign set, decrypt
// clear; RSA modulus >= req.min_rsa_bits (and equal to keyBits), or ECC curve
// NIST P-256/P-384/P-521; nameAlg SHA-256/384/512 (SHA-1 only with
// req.allow_sha1); no symmetric algorithm; scheme RSASSA/RSAPSS (RSA) or ECDSA
// (ECC) with such a hash, or TPM_ALG_NULL; ECC kdf TPM_ALG_NULL.
// userWithAuth is not required (an AK may use policy auth).
// Fails with kUnauthenticated naming the first failed rule ("AK rejected:
// restricted is clear: the key can sign arbitrary data, including forged
// TPMS_ATTEST").
absl::Status CheckAkPublic(const PublicArea& ak,
                           const AkRequirements& req = AkRequirements());

// OK when `creation_hash` (the raw digest, e.g. from TPM2_CreatePrimary's
// creationHash) equals H_nameAlg(TPMS_CREATION_DATA inside
// `tpm2b_creation_data`). Fails with kInvalidArgument for a malformed
// creation data structure, kUnauthenticated on a mismatch. Says nothing about
// who produced the hash: use VerifyAkCreation for that.
absl::Status CheckCreationHash(const PublicArea& ak,
                               absl::Span<const uint8_t> tpm2b_creation_data,
                               absl::Span<const uint8_t> creation_hash);

// Verifies a TPM2_CertifyCreation of `ak` signed by `ak` itself, as
// go-attestation's AttestationParameters carry it: `certify_attest` is the
// TPMS_ATTEST and `certify_signature` the TPMT_SIGNATURE from
// TPM2_CertifyCreation. Checks: the signature by the AK (hash allowed by
// `req`), magic TPM_GENERATED_VALUE, type TPM_ST_ATTEST_CREATION, objectName
// equals the AK's Name, creationHash equals H_nameAlg(creation data).
// The caller must already trust `ak` (this proves the TPM that holds the AK
// created it with the state in the creation data, nothing more).
// Fails with kInvalidArgument for malformed structures, kUnauthenticated for a
// bad signature, magic, name or hash.
absl::Status VerifyAkCreation(const PublicArea& ak,
                              absl::Span<const uint8_t> tpm2b_creation_data,
                              absl::Span<const uint8_t> certify_attest,
                              absl::Span<const uint8_t> certify_signature,
                              const AkRequirements& req = AkRequirements());

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_VERIFY_AK_CHECKS_H_
