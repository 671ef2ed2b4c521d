// File: service/token/testing/independent_verifier.h
// -----------------------------------------------------------------------------
// Test-only helpers written against raw OpenSSL and nlohmann calls, sharing no
// code with the library under test, so a token that passes IndependentVerify
// was signed correctly by the book (RFC 7515 §5.2, RFC 7518 §3.3-3.4) rather
// than merely consistently with this library's own verifier.

#ifndef VIGIL_SERVICE_TOKEN_TESTING_INDEPENDENT_VERIFIER_H_
#define VIGIL_SERVICE_TOKEN_TESTING_INDEPENDENT_VERIFIER_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/encoding.h"
#include "nlohmann/json.hpp"

namespace vigil::token::testing {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// A fresh key made with raw EVP calls: "P-256" or "RSA-<bits>".
inline PkeyPtr RawGenerate(const std::string& what) {
  if (what == "P-256") return PkeyPtr(EVP_EC_gen("P-256"));
  if (what.rfind("RSA-", 0) == 0) {
    return PkeyPtr(
        EVP_RSA_gen(static_cast<unsigned>(std::stoi(what.substr(4)))));
  }
  if (what == "P-384") return PkeyPtr(EVP_EC_gen("P-384"));
  if (what == "Ed25519") {
    return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  }
  return nullptr;
}

// PEM of the private key: PKCS#8 when `pkcs8`, else the traditional
// ("EC PRIVATE KEY" / "RSA PRIVATE KEY") form.
inline std::string RawPrivatePem(EVP_PKEY* key, bool pkcs8) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (pkcs8) {
    PEM_write_bio_PKCS8PrivateKey(bio, key, nullptr, nullptr, 0, nullptr,
                                  nullptr);
  } else {
    PEM_write_bio_PrivateKey_traditional(bio, key, nullptr, nullptr, 0, nullptr,
                                         nullptr);
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

inline std::string RawBase64UrlDecode(const std::string& s) {
  auto bytes = Base64UrlDecode(s);
  return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : std::string();
}

// Verifies the compact JWS `token` with `key`: splits on '.', reads "alg"
// from the header, converts an ES256 R || S signature to DER, and calls
// EVP_DigestVerify by the algorithm's name. Returns "" on success, else why.
inline std::string IndependentVerify(const std::string& token, EVP_PKEY* key) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return "not three parts";
  nlohmann::json header =
      nlohmann::json::parse(RawBase64UrlDecode(parts[0]), nullptr, false);
  if (!header.is_object() || !header.contains("alg")) return "bad header";
  const std::string alg =
      header["alg"].is_string() ? header["alg"].get<std::string>() : "";
  std::string sig = RawBase64UrlDecode(parts[2]);
  const std::string input = parts[0] + "." + parts[1];
  if (alg == "ES256") {
    if (sig.size() != 64) return "ES256 signature is not 64 bytes";
    ECDSA_SIG* es = ECDSA_SIG_new();
    ECDSA_SIG_set0(
        es,
        BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), 32,
                  nullptr),
        BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32,
                  nullptr));
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(es, &der);
    sig.assign(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
  } else if (alg != "RS256") {
    return "unexpected alg " + alg;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  int ok = EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA256", nullptr, nullptr, key,
                                   nullptr);
  if (ok == 1 && alg == "RS256")
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING);
  if (ok == 1) {
    ok = EVP_DigestVerify(
        ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
        reinterpret_cast<const unsigned char*>(input.data()), input.size());
  }
  EVP_MD_CTX_free(ctx);
  return ok == 1 ? "" : "signature does not verify";
}

// What RawCertificateDer makes: a v3 certificate for `subject_key` named
// CN=`cn`, signed by `issuer_key` under `issuer_der`'s subject (both null:
// self-signed), valid [not_before, not_after] in Unix seconds (0/0: the next
// hour), with basicConstraints CA:TRUE or CA:FALSE (critical) as `ca` says,
// or none at all when `basic_constraints` is false, and keyUsage `key_usage`
// (OpenSSL config syntax, e.g. "critical,keyCertSign") when not empty.
struct RawCertSpec {
  EVP_PKEY* subject_key = nullptr;
  std::string cn = "test";
  EVP_PKEY* issuer_key = nullptr;
  std::string issuer_der;
  bool basic_constraints = true;
  bool ca = false;
  std::string key_usage;
  long serial = 1;
  int64_t not_before = 0;
  int64_t not_after = 0;
};

// The DER certificate of `spec`, made with raw OpenSSL calls; "" on failure.
inline std::string RawCertificateDer(const RawCertSpec& spec) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), spec.serial);
  if (spec.not_before == 0 && spec.not_after == 0) {
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  } else {
    ASN1_TIME_set(X509_getm_notBefore(cert),
                  static_cast<time_t>(spec.not_before));
    ASN1_TIME_set(X509_getm_notAfter(cert),
                  static_cast<time_t>(spec.not_after));
  }
  X509_set_pubkey(cert, spec.subject_key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509* issuer = nullptr;
  if (!spec.issuer_der.empty()) {
    const unsigned char* p =
        reinterpret_cast<const unsigned char*>(spec.issuer_der.data());
    issuer = d2i_X509(nullptr, &p, static_cast<long>(spec.issuer_der.size()));
  }
  X509_set_issuer_name(
      cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert, cert, nullptr,
                 nullptr, 0);
  auto add = [&](int nid, const char* value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  };
  if (spec.basic_constraints) {
    add(NID_basic_constraints,
        spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  }
  if (!spec.key_usage.empty()) add(NID_key_usage, spec.key_usage.c_str());
  X509_sign(cert,
            spec.issuer_key != nullptr ? spec.issuer_key : spec.subject_key,
            EVP_sha256());
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  std::string out(reinterpret_cast<const char*>(der),
                  len > 0 ? static_cast<size_t>(len) : 0);
  OPENSSL_free(der);
  X509_free(issuer);
  X509_free(cert);
  return out;
}

// A self-signed X.509 certificate for `key` (DER), valid for the next hour.
inline std::string RawSelfSignedCertDer(EVP_PKEY* key, const char* cn) {
  RawCertSpec spec;
  spec.subject_key = key;
  spec.cn = cn;
  spec.basic_constraints = false;
  return RawCertificateDer(spec);
}

// DER SubjectPublicKeyInfo of `key`, by raw i2d_PUBKEY.
inline std::string RawSpki(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace vigil::token::testing

#endif  // VIGIL_SERVICE_TOKEN_TESTING_INDEPENDENT_VERIFIER_H_
