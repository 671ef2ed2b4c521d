// File: tpm/device/credential.h
// -----------------------------------------------------------------------------
// TPM2_ActivateCredential (Part 3 §12.5; the protocol is Part 1 §24): the
// verifier encrypts a secret to the EK, bound to the AK's Name
// (MakeCredential); only the TPM holding both keys recovers it, which proves
// the AK lives in the same TPM as the EK.

#ifndef VIGIL_TPM_DEVICE_CREDENTIAL_H_
#define VIGIL_TPM_DEVICE_CREDENTIAL_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tpm/device/attestation_key.h"
#include "tpm/device/ek.h"
#include "tpm/device/esys_context.h"
#include "tpm/wire/credential_file.h"

namespace vigil::tpm {

// ActivateCredential(ctx, ek, ak, blob): the secret (TPM2B_DIGEST contents)
// the verifier sealed to `ek` for `ak`'s Name. The EK's USER role is
// authorized as EkAuthSession describes, the AK's ADMIN role with its empty
// password.
// Fails with kInvalidArgument when the blobs do not unmarshal or the TPM
// rejects them as not made for this EK/AK pair (TPM_RC_INTEGRITY, _VALUE,
// _SIZE, _ECC_POINT: wrong EK, wrong AK Name, or tampered), kUnavailable when
// the TPM is unreachable, as tss_status.h otherwise.
absl::StatusOr<std::vector<uint8_t>> ActivateCredential(
    const EsysContext& ctx, const EndorsementKey& ek, const AttestationKey& ak,
    const CredentialBlob& blob);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_DEVICE_CREDENTIAL_H_
