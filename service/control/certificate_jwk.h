// File: service/control/certificate_jwk.h
// -----------------------------------------------------------------------------
// How Azure Attestation names a policy-management certificate on the wire
// (maa-spec §5.2-5.3): by thumbprint, and as a JWK that carries it in "x5c".

#ifndef VIGIL_SERVICE_CONTROL_CERTIFICATE_JWK_H_
#define VIGIL_SERVICE_CONTROL_CERTIFICATE_JWK_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "service/token/json.h"
#include "service/token/jws_algorithm.h"
#include "service/token/x509_certificate.h"

namespace vigil::control {

// CertificateThumbprint: hex SHA-1 of the certificate's DER, UPPER case, 40
// characters: "x-ms-certificate-thumbprint" (maa-spec §5.3). The case is what
// MAA returns (a recorded certificates:add response carries
// "374664A1E7A90041C74284EDD704F5C1DA8899AF", testdata/README.md) and what
// .NET's X509Certificate2.Thumbprint gives; `openssl x509 -fingerprint -sha1`
// prints the same digits with colons. Callers comparing thumbprints from
// users should compare case-insensitively. Public data.
std::string CertificateThumbprint(const token::X509Certificate& certificate);

// CertificateJwk: {"alg","kty","use":"sig","x5c":[...]} for `chain` (leaf
// first): "alg" and "kty" from the leaf's key (RS256/"RSA" or ES256/"EC"),
// "x5c" the standard base64 DER of each certificate (RFC 7517 §4.7). The
// member order is MAA's ("x-ms-policy-signer", maa-spec §5.2). Fails with
// kInvalidArgument when the chain is empty or the leaf's key is not one
// Vigil verifies with (token::X509Certificate::Algorithm). Public data.
absl::StatusOr<token::Json> CertificateJwk(
    absl::Span<const token::X509Certificate> chain);
// The same when the caller already knows the leaf's algorithm (`chain` non-
// empty and `alg` == chain.front().Algorithm(), e.g. after the leaf verified
// a signature); cannot fail.
token::Json CertificateJwk(token::JwsAlgorithm alg,
                           absl::Span<const token::X509Certificate> chain);

// CertificateFromX5c: the certificate of one "x5c" entry (RFC 7515 §4.1.6,
// RFC 7517 §4.7: standard base64 of the DER; JSON escapes such as \u002B are
// already undone by the JSON parser, maa-spec §9 item 2). Fails with
// kInvalidArgument "not a string", "not standard base64: ...", "not a DER
// X.509 certificate". As trusted as the JSON it came from.
absl::StatusOr<token::X509Certificate> CertificateFromX5c(
    const token::Json& entry);

}  // namespace vigil::control

#endif  // VIGIL_SERVICE_CONTROL_CERTIFICATE_JWK_H_
