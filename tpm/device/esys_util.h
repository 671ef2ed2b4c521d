// File: tpm/device/esys_util.h
// -----------------------------------------------------------------------------
// Small helpers shared by the tpm/device files: tss2-mu marshalling of the
// structures Vigil hands out as bytes, object Names, and policy sessions.

#ifndef VIGIL_TPM_DEVICE_ESYS_UTIL_H_
#define VIGIL_TPM_DEVICE_ESYS_UTIL_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "tpm/device/esys_context.h"
#include "tpm/device/handles.h"
#include "tss2/tss2_esys.h"

namespace vigil::tpm {

// TPM2B_PUBLIC / TPMT_SIGNATURE in TPM wire format (Part 1 §18 big-endian
// canonical form, tss2-mu). Fail with kInternal only on a malformed struct.
absl::StatusOr<std::vector<uint8_t>> MarshalPublic(const TPM2B_PUBLIC& pub);
absl::StatusOr<std::vector<uint8_t>> MarshalSignature(const TPMT_SIGNATURE& sig);

// The Name of a loaded object (Part 1 §16: nameAlg || H_nameAlg(TPMT_PUBLIC)),
// i.e. TPM2B_NAME contents without the size. Fails as tss_status.h.
absl::StatusOr<std::vector<uint8_t>> ObjectName(const EsysContext& ctx,
                                                ESYS_TR object);

// A policy session (SHA-256, no bind, no salt) on which
// TPM2_PolicySecret(`auth_entity`) has been run with the entity's empty
// password (Part 3 §23.4). Flushed when the handle is destroyed.
absl::StatusOr<TransientHandle> StartPolicySecretSession(const EsysContext& ctx,
                                                         ESYS_TR auth_entity);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_DEVICE_ESYS_UTIL_H_
