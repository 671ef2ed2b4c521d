// File: service/token/x509_certificate.h
// -----------------------------------------------------------------------------
// X509Certificate: one parsed X.509 certificate (RFC 5280) as the JOSE headers
// and members carry it ("x5c", RFC 7515 §4.1.6 and RFC 7517 §4.7: standard
// base64 of the DER), and the JWS check with its public key.
//
// Parsing is strict: exactly one DER certificate and nothing after it. Nothing
// here decides whether a certificate is trusted: validity periods, chains and
// trust anchors are the caller's (jwks.h, service/control/signer_trust.h).
//
//   ASSIGN_OR_RETURN(X509Certificate cert, X509Certificate::ParseDer(der));
//   RETURN_IF_ERROR(cert.VerifyJws(JwsAlgorithm::kRs256, input, signature));

#ifndef VIGIL_SERVICE_TOKEN_X509_CERTIFICATE_H_
#define VIGIL_SERVICE_TOKEN_X509_CERTIFICATE_H_

#include <openssl/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/token/jws_algorithm.h"

namespace vigil::token {

// X509Certificate: immutable and cheap to copy (the parsed certificate is
// shared). Thread-safe.
class X509Certificate {
 public:
  // ParseDer: the certificate whose DER encoding is exactly `der`. Fails with
  // kInvalidArgument "not a DER X.509 certificate" otherwise (including
  // trailing bytes). As trusted as `der`.
  static absl::StatusOr<X509Certificate> ParseDer(absl::string_view der);

  // ParsePem: the certificates of every PEM "CERTIFICATE" block in `pem`, in
  // order (leaf first, for a chain file). Fails with kInvalidArgument when
  // there is none or a block does not parse ("certificate 2: ...").
  static absl::StatusOr<std::vector<X509Certificate>> ParsePem(
      absl::string_view pem);

  // The DER encoding, exactly as parsed.
  const std::string& der() const;

  // The one JWS algorithm the certificate's key may verify: ES256 for an EC
  // P-256 key, RS256 for RSA of 2048 to 8192 bits. Fails with
  // kInvalidArgument naming the key type, curve or size otherwise.
  absl::StatusOr<JwsAlgorithm> Algorithm() const;

  // VerifyJws: OK when `signature` is a valid `alg` JWS Signature (RFC 7515
  // §5.2; ES256 as R || S, RFC 7518 §3.4) over `signing_input` by the
  // certificate's key. Fails with kInvalidArgument when `alg` does not fit the
  // key (RFC 8725 §3.1: the key, not the token, decides the algorithm) or the
  // key is not usable, kUnauthenticated "signature: ..." when the signature
  // does not verify. Says nothing about whether the certificate is trusted.
  absl::Status VerifyJws(JwsAlgorithm alg, absl::string_view signing_input,
                         absl::string_view signature) const;

  // The parsed certificate, for OpenSSL calls (X509_STORE_CTX_init, ...);
  // owned by this object. Callers must not modify it.
  X509* native() const { return cert_.get(); }
  // Its public key; owned by the certificate.
  EVP_PKEY* public_key() const;

 private:
  X509Certificate(std::shared_ptr<X509> cert, std::string der)
      : cert_(std::move(cert)), der_(std::move(der)) {}

  std::shared_ptr<X509> cert_;
  std::string der_;
};

}  // namespace vigil::token

#endif  // VIGIL_SERVICE_TOKEN_X509_CERTIFICATE_H_
