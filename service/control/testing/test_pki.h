// File: service/control/testing/test_pki.h
// -----------------------------------------------------------------------------
// Test-only: signers with X.509 certificates made at test time (OpenSSL), so
// no private key is committed and nothing expires in the repository. Keys
// and certificates are made with raw OpenSSL calls
// (service/token/testing/independent_verifier.h), not with the code under
// test.
//
//   TestSigner root = TestSigner::Make("P-256", "root", {.ca = true});
//   TestSigner leaf = TestSigner::Make("RSA-2048", "leaf", {.issuer = &root});
//   MakeSignedPolicyJws(text, leaf.key);   // x5c = [leaf, root]

#ifndef VIGIL_SERVICE_CONTROL_TESTING_TEST_PKI_H_
#define VIGIL_SERVICE_CONTROL_TESTING_TEST_PKI_H_

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/encoding.h"
#include "service/token/signing_key.h"
#include "service/token/testing/independent_verifier.h"
#include "service/token/x509_certificate.h"

namespace vigil::control::testing {

// 2025-06-15, inside every default validity period below.
inline constexpr int64_t kNow = 1750000000;
inline constexpr int64_t kDay = 86400;

struct TestSigner;

struct CertOptions {
  const TestSigner* issuer = nullptr;  // null: self-signed
  bool ca = false;
  bool basic_constraints = true;
  const char* key_usage = "";  // e.g. "critical,keyCertSign"; "": none
  int64_t not_before = kNow - 30 * kDay;
  int64_t not_after = kNow + 365 * kDay;
};

// A key pair with a certificate; `key` carries the chain [cert, issuer's
// chain...], ready for the JWS writers.
struct TestSigner {
  token::testing::PkeyPtr raw;
  std::string der;  // this certificate
  std::vector<std::string> chain;
  token::X509Certificate cert;
  token::SigningKey key;

  // `what` as token::testing::RawGenerate: "P-256", "RSA-2048", ...
  // Aborts on failure (test setup).
  static TestSigner Make(const std::string& what, const std::string& cn,
                         const CertOptions& options = {}) {
    static long serial = 100;
    token::testing::PkeyPtr raw = token::testing::RawGenerate(what);
    if (raw == nullptr) std::abort();
    token::testing::RawCertSpec spec;
    spec.subject_key = raw.get();
    spec.cn = cn;
    spec.ca = options.ca;
    spec.basic_constraints = options.basic_constraints;
    spec.key_usage = options.key_usage;
    spec.serial = serial++;
    spec.not_before = options.not_before;
    spec.not_after = options.not_after;
    if (options.issuer != nullptr) {
      spec.issuer_key = options.issuer->raw.get();
      spec.issuer_der = options.issuer->der;
    }
    std::string der = token::testing::RawCertificateDer(spec);
    std::vector<std::string> chain = {der};
    if (options.issuer != nullptr) {
      chain.insert(chain.end(), options.issuer->chain.begin(),
                   options.issuer->chain.end());
    }
    absl::StatusOr<token::X509Certificate> cert =
        token::X509Certificate::ParseDer(der);
    // Keys the signing library refuses (RSA-1024, P-384) still get a
    // certificate; `key` then signs nothing.
    absl::StatusOr<token::SigningKey> key = token::SigningKey::ParsePem(
        token::testing::RawPrivatePem(raw.get(), true));
    if (!cert.ok()) std::abort();
    if (!key.ok()) key = token::SigningKey::Generate();
    absl::StatusOr<token::SigningKey> with_chain =
        key->WithCertificateChain(chain);
    return TestSigner{std::move(raw), std::move(der), std::move(chain),
                      *std::move(cert),
                      with_chain.ok() ? *std::move(with_chain) : *key};
  }
};

inline std::string B64Url(absl::string_view bytes) {
  return Base64UrlEncode(AsBytes(bytes));
}

// JSON text of the "x5c" array of `signer`'s chain (standard base64).
inline std::string X5cJson(const TestSigner& signer) {
  std::string out = "[";
  for (const std::string& der : signer.chain) {
    if (out.size() > 1) out += ",";
    out += "\"" + Base64Encode(AsBytes(der)) + "\"";
  }
  return out + "]";
}

// B64URL(header) '.' B64URL(payload) '.' B64URL(signature), from raw JSON
// text, so tests can write headers the writers never would.
inline std::string RawJws(absl::string_view header, absl::string_view payload,
                          absl::string_view signature = "") {
  return B64Url(header) + "." + B64Url(payload) + "." + B64Url(signature);
}

// B64URL(header) '.' B64URL(payload): what a signature covers.
inline std::string SigningInput(absl::string_view header,
                                absl::string_view payload) {
  return B64Url(header) + "." + B64Url(payload);
}

// The same as RawJws, signed by `signer` over SigningInput.
inline std::string SignedRawJws(const TestSigner& signer,
                                absl::string_view header,
                                absl::string_view payload) {
  const std::string input = SigningInput(header, payload);
  absl::StatusOr<std::string> sig = signer.key.Sign(input);
  if (!sig.ok()) std::abort();
  return input + "." + B64Url(*sig);
}

}  // namespace vigil::control::testing

#endif  // VIGIL_SERVICE_CONTROL_TESTING_TEST_PKI_H_
