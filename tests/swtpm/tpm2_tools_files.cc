#include "tests/swtpm/tpm2_tools_files.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/encoding.h"
#include "openssl/bio.h"
#include "openssl/core_names.h"
#include "openssl/evp.h"
#include "openssl/param_build.h"
#include "openssl/pem.h"
#include "tests/swtpm/subprocess.h"
#include "tss2/tss2_mu.h"

namespace vigil::testing {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using BldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

}  // namespace

absl::StatusOr<std::string> PublicAreaToPem(absl::Span<const uint8_t> public_area) {
  TPM2B_PUBLIC pub{};
  size_t off = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(public_area.data(), public_area.size(), &off,
                                     &pub) != TSS2_RC_SUCCESS) {
    return absl::InvalidArgumentError("not a TPM2B_PUBLIC");
  }
  const TPMT_PUBLIC& t = pub.publicArea;
  BldPtr bld(OSSL_PARAM_BLD_new());
  BnPtr n, e;
  std::vector<uint8_t> point;
  const char* type = nullptr;
  if (t.type == TPM2_ALG_RSA) {
    type = "RSA";
    n.reset(BN_bin2bn(t.unique.rsa.buffer, t.unique.rsa.size, nullptr));
    e.reset(BN_new());
    BN_set_word(e.get(), t.parameters.rsaDetail.exponent ? t.parameters.rsaDetail.exponent : 65537);
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
  } else if (t.type == TPM2_ALG_ECC) {
    type = "EC";
    size_t field = 0;
    const char* group = nullptr;
    if (t.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256) {
      field = 32, group = "prime256v1";
    } else if (t.parameters.eccDetail.curveID == TPM2_ECC_NIST_P384) {
      field = 48, group = "secp384r1";
    } else {
      return absl::InvalidArgumentError("unsupported curve");
    }
    point.assign(1 + 2 * field, 0);
    point[0] = 0x04;
    const TPMS_ECC_POINT& q = t.unique.ecc;
    std::copy(q.x.buffer, q.x.buffer + q.x.size, point.begin() + 1 + field - q.x.size);
    std::copy(q.y.buffer, q.y.buffer + q.y.size, point.begin() + 1 + 2 * field - q.y.size);
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                     point.size());
  } else {
    return absl::InvalidArgumentError("not an RSA or ECC key");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return absl::InternalError("EVP_PKEY_fromdata failed");
  }
  PkeyPtr key(raw);
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PUBKEY(bio.get(), key.get())) {
    return absl::InternalError("PEM_write_bio_PUBKEY failed");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string Tpm2ToolsPcrList(const std::vector<tpm::PcrBank>& pcrs) {
  std::vector<std::string> parts;
  for (const tpm::PcrBank& b : pcrs) {
    std::vector<std::string> idx;
    for (const auto& [i, v] : b.values) idx.push_back(absl::StrCat(i));
    parts.push_back(absl::StrCat(tpm::HashAlgName(b.alg), ":", absl::StrJoin(idx, ",")));
  }
  return absl::StrJoin(parts, "+");
}

std::string Tpm2ToolsPcrValues(const std::vector<tpm::PcrBank>& pcrs) {
  std::string out;
  for (const tpm::PcrBank& b : pcrs) {
    for (const auto& [i, v] : b.values) out.append(v.begin(), v.end());
  }
  return out;
}

std::string Tpm2ToolsSerializedPcrs(const std::vector<tpm::PcrBank>& pcrs) {
  // tpm2-tools' pcr_fwrite_serialized: the host-order TPML_PCR_SELECTION
  // struct, a UINT32 count, then `count` TPML_DIGEST structs of up to 8
  // digests, in selection order.
  TPML_PCR_SELECTION sel{};
  std::vector<TPML_DIGEST> digests;
  for (const tpm::PcrBank& b : pcrs) {
    TPMS_PCR_SELECTION& s = sel.pcrSelections[sel.count++];
    s.hash = static_cast<TPMI_ALG_HASH>(b.alg);
    s.sizeofSelect = 3;
    for (const auto& [i, v] : b.values) {
      s.pcrSelect[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
      if (digests.empty() || digests.back().count == 8) digests.push_back(TPML_DIGEST{});
      TPM2B_DIGEST& d = digests.back().digests[digests.back().count++];
      d.size = static_cast<uint16_t>(v.size());
      std::copy(v.begin(), v.end(), d.buffer);
    }
  }
  std::string out(reinterpret_cast<const char*>(&sel), sizeof(sel));
  uint32_t count = static_cast<uint32_t>(digests.size());
  out.append(reinterpret_cast<const char*>(&count), sizeof(count));
  for (const TPML_DIGEST& d : digests) {
    out.append(reinterpret_cast<const char*>(&d), sizeof(d));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> WriteCheckquoteInputs(
    const std::string& dir, absl::Span<const uint8_t> ak_public,
    const tpm::QuoteResult& quote, absl::Span<const uint8_t> nonce) {
  absl::StatusOr<std::string> pem = PublicAreaToPem(ak_public);
  if (!pem.ok()) return pem.status();
  absl::Status s = WriteFile(dir + "/ak.pem", *pem);
  if (s.ok()) s = WriteFile(dir + "/quote.msg", std::string(quote.attest.begin(), quote.attest.end()));
  if (s.ok()) {
    s = WriteFile(dir + "/quote.sig", std::string(quote.signature.begin(), quote.signature.end()));
  }
  if (s.ok()) s = WriteFile(dir + "/quote.pcrs", Tpm2ToolsSerializedPcrs(quote.pcrs));
  if (!s.ok()) return s;
  return std::vector<std::string>{
      "tpm2_checkquote", "-u", dir + "/ak.pem", "-m", dir + "/quote.msg",
      "-s", dir + "/quote.sig", "-f", dir + "/quote.pcrs", "-g", "sha256",
      "-q", HexEncode(nonce)};
}

}  // namespace vigil::testing
