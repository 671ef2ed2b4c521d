// File: tpm/device/tss_status.h
// -----------------------------------------------------------------------------
// The one place a TSS2_RC becomes an absl::Status (style.md rule 17).
//
//   TSS2_RC rc = Esys_Quote(...);
//   if (rc != TSS2_RC_SUCCESS) return TssStatus("Esys_Quote", rc);
//
// Message: "<op>: <Tss2_RC_Decode text>", copied at once because
// Tss2_RC_Decode returns a pointer into a thread-local buffer
// (tpm2-tss src/tss2-rc/tss2_rc.c). The raw rc rides along as a payload
// (TssRcFromStatus), so callers can branch on a specific TPM code.
//
// Code selection (absl/status/status.h rules (a)-(c)):
//   kUnavailable       TCTI and resource-manager layers (the TPM or its
//                      daemon cannot be reached right now), the
//                      TSS2_BASE_RC_TRY_AGAIN / IO_ERROR / NO_CONNECTION base
//                      codes in any TSS layer, and the TPM warnings
//                      TPM_RC_RETRY, TPM_RC_YIELDED, TPM_RC_TESTING,
//                      TPM_RC_CANCELED, TPM_RC_NV_RATE, TPM_RC_NV_UNAVAILABLE
//                      (TPM 2.0 Part 2 §6.6.3: "the command may be retried");
//   kPermissionDenied  authorization failures: TPM_RC_AUTH_FAIL,
//                      TPM_RC_BAD_AUTH, TPM_RC_POLICY_FAIL, TPM_RC_LOCKOUT,
//                      TPM_RC_AUTH_MISSING, TPM_RC_AUTH_TYPE,
//                      TPM_RC_AUTH_UNAVAILABLE;
//   kInternal          everything else.

#ifndef VIGIL_TPM_DEVICE_TSS_STATUS_H_
#define VIGIL_TPM_DEVICE_TSS_STATUS_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vigil::tpm {

// Type URL of the payload holding the raw TSS2_RC as 4 big-endian bytes.
inline constexpr absl::string_view kTssRcPayloadUrl =
    "type.vigil.dev/vigil.tpm.Tss2Rc";

// TssStatus(op, rc): OK for TSS2_RC_SUCCESS, else the status described in the
// file comment. `op` names the failing call ("Esys_Quote").
absl::Status TssStatus(absl::string_view op, uint32_t rc);

// The raw TSS2_RC carried by a status made by TssStatus, or nullopt for any
// other status (including OK).
std::optional<uint32_t> TssRcFromStatus(const absl::Status& status);

// WithContext(status, prefix): `status` with "<prefix>: " before its message,
// keeping its code and payloads (common/status_macros.h's Annotate drops the
// payloads, and with them the raw rc).
absl::Status WithContext(const absl::Status& status, absl::string_view prefix);

// The TPM-layer response code with the parameter/handle/session number
// stripped (TPM 2.0 Part 2 §6.6.2, format-one codes), e.g. 0x1DF -> 0x09F
// (TPM_RC_INTEGRITY), or nullopt when `rc` is not from the TPM layer.
std::optional<uint32_t> TpmRcBase(uint32_t rc);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_DEVICE_TSS_STATUS_H_
