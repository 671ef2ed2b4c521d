// File: service/control/responses.h
// -----------------------------------------------------------------------------
// The claims of Azure Attestation's policy-management responses (maa-spec
// §5.2-5.3), as JSON objects for the API layer to sign into a token
// (service/token: RawJwtBuilder adds iss/iat/nbf/exp). Members are in the
// order MAA emits them. Pure functions; the inputs are already decided
// results, so none of them can fail.
//
//   PolicyResult                      {"x-ms-policy-result":
//   "Updated"|"Removed",
//                                      "x-ms-policy-signer": JWK (signed only),
//                                      "x-ms-policy-token-hash": ...}
//   get policy                        {"x-ms-policy": "<stored JWS>"}
//   PolicyCertificatesResult          {"x-ms-policy-certificates": {"keys":
//   [JWK...]}} PolicyCertificatesModificationResult
//                                     {"x-ms-certificate-thumbprint": ...,
//                                      "x-ms-policycertificates-result":
//                                        "IsPresent"|"IsAbsent"}

#ifndef VIGIL_SERVICE_CONTROL_RESPONSES_H_
#define VIGIL_SERVICE_CONTROL_RESPONSES_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/control/policy_document.h"
#include "service/token/json.h"
#include "service/token/x509_certificate.h"

namespace vigil::control {

// What a set or reset did (the SDKs' PolicyModification).
enum class PolicyModification { kUpdated, kRemoved };

// PolicyResultClaims: the set/reset result for `document` as received:
// "x-ms-policy-result", when it is signed "x-ms-policy-signer"
// (PolicySigner::Jwk), and "x-ms-policy-token-hash" (its token_hash()), in
// the order of a recorded MAA response (testdata/README.md). The caller
// decides `modification` (kRemoved for a reset).
token::Json PolicyResultClaims(PolicyModification modification,
                               const PolicyDocument& document);

// GetPolicyClaims: {"x-ms-policy": stored_jws}, the policy JWS exactly as it
// was set (maa-spec §5.2). For a type still on its built-in default, the
// caller passes MakeUnsignedPolicyJws(default text).
token::Json GetPolicyClaims(absl::string_view stored_jws);

// PolicyCertificatesClaims: {"x-ms-policy-certificates": {"keys": [...]}}
// with one CertificateJwk per certificate, in the order given. The caller
// guarantees every certificate passed TrustedSigners::Create (usable key);
// one that does not is left out rather than failing the listing.
token::Json PolicyCertificatesClaims(
    absl::Span<const token::X509Certificate> certificates);

// Whether the certificate is in the set after an add or remove.
enum class CertificateModification { kIsPresent, kIsAbsent };

// CertificateModificationClaims: the add/remove result for the certificate
// with `thumbprint` (CertificateThumbprint).
token::Json CertificateModificationClaims(absl::string_view thumbprint,
                                          CertificateModification result);

}  // namespace vigil::control

#endif  // VIGIL_SERVICE_CONTROL_RESPONSES_H_
