#include "tpm/device/credential.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tpm/device/esys_ptr.h"
#include "tpm/device/tss_status.h"
#include "tss2/tss2_mu.h"

namespace vigil::tpm {
namespace {

bool RejectedCredential(uint32_t rc) {
  std::optional<uint32_t> base = TpmRcBase(rc);
  if (!base.has_value()) return false;
  switch (*base) {
    case TPM2_RC_INTEGRITY:
    case TPM2_RC_VALUE:
    case TPM2_RC_SIZE:
    case TPM2_RC_ECC_POINT:
    case TPM2_RC_INSUFFICIENT:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> ActivateCredential(
    const EsysContext& ctx, const EndorsementKey& ek, const AttestationKey& ak,
    const CredentialBlob& blob) {
  TPM2B_ID_OBJECT id_object{};
  size_t offset = 0;
  if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(blob.id_object.data(),
                                        blob.id_object.size(), &offset,
                                        &id_object) != TSS2_RC_SUCCESS ||
      offset != blob.id_object.size()) {
    return absl::InvalidArgumentError(
        "activate credential: id_object is not a TPM2B_ID_OBJECT");
  }
  TPM2B_ENCRYPTED_SECRET secret{};
  offset = 0;
  if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(
          blob.encrypted_secret.data(), blob.encrypted_secret.size(), &offset,
          &secret) != TSS2_RC_SUCCESS ||
      offset != blob.encrypted_secret.size()) {
    return absl::InvalidArgumentError(
        "activate credential: encrypted_secret is not a TPM2B_ENCRYPTED_SECRET");
  }
  ASSIGN_OR_RETURN(TransientHandle session, EkAuthSession(ctx, ek));
  TPM2B_DIGEST* raw_cert_info = nullptr;
  TSS2_RC rc = Esys_ActivateCredential(
      ctx.get(), ak.handle.get(), ek.handle.get(), ESYS_TR_PASSWORD,
      session.valid() ? session.get() : ESYS_TR_PASSWORD, ESYS_TR_NONE,
      &id_object, &secret, &raw_cert_info);
  EsysPtr<TPM2B_DIGEST> cert_info(raw_cert_info);
  if (rc != TSS2_RC_SUCCESS) {
    absl::Status s = TssStatus("Esys_ActivateCredential", rc);
    if (RejectedCredential(rc)) {
      absl::Status bad = WithContext(
          s, "activate credential: the TPM rejected the credential (not made "
             "for this EK and AK Name, or altered)");
      absl::Status out(absl::StatusCode::kInvalidArgument, bad.message());
      bad.ForEachPayload([&out](absl::string_view url, const absl::Cord& p) {
        out.SetPayload(url, p);
      });
      return out;
    }
    return WithContext(s, "activate credential");
  }
  return std::vector<uint8_t>(cert_info->buffer,
                              cert_info->buffer + cert_info->size);
}

}  // namespace vigil::tpm
