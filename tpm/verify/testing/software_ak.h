// File: tpm/verify/testing/software_ak.h
// -----------------------------------------------------------------------------
// Test-only: an ECDSA P-256 "AK" whose private key lives in OpenSSL, with a
// public area carrying the usual AK attributes, so hostile tests can sign
// TPMS_ATTEST structures no TPM would produce (wrong magic, wrong type, bad
// selections) and check that the verifier rejects them for the precise reason
// rather than for a bad signature.

#ifndef VIGIL_TPM_VERIFY_TESTING_SOFTWARE_AK_H_
#define VIGIL_TPM_VERIFY_TESTING_SOFTWARE_AK_H_

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "tpm/wire/attest_info.h"
#include "tpm/wire/public_area.h"

namespace vigil::tpm::testing {

class SoftwareAk {
 public:
  SoftwareAk() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")) {
    TPMT_PUBLIC p{};
    p.type = TPM2_ALG_ECC;
    p.nameAlg = TPM2_ALG_SHA256;
    p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                         TPMA_OBJECT_SENSITIVEDATAORIGIN |
                         TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED |
                         TPMA_OBJECT_SIGN_ENCRYPT;
    p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    p.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    p.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, &x);
    EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, &y);
    p.unique.ecc.x.size = 32;
    p.unique.ecc.y.size = 32;
    BN_bn2binpad(x, p.unique.ecc.x.buffer, 32);
    BN_bn2binpad(y, p.unique.ecc.y.buffer, 32);
    BN_free(x);
    BN_free(y);
    public_ = *MakePublicArea(p);
    sign_ctx_.reset(EVP_MD_CTX_new());
    EVP_DigestSignInit_ex(sign_ctx_.get(), nullptr, "SHA256", nullptr, nullptr,
                          key_.get(), nullptr);
  }

  const PublicArea& public_area() const { return public_; }

  // A marshalled TPMT_SIGNATURE (ECDSA/SHA-256) over `message`, or an empty
  // vector if OpenSSL fails (which no verifier accepts). Each call copies a
  // context set up once, marked final because the copy signs once:
  // EVP_DigestSignInit's algorithm fetch and key export were a fifth of
  // each call, and the load generator signs every simulated agent's quotes
  // on the verifier's cores. Safe to call from several threads.
  std::vector<uint8_t> Sign(const std::vector<uint8_t>& message) const {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (ctx == nullptr || sign_ctx_ == nullptr ||
        EVP_MD_CTX_copy_ex(ctx.get(), sign_ctx_.get()) != 1) {
      return {};
    }
    EVP_MD_CTX_set_flags(ctx.get(), EVP_MD_CTX_FLAG_FINALISE);
    uint8_t der[80];  // an ECDSA P-256 signature's DER: at most 72 bytes
    size_t len = sizeof(der);
    if (EVP_DigestSign(ctx.get(), der, &len, message.data(), message.size()) !=
        1) {
      return {};
    }
    const uint8_t* p = der;
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
    if (sig == nullptr) return {};
    TPMT_SIGNATURE t{};
    t.sigAlg = TPM2_ALG_ECDSA;
    t.signature.ecdsa.hash = TPM2_ALG_SHA256;
    t.signature.ecdsa.signatureR.size = 32;
    t.signature.ecdsa.signatureS.size = 32;
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), t.signature.ecdsa.signatureR.buffer, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), t.signature.ecdsa.signatureS.buffer, 32);
    ECDSA_SIG_free(sig);
    uint8_t buf[sizeof(TPMT_SIGNATURE)];
    size_t off = 0;
    Tss2_MU_TPMT_SIGNATURE_Marshal(&t, buf, sizeof(buf), &off);
    return std::vector<uint8_t>(buf, buf + off);
  }

 private:
  struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };

  EvpPkeyPtr key_;
  PublicArea public_;
  // Set up in the constructor; each Sign copies it (the copy only reads it).
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> sign_ctx_;
};

// A marshalled TPMS_ATTEST quote with the given fields (sha256 selection of
// `pcrs`; resetCount 7, restartCount 3). `clock` is a parameter because the
// verifier refuses a quote whose clock did not advance (the load generator
// attests one device many times).
inline std::vector<uint8_t> BuildQuoteAttest(
    uint32_t magic, uint16_t type, const std::vector<uint8_t>& nonce,
    const std::vector<uint32_t>& pcrs, const std::vector<uint8_t>& pcr_digest,
    uint16_t bank = TPM2_ALG_SHA256, uint64_t clock = 123456) {
  TPMS_ATTEST a{};
  a.magic = magic;
  a.type = type;
  a.qualifiedSigner.size = 0;
  a.extraData.size = static_cast<UINT16>(nonce.size());
  std::memcpy(a.extraData.buffer, nonce.data(), nonce.size());
  a.clockInfo.clock = clock;
  a.clockInfo.resetCount = 7;
  a.clockInfo.restartCount = 3;
  a.clockInfo.safe = 1;
  a.firmwareVersion = 0x0002000100000000ull;
  if (type == TPM2_ST_ATTEST_QUOTE) {
    TPML_PCR_SELECTION& s = a.attested.quote.pcrSelect;
    s.count = 1;
    s.pcrSelections[0].hash = bank;
    s.pcrSelections[0].sizeofSelect = 3;
    for (uint32_t p : pcrs) s.pcrSelections[0].pcrSelect[p / 8] |= 1u << (p % 8);
    a.attested.quote.pcrDigest.size = static_cast<UINT16>(pcr_digest.size());
    std::memcpy(a.attested.quote.pcrDigest.buffer, pcr_digest.data(),
                pcr_digest.size());
  }
  uint8_t buf[sizeof(TPMS_ATTEST)];
  size_t off = 0;
  Tss2_MU_TPMS_ATTEST_Marshal(&a, buf, sizeof(buf), &off);
  return std::vector<uint8_t>(buf, buf + off);
}

}  // namespace vigil::tpm::testing

#endif  // VIGIL_TPM_VERIFY_TESTING_SOFTWARE_AK_H_
