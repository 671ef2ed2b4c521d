#include "service/control/responses.h"

#include <string>

#include "service/control/certificate_jwk.h"

namespace vigil::control {

token::Json PolicyResultClaims(PolicyModification modification,
                               const PolicyDocument& document) {
  token::Json claims = token::Json::object();
  claims["x-ms-policy-result"] =
      modification == PolicyModification::kUpdated ? "Updated" : "Removed";
  if (document.signer().has_value()) {
    claims["x-ms-policy-signer"] = document.signer()->Jwk();
  }
  claims["x-ms-policy-token-hash"] = document.token_hash();
  return claims;
}

token::Json GetPolicyClaims(absl::string_view stored_jws) {
  token::Json claims = token::Json::object();
  claims["x-ms-policy"] = std::string(stored_jws);
  return claims;
}

token::Json PolicyCertificatesClaims(
    absl::Span<const token::X509Certificate> certificates) {
  token::Json keys = token::Json::array();
  for (const token::X509Certificate& cert : certificates) {
    absl::StatusOr<token::Json> jwk =
        CertificateJwk(absl::MakeConstSpan(&cert, 1));
    if (jwk.ok()) keys.push_back(*std::move(jwk));
  }
  token::Json set = token::Json::object();
  set["keys"] = std::move(keys);
  token::Json claims = token::Json::object();
  claims["x-ms-policy-certificates"] = std::move(set);
  return claims;
}

token::Json CertificateModificationClaims(absl::string_view thumbprint,
                                          CertificateModification result) {
  token::Json claims = token::Json::object();
  claims["x-ms-certificate-thumbprint"] = std::string(thumbprint);
  claims["x-ms-policycertificates-result"] =
      result == CertificateModification::kIsPresent ? "IsPresent" : "IsAbsent";
  return claims;
}

}  // namespace vigil::control
