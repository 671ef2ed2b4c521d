// File: service/token/internal/openssl_util.h
// -----------------------------------------------------------------------------
// The EVP plumbing shared by signing keys, key sets and the verifier: owning
// pointers, the key profile Vigil accepts, JWS signing and verification with
// the JOSE signature encodings. Not API: include only from service/token.
//
// Nothing here puts key material into a message: OpenSSL's error queue is
// cleared and replaced by a fixed description of the step that failed.

#ifndef VIGIL_SERVICE_TOKEN_INTERNAL_OPENSSL_UTIL_H_
#define VIGIL_SERVICE_TOKEN_INTERNAL_OPENSSL_UTIL_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/token/jws_algorithm.h"

namespace vigil::token::internal {

struct OpenSslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslFree>;
using X509Ptr = std::unique_ptr<X509, OpenSslFree>;

// Key sizes accepted for RS256 (RFC 7518 §3.3: "A key of size 2048 bits or
// larger MUST be used"); the upper bound caps the cost of one verification.
inline constexpr int kMinRsaBits = 2048;
inline constexpr int kMaxRsaBits = 8192;

// Returns status `code` with `message` after clearing OpenSSL's error queue
// (so a later, unrelated call does not report this failure).
absl::Status OpenSslError(absl::StatusCode code, absl::string_view message);

// The DER encoding made by an OpenSSL i2d_* function (i2d_X509,
// i2d_PUBKEY, ...), or kInternal "cannot encode <what>".
template <typename T>
absl::StatusOr<std::string> ToDer(int (*i2d)(const T*, unsigned char**),
                                  const T* value, absl::string_view what) {
  unsigned char* der = nullptr;
  const int len = i2d(value, &der);
  if (len <= 0) {
    return OpenSslError(absl::StatusCode::kInternal,
                        std::string("cannot encode ") + std::string(what));
  }
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

// SHA-256 of `data`.
std::array<uint8_t, 32> Sha256(absl::Span<const uint8_t> data);
// SHA-1 of `data`; only for the x5t header (RFC 7515 §4.1.7), which is
// defined as a SHA-1 thumbprint.
std::array<uint8_t, 20> Sha1(absl::Span<const uint8_t> data);

// The algorithm `key` signs with: ES256 for an EC key on P-256, RS256 for an
// RSA key of kMinRsaBits..kMaxRsaBits. Fails with kInvalidArgument naming the
// key type, curve or size otherwise (RSA-PSS keys, other curves, Ed25519 ...).
absl::StatusOr<JwsAlgorithm> AlgorithmForKey(const EVP_PKEY* key);

// DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) of `key`; public data.
absl::StatusOr<std::string> SubjectPublicKeyInfoDer(EVP_PKEY* key);
// The public key of a DER SubjectPublicKeyInfo, checked (EVP_PKEY_public_check:
// point on the curve, RSA modulus sane). kInvalidArgument otherwise.
absl::StatusOr<EvpPkeyPtr> ParseSubjectPublicKeyInfo(absl::string_view der);

// The JWS Signature (RFC 7515 §5.1 step 5) of `signing_input` with private
// key `key`: ES256 as R || S, each 32 bytes big-endian (RFC 7518 §3.4),
// RS256 as the PKCS#1 v1.5 signature. Caller guarantees `key` fits `alg`
// (AlgorithmForKey). Fails with kInternal if OpenSSL fails.
absl::StatusOr<std::string> SignJws(JwsAlgorithm alg, EVP_PKEY* key,
                                    absl::string_view signing_input);

// A signing context for `key` and `alg`, set up once (EVP_DigestSignInit
// fetches the signature algorithm and exports the key to its provider: ~4
// µs per token when done for each), for SignJwsFrom to copy per signature.
// Null when OpenSSL cannot set one up or cannot copy it (OpenSSL 3.0.0
// copies no context whose digest is not fetched yet): sign with SignJws.
std::shared_ptr<const EVP_MD_CTX> NewSignTemplate(JwsAlgorithm alg,
                                                  EVP_PKEY* key);

// SignJws with a copy of `sign_template` (NewSignTemplate for the same
// `alg` and the key to sign with); the template is only read, so threads
// may share it.
absl::StatusOr<std::string> SignJwsFrom(JwsAlgorithm alg,
                                        const EVP_MD_CTX& sign_template,
                                        absl::string_view signing_input);

// Checks a JWS Signature. Fails with kUnauthenticated "signature: ..." when
// it does not verify or has the wrong length for `alg` (ES256 must be exactly
// 64 bytes: DER-encoded ECDSA signatures are refused, RFC 7518 §3.4).
absl::Status VerifyJws(JwsAlgorithm alg, EVP_PKEY* key,
                       absl::string_view signing_input,
                       absl::string_view signature);

}  // namespace vigil::token::internal

#endif  // VIGIL_SERVICE_TOKEN_INTERNAL_OPENSSL_UTIL_H_
