// libFuzzer target for the policy-management decoders on untrusted bytes:
// ParseManagementJws / DecodeManagementJws (split, strict JSON, alg table,
// x5c and jwk.x5c certificates, signature check), DecodePolicyDocument
// (AttestationPolicy base64url/raw text, UTF-8), DecodePolicyCertificateChange
// (the three claim names, the JWK) and TrustedSigners::Check on whatever
// signer verified. Any input must be refused with a Status or accepted
// without crashing, hanging or tripping a sanitizer, and what is accepted
// must be consistent:
//   * a decoded document is the input byte for byte and hashes like it;
//   * the unverified parse accepts everything the verified decode does;
//   * an unsigned policy re-made by the writer decodes to the same text.
//
// Seeds (fuzz/corpus): the real requests of testdata/ (README.md there) and
// hand-written refusals (alg none with a signature, HS256 with the signer's
// certificate, jwk without x5c, crit, ...). The trusted set is the
// certificate that signed the recorded certificates:add request, so that
// seed reaches the pinned path.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/encoding.h"
#include "service/control/certificate_change.h"
#include "service/control/jws_writer.h"
#include "service/control/policy_document.h"
#include "service/control/signer_trust.h"

namespace {

// CN=AttestationIsolatedManagementCertificate (testdata/
// sdk-net-addremovepolicymanagementcertificate--signer.cert.pem), DER, base64.
constexpr char kTrustedCertificate[] =
    "MIIC+TCCAeGgAwIBAgIJAILaBVrXvA0SMA0GCSqGSIb3DQEBCwUAMDMxMTAvBgNV"
    "BAMTKEF0dGVzdGF0aW9uSXNvbGF0ZWRNYW5hZ2VtZW50Q2VydGlmaWNhdGUwHhcN"
    "MjAxMTE5MjIyMDM5WhcNMjExMTE5MjIyMDM5WjAzMTEwLwYDVQQDEyhBdHRlc3Rh"
    "dGlvbklzb2xhdGVkTWFuYWdlbWVudENlcnRpZmljYXRlMIIBIjANBgkqhkiG9w0B"
    "AQEFAAOCAQ8AMIIBCgKCAQEArAI1ObWN0dgw58ocFw3L+3cCzcOkfI22ih0TDNWh"
    "bA5kb6rPS1o2JrQO+INdakthD/1nrzqTq5VpeOxRgJfEyICADwut1TAwkI3TCWV0"
    "6Vp+v3HeA5HT7EOrUU/FF8jeaOrphsHooUkTOAOdOjhjCBTBmjKQRH9ErJrHV+6D"
    "+y17oyg0xSVHrzT06yZuSAFt5MlCU662i5NMrGNnIh4lQXtKhZ+FzckxMvBOPnSU"
    "4hCkkAe/c6nxcsJJCrjumJ72ksu4EhdSyM9MD9fc1GQOC9b5ykddENG0NA3AuMEx"
    "h3KKGJGdUKQ0np0LJ/82GNk9dFtPq9g+ChQhw8JaDiAeSQIDAQABoxAwDjAMBgNV"
    "HRMEBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQB3/mHmCSgoqXYATHN2IsAGjGcz"
    "yGEyfZwxc/PZ5mID0iGrHXQ2dHYPgPjeY6HqJpXKi4cjWYmfku6vBiTTfZkNPEkv"
    "O4IEPk0mqht4x7EVrX/ti5oMMauOQVf9s18xyqEcNtD0VPkXoYNqSWg7vNg+OPmI"
    "O2pawzSw9BZg06MfGzaqbY3F56/SuhAbz0X313R9ICnVPfFDCVsg2f2sbXO4eaRn"
    "riOV30TrZ0Wj5OUIkl+sIlq7jgGRKTm12ECverlHRQDI+RcWyB65422L/nh3y8C9"
    "hqXm+8jPARFPaspek8AgCQ/UZohuZJJPuKrwtuPtkyNvc7bEa3+73ps9GvAO";

const vigil::control::TrustedSigners& Trusted() {
  static const vigil::control::TrustedSigners* trusted = [] {
    auto der = vigil::Base64Decode(kTrustedCertificate);
    if (!der.ok()) std::abort();
    auto cert = vigil::token::X509Certificate::ParseDer(
        std::string(der->begin(), der->end()));
    if (!cert.ok()) std::abort();
    auto set = vigil::control::TrustedSigners::Create({*cert});
    if (!set.ok()) std::abort();
    return new vigil::control::TrustedSigners(*std::move(set));
  }();
  return *trusted;
}

void CheckSigner(const std::optional<vigil::control::PolicySigner>& signer) {
  if (!signer.has_value()) return;
  // 2025-06-15; a "no" is a value, only OpenSSL failing is an error.
  if (!Trusted().Check(*signer, absl::FromUnixSeconds(1750000000)).ok()) {
    std::abort();
  }
  if (signer->thumbprint().size() != 40) std::abort();
  (void)signer->Jwk();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const bool parsed = vigil::control::ParseManagementJws(input).ok();
  absl::StatusOr<vigil::control::VerifiedManagementJws> verified =
      vigil::control::DecodeManagementJws(input);
  if (verified.ok() && !parsed) std::abort();

  absl::StatusOr<vigil::control::PolicyDocument> doc =
      vigil::control::DecodePolicyDocument(input);
  if (doc.ok()) {
    if (!verified.ok() || doc->jws() != input ||
        doc->token_hash() != vigil::control::PolicyTokenHash(input)) {
      std::abort();
    }
    CheckSigner(doc->signer());
    if (!doc->is_signed() && !doc->is_reset()) {
      auto remade = vigil::control::MakeUnsignedPolicyJws(doc->policy_text());
      if (!remade.ok()) std::abort();
      auto again = vigil::control::DecodePolicyDocument(*remade);
      if (!again.ok() || again->policy_text() != doc->policy_text()) {
        std::abort();
      }
    }
  }

  absl::StatusOr<vigil::control::PolicyCertificateChange> change =
      vigil::control::DecodePolicyCertificateChange(input);
  if (change.ok()) {
    if (!verified.ok() || change->thumbprint().size() != 40) std::abort();
    CheckSigner(verified->signer());
  }
  return 0;
}
