#include "tpm/device/tss_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "tss2/tss2_common.h"
#include "tss2/tss2_rc.h"
#include "tss2/tss2_tpm2_types.h"

namespace vigil::tpm {
namespace {

constexpr uint32_t kLayerMask = TSS2_RC_LAYER_MASK;

absl::StatusCode CodeFor(uint32_t rc) {
  const uint32_t layer = rc & kLayerMask;
  if (layer == TSS2_TCTI_RC_LAYER || layer == TSS2_RESMGR_RC_LAYER ||
      layer == TSS2_RESMGR_TPM_RC_LAYER) {
    return absl::StatusCode::kUnavailable;
  }
  if (std::optional<uint32_t> base = TpmRcBase(rc)) {
    switch (*base) {
      case TPM2_RC_RETRY:
      case TPM2_RC_YIELDED:
      case TPM2_RC_TESTING:
      case TPM2_RC_CANCELED:
      case TPM2_RC_NV_RATE:
      case TPM2_RC_NV_UNAVAILABLE:
        return absl::StatusCode::kUnavailable;
      case TPM2_RC_AUTH_FAIL:
      case TPM2_RC_BAD_AUTH:
      case TPM2_RC_POLICY_FAIL:
      case TPM2_RC_LOCKOUT:
      case TPM2_RC_AUTH_MISSING:
      case TPM2_RC_AUTH_TYPE:
      case TPM2_RC_AUTH_UNAVAILABLE:
        return absl::StatusCode::kPermissionDenied;
      default:
        return absl::StatusCode::kInternal;
    }
  }
  // A TSS layer (ESAPI, SAPI, MU, tctildr...): the base code (low 16 bits,
  // tss2_common.h) says whether the
  // failure was in reaching the TPM.
  switch (rc & 0xFFFF) {
    case TSS2_BASE_RC_TRY_AGAIN:
    case TSS2_BASE_RC_IO_ERROR:
    case TSS2_BASE_RC_NO_CONNECTION:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

std::optional<uint32_t> TpmRcBase(uint32_t rc) {
  if ((rc & kLayerMask) != TSS2_TPM_RC_LAYER) return std::nullopt;
  if (rc & TPM2_RC_FMT1) return rc & (TPM2_RC_FMT1 | 0x3F);
  return rc & (TPM2_RC_VER1 | TPM2_RC_WARN | 0x7F);
}

absl::Status TssStatus(absl::string_view op, uint32_t rc) {
  if (rc == TSS2_RC_SUCCESS) return absl::OkStatus();
  // Tss2_RC_Decode returns a thread-local buffer: copy before anything else
  // can call it.
  std::string decoded(Tss2_RC_Decode(rc));
  absl::Status status(CodeFor(rc),
                      absl::StrCat(op, ": ", decoded, " (rc 0x",
                                   absl::Hex(rc, absl::kZeroPad8), ")"));
  char be[4] = {static_cast<char>(rc >> 24), static_cast<char>(rc >> 16),
                static_cast<char>(rc >> 8), static_cast<char>(rc)};
  status.SetPayload(kTssRcPayloadUrl, absl::Cord(absl::string_view(be, 4)));
  return status;
}

absl::Status WithContext(const absl::Status& status, absl::string_view prefix) {
  if (status.ok()) return status;
  absl::Status out(status.code(), absl::StrCat(prefix, ": ", status.message()));
  status.ForEachPayload([&out](absl::string_view url, const absl::Cord& payload) {
    out.SetPayload(url, payload);
  });
  return out;
}

std::optional<uint32_t> TssRcFromStatus(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kTssRcPayloadUrl);
  if (!payload.has_value() || payload->size() != 4) return std::nullopt;
  std::string b(*payload);
  return (static_cast<uint32_t>(static_cast<uint8_t>(b[0])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[3]));
}

}  // namespace vigil::tpm
