#include "tpm/wire/public_area.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tpm/wire/internal/mu_reader.h"

namespace vigil::tpm {
namespace {

using wire_internal::MuReader;

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

absl::StatusOr<PublicArea> ParseTpmtPublicUnchecked(
    absl::Span<const uint8_t> bytes, absl::string_view what) {
  PublicArea area;
  TPMT_PUBLIC& p = area.tpmt;
  MuReader r(what, bytes);
  RETURN_IF_ERROR(r.Read(Tss2_MU_UINT16_Unmarshal, "type", &p.type));
  if (p.type != TPM2_ALG_RSA && p.type != TPM2_ALG_ECC &&
      p.type != TPM2_ALG_KEYEDHASH && p.type != TPM2_ALG_SYMCIPHER) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ".type at offset 0: unknown TPMI_ALG_PUBLIC 0x",
        absl::Hex(p.type, absl::kZeroPad4)));
  }
  RETURN_IF_ERROR(r.Read(Tss2_MU_UINT16_Unmarshal, "nameAlg", &p.nameAlg));
  RETURN_IF_ERROR(r.Read(Tss2_MU_TPMA_OBJECT_Unmarshal, "objectAttributes",
                         &p.objectAttributes));
  RETURN_IF_ERROR(r.ReadSized(Tss2_MU_TPM2B_DIGEST_Unmarshal, "authPolicy",
                              sizeof(p.authPolicy.buffer), &p.authPolicy));
  RETURN_IF_ERROR(r.ReadUnion(Tss2_MU_TPMU_PUBLIC_PARMS_Unmarshal, p.type,
                              "parameters", &p.parameters));
  RETURN_IF_ERROR(r.ReadUnion(Tss2_MU_TPMU_PUBLIC_ID_Unmarshal, p.type,
                              "unique", &p.unique));
  RETURN_IF_ERROR(r.ExpectEnd());

  // Re-marshal and require the same bytes: the Name is a hash of this
  // encoding, so a second encoding of the same key must not exist.
  uint8_t buf[sizeof(TPMT_PUBLIC) + 16];
  size_t len = 0;
  if (Tss2_MU_TPMT_PUBLIC_Marshal(&p, buf, sizeof(buf), &len) !=
          TSS2_RC_SUCCESS ||
      len != bytes.size() || !std::equal(bytes.begin(), bytes.end(), buf)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": non-canonical encoding"));
  }
  area.marshalled.assign(bytes.begin(), bytes.end());
  return area;
}

absl::StatusOr<BIGNUM*> ToBn(absl::Span<const uint8_t> bytes) {
  BIGNUM* bn = BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr);
  if (bn == nullptr) return absl::InternalError("BN_bin2bn failed");
  return bn;
}

absl::StatusOr<EvpPkeyPtr> FromData(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(
      OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (params == nullptr || ctx == nullptr) {
    return absl::InternalError("OpenSSL key import setup failed");
  }
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) !=
          1) {
    return absl::InvalidArgumentError(
        absl::StrCat("OpenSSL rejected the ", type, " public key"));
  }
  return EvpPkeyPtr(pkey);
}

absl::StatusOr<EvpPkeyPtr> RsaKey(const TPMT_PUBLIC& p) {
  const TPM2B_PUBLIC_KEY_RSA& n = p.unique.rsa;
  if (n.size == 0 || n.buffer[0] == 0) {
    return absl::InvalidArgumentError(
        "TPMT_PUBLIC.unique.rsa: empty modulus or leading zero byte");
  }
  if (n.size * 8 != p.parameters.rsaDetail.keyBits) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TPMT_PUBLIC.unique.rsa: modulus is ", n.size * 8,
        " bits but parameters.rsaDetail.keyBits says ",
        p.parameters.rsaDetail.keyBits));
  }
  uint32_t e = p.parameters.rsaDetail.exponent;
  if (e == 0) e = 65537;
  if (e < 3 || (e & 1) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TPMT_PUBLIC.parameters.rsaDetail.exponent: invalid exponent ", e));
  }
  ASSIGN_OR_RETURN(BIGNUM * nb, ToBn(absl::MakeConstSpan(n.buffer, n.size)));
  std::unique_ptr<BIGNUM, BnDeleter> n_bn(nb);
  std::unique_ptr<BIGNUM, BnDeleter> e_bn(BN_new());
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (e_bn == nullptr || bld == nullptr || BN_set_word(e_bn.get(), e) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n_bn.get()) !=
          1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get()) !=
          1) {
    return absl::InternalError("OpenSSL RSA parameter setup failed");
  }
  return FromData("RSA", bld.get());
}

absl::StatusOr<EvpPkeyPtr> EccKey(const TPMT_PUBLIC& p) {
  const TPM2_ECC_CURVE curve = p.parameters.eccDetail.curveID;
  const char* group = EccCurveName(curve);
  const size_t coord = EccCoordinateSize(curve);
  if (group == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TPMT_PUBLIC.parameters.eccDetail.curveID: unsupported curve 0x",
        absl::Hex(curve, absl::kZeroPad4)));
  }
  const TPMS_ECC_POINT& q = p.unique.ecc;
  if (q.x.size == 0 || q.x.size > coord || q.y.size == 0 ||
      q.y.size > coord) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TPMT_PUBLIC.unique.ecc: coordinate sizes ", q.x.size, "/", q.y.size,
        " do not fit curve ", group, " (", coord, " bytes)"));
  }
  // SEC 1 uncompressed point: 04 || X || Y, each left-padded to the field size.
  std::vector<uint8_t> point(1 + 2 * coord, 0);
  point[0] = 0x04;
  std::copy(q.x.buffer, q.x.buffer + q.x.size,
            point.begin() + 1 + (coord - q.x.size));
  std::copy(q.y.buffer, q.y.buffer + q.y.size,
            point.begin() + 1 + coord + (coord - q.y.size));
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return absl::InternalError("OpenSSL EC parameter setup failed");
  }
  absl::StatusOr<EvpPkeyPtr> key = FromData("EC", bld.get());
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TPMT_PUBLIC.unique.ecc: not a point on ", group));
  }
  return key;
}

}  // namespace

const char* EccCurveName(TPM2_ECC_CURVE curve) {
  switch (curve) {
    case TPM2_ECC_NIST_P256:
      return "P-256";
    case TPM2_ECC_NIST_P384:
      return "P-384";
    case TPM2_ECC_NIST_P521:
      return "P-521";
    default:
      return nullptr;
  }
}

size_t EccCoordinateSize(TPM2_ECC_CURVE curve) {
  switch (curve) {
    case TPM2_ECC_NIST_P256:
      return 32;
    case TPM2_ECC_NIST_P384:
      return 48;
    case TPM2_ECC_NIST_P521:
      return 66;
    default:
      return 0;
  }
}

absl::StatusOr<PublicArea> ParseTpmtPublic(absl::Span<const uint8_t> bytes) {
  RETURN_IF_ERROR(wire_internal::CheckInputSize("TPMT_PUBLIC", bytes));
  return ParseTpmtPublicUnchecked(bytes, "TPMT_PUBLIC");
}

absl::StatusOr<PublicArea> ParseTpm2bPublic(absl::Span<const uint8_t> bytes) {
  RETURN_IF_ERROR(wire_internal::CheckInputSize("TPM2B_PUBLIC", bytes));
  MuReader r("TPM2B_PUBLIC", bytes);
  uint16_t size = 0;
  RETURN_IF_ERROR(r.Read(Tss2_MU_UINT16_Unmarshal, "size", &size));
  const size_t rest = bytes.size() - 2;
  if (size == 0 || size != rest) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TPM2B_PUBLIC.size at offset 0: says ", size, " but ", rest,
        " byte(s) follow", size < rest ? " (trailing bytes)" : ""));
  }
  return ParseTpmtPublicUnchecked(bytes.subspan(2), "TPM2B_PUBLIC.publicArea");
}

absl::StatusOr<PublicArea> MakePublicArea(const TPMT_PUBLIC& tpmt) {
  uint8_t buf[sizeof(TPMT_PUBLIC) + 16];
  size_t len = 0;
  if (Tss2_MU_TPMT_PUBLIC_Marshal(&tpmt, buf, sizeof(buf), &len) !=
      TSS2_RC_SUCCESS) {
    return absl::InvalidArgumentError("TPMT_PUBLIC: cannot be marshalled");
  }
  PublicArea area;
  area.tpmt = tpmt;
  area.marshalled.assign(buf, buf + len);
  return area;
}

absl::StatusOr<HashAlg> NameAlg(const PublicArea& area) {
  std::optional<HashAlg> alg = HashAlgFromId(area.tpmt.nameAlg);
  if (!alg.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TPMT_PUBLIC.nameAlg: 0x", absl::Hex(area.tpmt.nameAlg, absl::kZeroPad4),
        " is not a hash algorithm"));
  }
  return *alg;
}

absl::StatusOr<std::vector<uint8_t>> ComputeName(const PublicArea& area) {
  ASSIGN_OR_RETURN(HashAlg alg, NameAlg(area));
  std::vector<uint8_t> name(2 + DigestSize(alg));
  name[0] = static_cast<uint8_t>(area.tpmt.nameAlg >> 8);
  name[1] = static_cast<uint8_t>(area.tpmt.nameAlg);
  RETURN_IF_ERROR(HashParts(alg, {area.marshalled}, name.data() + 2));
  return name;
}

absl::StatusOr<EvpPkeyPtr> PublicKeyFromArea(const PublicArea& area) {
  switch (area.tpmt.type) {
    case TPM2_ALG_RSA:
      return RsaKey(area.tpmt);
    case TPM2_ALG_ECC:
      return EccKey(area.tpmt);
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "TPMT_PUBLIC.type: 0x", absl::Hex(area.tpmt.type, absl::kZeroPad4),
          " is not an asymmetric key type (want TPM_ALG_RSA or TPM_ALG_ECC)"));
  }
}

}  // namespace vigil::tpm
