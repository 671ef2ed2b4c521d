#include "tpm/device/ek.h"

#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "openssl/bn.h"
#include "openssl/core_names.h"
#include "openssl/evp.h"
#include "openssl/x509.h"
#include "tpm/device/esys_ptr.h"
#include "tpm/device/esys_util.h"
#include "tpm/device/tpm_info.h"
#include "tpm/device/tss_status.h"
#include "tss2/tss2_mu.h"

namespace vigil::tpm {
namespace {

// EKCP Annex B.3.2 / Table 2: PolicyA_SHA256 =
// TPM2_PolicySecret(TPM_RH_ENDORSEMENT) with an empty policyRef.
constexpr uint8_t kPolicyASha256[32] = {
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC,
    0x8D, 0x46, 0xA5, 0xD7, 0x24, 0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52,
    0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B, 0x33, 0x14, 0x69, 0xAA};
// EKCP Annex B.4 / Table 5: PolicyB_SHA384 = PolicyOR(PolicyA_SHA384,
// PolicyC_SHA384), the authPolicy of the high-range templates.
constexpr uint8_t kPolicyBSha384[48] = {
    0xB2, 0x6E, 0x7D, 0x28, 0xD1, 0x1A, 0x50, 0xBC, 0x53, 0xD8, 0x82, 0xBC,
    0xF5, 0xFD, 0x3A, 0x1A, 0x07, 0x41, 0x48, 0xBB, 0x35, 0xD3, 0xB4, 0xE4,
    0xCB, 0x1C, 0x0A, 0xD9, 0xBD, 0xE4, 0x19, 0xCA, 0xCB, 0x47, 0xBA, 0x09,
    0x69, 0x96, 0x46, 0x15, 0x0F, 0x9F, 0xC0, 0x00, 0xF3, 0xF8, 0x0E, 0x12};

// fixedTPM | fixedParent | sensitiveDataOrigin | adminWithPolicy |
// restricted | decrypt (EKCP Table 2 / Table 3).
constexpr TPMA_OBJECT kLowRangeAttributes =
    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
// The high-range templates add userWithAuth (EKCP §2.2.1.5.2).
constexpr TPMA_OBJECT kHighRangeAttributes =
    kLowRangeAttributes | TPMA_OBJECT_USERWITHAUTH;

TPM2B_PUBLIC EkTemplate(EkKind kind) {
  TPM2B_PUBLIC t{};
  TPMT_PUBLIC& p = t.publicArea;
  switch (kind) {
    case EkKind::kRsa2048:  // EKCP Table 2, template L-1
      p.type = TPM2_ALG_RSA;
      p.nameAlg = TPM2_ALG_SHA256;
      p.objectAttributes = kLowRangeAttributes;
      p.authPolicy.size = sizeof(kPolicyASha256);
      std::memcpy(p.authPolicy.buffer, kPolicyASha256, sizeof(kPolicyASha256));
      p.parameters.rsaDetail.symmetric = {TPM2_ALG_AES, {128}, {TPM2_ALG_CFB}};
      p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
      p.parameters.rsaDetail.keyBits = 2048;
      p.parameters.rsaDetail.exponent = 0;
      p.unique.rsa.size = 256;  // 256 zero bytes
      break;
    case EkKind::kEccNistP256:  // EKCP Table 3, template L-2
      p.type = TPM2_ALG_ECC;
      p.nameAlg = TPM2_ALG_SHA256;
      p.objectAttributes = kLowRangeAttributes;
      p.authPolicy.size = sizeof(kPolicyASha256);
      std::memcpy(p.authPolicy.buffer, kPolicyASha256, sizeof(kPolicyASha256));
      p.parameters.eccDetail.symmetric = {TPM2_ALG_AES, {128}, {TPM2_ALG_CFB}};
      p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
      p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
      p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
      p.unique.ecc.x.size = 32;  // zeros
      p.unique.ecc.y.size = 32;
      break;
    case EkKind::kEccNistP384:  // EKCP Table 11, template H-3
      p.type = TPM2_ALG_ECC;
      p.nameAlg = TPM2_ALG_SHA384;
      p.objectAttributes = kHighRangeAttributes;
      p.authPolicy.size = sizeof(kPolicyBSha384);
      std::memcpy(p.authPolicy.buffer, kPolicyBSha384, sizeof(kPolicyBSha384));
      p.parameters.eccDetail.symmetric = {TPM2_ALG_AES, {256}, {TPM2_ALG_CFB}};
      p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
      p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
      p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
      // High-range templates leave unique empty (EKCP §2.2.1.5.2).
      break;
  }
  return t;
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};

absl::StatusOr<TPM2B_PUBLIC> UnmarshalPublic(absl::Span<const uint8_t> bytes) {
  TPM2B_PUBLIC pub{};
  size_t offset = 0;
  TSS2_RC rc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(bytes.data(), bytes.size(),
                                              &offset, &pub);
  if (rc != TSS2_RC_SUCCESS || offset != bytes.size()) {
    return absl::InvalidArgumentError("ek public area: not a TPM2B_PUBLIC");
  }
  return pub;
}

}  // namespace

absl::string_view EkKindName(EkKind kind) {
  switch (kind) {
    case EkKind::kRsa2048:
      return "rsa2048";
    case EkKind::kEccNistP256:
      return "ecc-p256";
    case EkKind::kEccNistP384:
      return "ecc-p384";
  }
  return "unknown";
}

uint32_t EkCertNvIndex(EkKind kind) {
  switch (kind) {
    case EkKind::kRsa2048:
      return 0x01c00002;
    case EkKind::kEccNistP256:
      return 0x01c0000a;
    case EkKind::kEccNistP384:
      return 0x01c00016;
  }
  return 0;
}

absl::StatusOr<std::vector<uint8_t>> ReadNvIndex(const EsysContext& ctx,
                                                 uint32_t index) {
  ESYS_TR tr = ESYS_TR_NONE;
  TSS2_RC rc = Esys_TR_FromTPMPublic(ctx.get(), index, ESYS_TR_NONE,
                                     ESYS_TR_NONE, ESYS_TR_NONE, &tr);
  if (rc != TSS2_RC_SUCCESS) {
    std::optional<uint32_t> base = TpmRcBase(rc);
    if (base.has_value() && *base == TPM2_RC_HANDLE) {
      return absl::NotFoundError(absl::StrCat(
          "nv index 0x", absl::Hex(index, absl::kZeroPad8), " is not defined"));
    }
    return TssStatus("Esys_TR_FromTPMPublic", rc);
  }
  PersistentHandle nv(ctx, tr);
  TPM2B_NV_PUBLIC* raw_pub = nullptr;
  rc = Esys_NV_ReadPublic(ctx.get(), nv.get(), ESYS_TR_NONE, ESYS_TR_NONE,
                          ESYS_TR_NONE, &raw_pub, nullptr);
  EsysPtr<TPM2B_NV_PUBLIC> pub(raw_pub);
  if (rc != TSS2_RC_SUCCESS) return TssStatus("Esys_NV_ReadPublic", rc);
  const uint16_t size = pub->nvPublic.dataSize;
  const bool auth_read = pub->nvPublic.attributes & TPMA_NV_AUTHREAD;
  ESYS_TR auth = auth_read ? nv.get() : ESYS_TR_RH_OWNER;
  absl::StatusOr<uint32_t> chunk = NvBufferMax(ctx);
  if (!chunk.ok()) return chunk.status();
  std::vector<uint8_t> out;
  out.reserve(size);
  while (out.size() < size) {
    uint16_t n = static_cast<uint16_t>(
        std::min<size_t>(*chunk, size - out.size()));
    TPM2B_MAX_NV_BUFFER* raw_data = nullptr;
    rc = Esys_NV_Read(ctx.get(), auth, nv.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE,
                      ESYS_TR_NONE, n, static_cast<uint16_t>(out.size()),
                      &raw_data);
    EsysPtr<TPM2B_MAX_NV_BUFFER> data(raw_data);
    if (rc != TSS2_RC_SUCCESS) return TssStatus("Esys_NV_Read", rc);
    if (data->size == 0 || data->size > n) {
      return absl::InternalError("Esys_NV_Read: unexpected chunk size");
    }
    out.insert(out.end(), data->buffer, data->buffer + data->size);
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> ReadEkCertificate(const EsysContext& ctx,
                                                       EkKind kind) {
  absl::StatusOr<std::vector<uint8_t>> raw = ReadNvIndex(ctx, EkCertNvIndex(kind));
  if (!raw.ok()) {
    return absl::Status(raw.status().code(),
                        absl::StrCat("read ", EkKindName(kind),
                                     " ek certificate: ", raw.status().message()));
  }
  // Some TPMs size the index larger than the certificate and pad with zeros
  // (EKCP §2.2.1.5.1 allows it); keep exactly the DER SEQUENCE.
  const std::vector<uint8_t>& b = *raw;
  size_t total = 0;
  if (b.size() >= 2 && b[0] == 0x30) {
    if (b[1] < 0x80) {
      total = 2 + b[1];
    } else {
      size_t n = b[1] & 0x7f;
      if (n >= 1 && n <= 3 && b.size() >= 2 + n) {
        size_t len = 0;
        for (size_t i = 0; i < n; ++i) len = (len << 8) | b[2 + i];
        total = 2 + n + len;
      }
    }
  }
  if (total == 0 || total > b.size()) {
    return absl::DataLossError(absl::StrCat(
        "read ", EkKindName(kind), " ek certificate: nv index 0x",
        absl::Hex(EkCertNvIndex(kind)), " does not hold a DER certificate"));
  }
  return std::vector<uint8_t>(b.begin(), b.begin() + total);
}

absl::StatusOr<EndorsementKey> CreateEk(const EsysContext& ctx, EkKind kind) {
  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_PUBLIC templ = EkTemplate(kind);
  TPM2B_DATA outside_info{};
  TPML_PCR_SELECTION creation_pcr{};
  ESYS_TR tr = ESYS_TR_NONE;
  TPM2B_PUBLIC* raw_pub = nullptr;
  TPM2B_CREATION_DATA* raw_cd = nullptr;
  TPM2B_DIGEST* raw_ch = nullptr;
  TPMT_TK_CREATION* raw_tk = nullptr;
  TSS2_RC rc = Esys_CreatePrimary(
      ctx.get(), ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
      ESYS_TR_NONE, &sensitive, &templ, &outside_info, &creation_pcr, &tr,
      &raw_pub, &raw_cd, &raw_ch, &raw_tk);
  EsysPtr<TPM2B_PUBLIC> pub(raw_pub);
  EsysPtr<TPM2B_CREATION_DATA> cd(raw_cd);
  EsysPtr<TPM2B_DIGEST> ch(raw_ch);
  EsysPtr<TPMT_TK_CREATION> tk(raw_tk);
  if (rc != TSS2_RC_SUCCESS) {
    return WithContext(TssStatus("Esys_CreatePrimary", rc),
                              absl::StrCat("create ", EkKindName(kind), " ek"));
  }
  EndorsementKey ek;
  ek.kind = kind;
  ek.handle = TransientHandle(ctx, tr);
  absl::StatusOr<std::vector<uint8_t>> bytes = MarshalPublic(*pub);
  if (!bytes.ok()) return bytes.status();
  ek.public_area = *std::move(bytes);
  absl::StatusOr<std::vector<uint8_t>> name = ObjectName(ctx, tr);
  if (!name.ok()) return name.status();
  ek.name = *std::move(name);
  return ek;
}

absl::Status CheckEkMatchesCertificate(absl::Span<const uint8_t> public_area,
                                       absl::Span<const uint8_t> cert_der) {
  absl::StatusOr<TPM2B_PUBLIC> pub = UnmarshalPublic(public_area);
  if (!pub.ok()) return pub.status();
  const uint8_t* p = cert_der.data();
  std::unique_ptr<X509, X509Free> cert(
      d2i_X509(nullptr, &p, static_cast<long>(cert_der.size())));
  if (cert == nullptr) {
    return absl::InvalidArgumentError("ek certificate: not a DER X.509 certificate");
  }
  EVP_PKEY* key = X509_get0_pubkey(cert.get());  // owned by cert
  if (key == nullptr) {
    return absl::InvalidArgumentError("ek certificate: unreadable public key");
  }
  const TPMT_PUBLIC& t = pub->publicArea;
  if (t.type == TPM2_ALG_RSA) {
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
      return absl::FailedPreconditionError(
          "ek certificate holds a non-RSA key, the EK is RSA");
    }
    BIGNUM* n_raw = nullptr;
    BIGNUM* e_raw = nullptr;
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n_raw);
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e_raw);
    std::unique_ptr<BIGNUM, BnFree> n(n_raw), e(e_raw);
    std::unique_ptr<BIGNUM, BnFree> tn(
        BN_bin2bn(t.unique.rsa.buffer, t.unique.rsa.size, nullptr));
    std::unique_ptr<BIGNUM, BnFree> te(BN_new());
    // exponent 0 means the default 2^16+1 (Part 2 §12.2.3.5).
    uint32_t exp = t.parameters.rsaDetail.exponent ? t.parameters.rsaDetail.exponent : 65537;
    if (!n || !e || !tn || !te || !BN_set_word(te.get(), exp)) {
      return absl::InternalError("ek check: OpenSSL bignum failure");
    }
    if (BN_cmp(n.get(), tn.get()) != 0 || BN_cmp(e.get(), te.get()) != 0) {
      return absl::FailedPreconditionError(
          "ek public key differs from the certificate's (RSA modulus or "
          "exponent)");
    }
    return absl::OkStatus();
  }
  if (t.type == TPM2_ALG_ECC) {
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
      return absl::FailedPreconditionError(
          "ek certificate holds a non-EC key, the EK is ECC");
    }
    char group[64] = {};
    size_t group_len = 0;
    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                   sizeof(group), &group_len);
    size_t field = 0;
    const char* want_group = "";
    switch (t.parameters.eccDetail.curveID) {
      case TPM2_ECC_NIST_P256:
        field = 32;
        want_group = "prime256v1";
        break;
      case TPM2_ECC_NIST_P384:
        field = 48;
        want_group = "secp384r1";
        break;
      default:
        return absl::InvalidArgumentError("ek public area: unsupported curve");
    }
    if (std::string(group) != want_group) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ek certificate curve ", group, " differs from the EK's ", want_group));
    }
    uint8_t point[1 + 2 * 66] = {};
    size_t point_len = 0;
    if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                         point, sizeof(point), &point_len)) {
      return absl::InternalError("ek check: cannot read the certificate's EC point");
    }
    const TPMS_ECC_POINT& q = t.unique.ecc;
    if (q.x.size > field || q.y.size > field) {
      return absl::InvalidArgumentError("ek public area: coordinate too long");
    }
    std::vector<uint8_t> want(1 + 2 * field, 0);
    want[0] = 0x04;  // uncompressed (SEC 1 §2.3.3)
    std::memcpy(&want[1 + field - q.x.size], q.x.buffer, q.x.size);
    std::memcpy(&want[1 + 2 * field - q.y.size], q.y.buffer, q.y.size);
    if (point_len != want.size() ||
        std::memcmp(point, want.data(), want.size()) != 0) {
      return absl::FailedPreconditionError(
          "ek public key differs from the certificate's (EC point)");
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("ek public area: not an RSA or ECC key");
}

absl::StatusOr<TransientHandle> EkAuthSession(const EsysContext& ctx,
                                              const EndorsementKey& ek) {
  if (ek.kind == EkKind::kEccNistP384) return TransientHandle();
  return StartPolicySecretSession(ctx, ESYS_TR_RH_ENDORSEMENT);
}

}  // namespace vigil::tpm
