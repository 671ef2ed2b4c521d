// File: service/control/certificate_change.h
// -----------------------------------------------------------------------------
// The body of a policy-management certificate add or remove request
// (maa-spec §5.3, AttestationCertificateManagementBody): a SIGNED management
// JWS (management_jws.h) whose payload is
//   {"policyCertificate": {"kty": "RSA", "x5c": ["<base64 DER>"]}}
// The claim is also accepted under its preview name "maa-policyCertificate"
// and as "x-ms-policyCertificate" (named by MAA's troubleshooting guide)
// [maa-spec §5.3 INF]; two of them at once are refused as ambiguous.
//
// Decisions:
//   * The JWK's "kty" is not checked against the certificate: the Python SDK
//     always sends "RSA", also for EC certificates. The certificate decides.
//   * "x5c" must hold exactly one certificate: the one to add or remove.
//   * The certificate must be X.509 DER whose key Vigil can verify policy
//     signatures with (RSA 2048-8192 bits or EC P-256): a policy-management
//     certificate exists to sign policies and certificate changes.
//   * Unsigned bodies are refused: every mode needs the signer (maa-spec
//     §5.3, issue #6 §1).
//   * Whether the signer is trusted, and whether the certificate may be added
//     (duplicates) or removed (not the last one), is the caller's decision.

#ifndef VIGIL_SERVICE_CONTROL_CERTIFICATE_CHANGE_H_
#define VIGIL_SERVICE_CONTROL_CERTIFICATE_CHANGE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/control/management_jws.h"
#include "service/token/x509_certificate.h"

namespace vigil::control {

// The claim names accepted for the certificate, in the order they are tried.
inline constexpr absl::string_view kPolicyCertificateClaims[] = {
    "policyCertificate", "maa-policyCertificate", "x-ms-policyCertificate"};

// PolicyCertificateChange: a decoded certificate add/remove body whose
// signature verified with its header's certificate. Only
// DecodePolicyCertificateChange makes one. The certificate is the request's
// subject, not trusted for anything by being here. Immutable, copyable.
class PolicyCertificateChange {
 public:
  // The certificate to add or remove.
  const token::X509Certificate& certificate() const { return certificate_; }
  // Its "x-ms-certificate-thumbprint" (CertificateThumbprint).
  const std::string& thumbprint() const { return thumbprint_; }
  // The claim name the request used (one of kPolicyCertificateClaims).
  const std::string& claim_name() const { return claim_name_; }
  // Who signed the request; check it with TrustedSigners before acting.
  const PolicySigner& signer() const { return *jws_.signer(); }
  // The request JWS exactly as received, and its SHA-256 (for audit).
  const std::string& jws() const { return jws_.compact(); }
  const std::string& token_hash() const { return jws_.token_hash(); }

 private:
  friend absl::StatusOr<PolicyCertificateChange> DecodePolicyCertificateChange(
      absl::string_view jws);
  PolicyCertificateChange(VerifiedManagementJws jws,
                          token::X509Certificate certificate,
                          std::string claim_name);

  VerifiedManagementJws jws_;
  token::X509Certificate certificate_;
  std::string thumbprint_;
  std::string claim_name_;
};

// DecodePolicyCertificateChange: `jws` (the request body; for the JSON-string
// form of maa-spec §0.1 the caller unquotes it first) decoded and verified
// (DecodeManagementJws), then read as the file comment says. Fails with
// kInvalidArgument: every DecodeManagementJws failure; "header: alg \"none\":
// a certificate change must be signed ..."; "payload: empty ..."; "payload:
// no \"policyCertificate\" claim (accepted names: ...)"; "payload:
// \"policyCertificate\".x5c: ..." naming what is wrong with the JWK or its
// certificate.
absl::StatusOr<PolicyCertificateChange> DecodePolicyCertificateChange(
    absl::string_view jws);

}  // namespace vigil::control

#endif  // VIGIL_SERVICE_CONTROL_CERTIFICATE_CHANGE_H_
