#include "tpm/device/esys_util.h"

#include "tpm/device/esys_ptr.h"
#include "tpm/device/tss_status.h"
#include "tss2/tss2_mu.h"

namespace vigil::tpm {

absl::StatusOr<std::vector<uint8_t>> MarshalPublic(const TPM2B_PUBLIC& pub) {
  std::vector<uint8_t> out(sizeof(TPM2B_PUBLIC));
  size_t offset = 0;
  TSS2_RC rc = Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, out.data(), out.size(), &offset);
  if (rc != TSS2_RC_SUCCESS) return TssStatus("Tss2_MU_TPM2B_PUBLIC_Marshal", rc);
  out.resize(offset);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> MarshalSignature(const TPMT_SIGNATURE& sig) {
  std::vector<uint8_t> out(sizeof(TPMT_SIGNATURE));
  size_t offset = 0;
  TSS2_RC rc =
      Tss2_MU_TPMT_SIGNATURE_Marshal(&sig, out.data(), out.size(), &offset);
  if (rc != TSS2_RC_SUCCESS) return TssStatus("Tss2_MU_TPMT_SIGNATURE_Marshal", rc);
  out.resize(offset);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> ObjectName(const EsysContext& ctx,
                                                ESYS_TR object) {
  TPM2B_NAME* raw = nullptr;
  TSS2_RC rc = Esys_TR_GetName(ctx.get(), object, &raw);
  EsysPtr<TPM2B_NAME> name(raw);
  if (rc != TSS2_RC_SUCCESS) return TssStatus("Esys_TR_GetName", rc);
  return std::vector<uint8_t>(name->name, name->name + name->size);
}

absl::StatusOr<TransientHandle> StartPolicySecretSession(const EsysContext& ctx,
                                                         ESYS_TR auth_entity) {
  TPMT_SYM_DEF symmetric{};
  symmetric.algorithm = TPM2_ALG_NULL;
  ESYS_TR session = ESYS_TR_NONE;
  TSS2_RC rc = Esys_StartAuthSession(
      ctx.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
      ESYS_TR_NONE, nullptr, TPM2_SE_POLICY, &symmetric, TPM2_ALG_SHA256,
      &session);
  if (rc != TSS2_RC_SUCCESS) return TssStatus("Esys_StartAuthSession", rc);
  TransientHandle handle(ctx, session);
  TPM2B_TIMEOUT* raw_timeout = nullptr;
  TPMT_TK_AUTH* raw_ticket = nullptr;
  rc = Esys_PolicySecret(ctx.get(), auth_entity, session, ESYS_TR_PASSWORD,
                         ESYS_TR_NONE, ESYS_TR_NONE, nullptr, nullptr, nullptr,
                         0, &raw_timeout, &raw_ticket);
  EsysPtr<TPM2B_TIMEOUT> timeout(raw_timeout);
  EsysPtr<TPMT_TK_AUTH> ticket(raw_ticket);
  if (rc != TSS2_RC_SUCCESS) return TssStatus("Esys_PolicySecret", rc);
  return handle;
}

}  // namespace vigil::tpm
