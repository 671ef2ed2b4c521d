// File: tpm/verify/make_credential.h
// -----------------------------------------------------------------------------
// Software TPM2_MakeCredential (TPM 2.0 Part 1 §24 "Credential Protection",
// Part 3 §12.6, Part 2 §10.6 TPMS_ID_OBJECT): the verifier encrypts a secret
// to an EK so that only the TPM holding both that EK and an object with the
// given Name (the AK) can recover it with TPM2_ActivateCredential. Pure: no
// TPM, no ESYS; randomness is injected.
//
// Output is byte-compatible with TPM2_MakeCredential, so both
// Esys_ActivateCredential and `tpm2_activatecredential` consume it (the latter
// via EncodeTpm2ToolsCredential's file format, tpm/wire/credential_file.h).

#ifndef VIGIL_TPM_VERIFY_MAKE_CREDENTIAL_H_
#define VIGIL_TPM_VERIFY_MAKE_CREDENTIAL_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tpm/verify/random_source.h"
#include "tpm/wire/credential_file.h"
#include "tpm/wire/public_area.h"

namespace vigil::tpm {

// Makes a credential for the object named `ak_name` (nameAlg || digest, as
// ComputeName returns) protected by `ek`:
//   seed    RSA EK: random, nameAlg-digest-sized, RSA-OAEP encrypted
//           (hash = EK nameAlg, label "IDENTITY\0"; Part 1 §B.10.3).
//           ECC EK: one-pass ECDH with an ephemeral key on the EK's curve;
//           seed = KDFe(nameAlg, Z.x, "IDENTITY", ephemeral.x, EK.x)
//           (Part 1 §C.6.4).
//   symKey  KDFa(nameAlg, seed, "STORAGE", ak_name, "", EK symmetric keyBits)
//   encIdentity = AES-CFB(symKey, IV = 0, TPM2B_DIGEST(credential))
//   HMACkey KDFa(nameAlg, seed, "INTEGRITY", "", "", nameAlg digest bits)
//   integrityHMAC = HMAC_nameAlg(HMACkey, encIdentity || ak_name)
// `credential` is the secret to deliver; 1..digest-size-of-EK-nameAlg bytes
// (Part 3 §12.6.1). `rng` supplies every random byte (the seed or the
// ephemeral scalar, and the OAEP seed), so a pinned source gives pinned
// output.
// The caller must trust that `ek` belongs to a genuine TPM (checked its EK
// certificate); this function only checks that it is a usable storage key.
// Fails with kInvalidArgument when: the EK is not an RSA (>= 2048 bits) or
// ECC (NIST P-256/P-384/P-521) restricted decryption key with an AES-CFB
// symmetric definition and a hash nameAlg; the EK's ECC point is not on its
// curve; `ak_name` is not a well-formed digest Name; or `credential` is empty
// or too long. kInternal when `rng` or OpenSSL fails.
absl::StatusOr<CredentialBlob> MakeCredential(
    const PublicArea& ek, absl::Span<const uint8_t> ak_name,
    absl::Span<const uint8_t> credential, RandomSource& rng);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_VERIFY_MAKE_CREDENTIAL_H_
