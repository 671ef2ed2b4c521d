#include "service/control/certificate_change.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "service/control/certificate_jwk.h"

namespace vigil::control {
namespace {

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("payload: ", what));
}

std::string AcceptedNames() {
  return absl::StrJoin(kPolicyCertificateClaims, ", ",
                       [](std::string* out, absl::string_view name) {
                         absl::StrAppend(out, "\"", name, "\"");
                       });
}

// The one certificate of the JWK under `claim` (RFC 7517 §4.7 "x5c").
absl::StatusOr<token::X509Certificate> ReadCertificate(
    const token::Json& jwk, absl::string_view claim) {
  const std::string where = absl::StrCat("\"", claim, "\"");
  if (!jwk.is_object()) {
    return Invalid(absl::StrCat(where, ": not a JSON Web Key object"));
  }
  auto x5c = jwk.find("x5c");
  if (x5c == jwk.end()) {
    return Invalid(absl::StrCat(where,
                                ": no \"x5c\" (the certificate to add or "
                                "remove, RFC 7517 §4.7)"));
  }
  if (!x5c->is_array() || x5c->size() != 1) {
    return Invalid(absl::StrCat(where,
                                ".x5c: want an array of exactly one "
                                "certificate, the one to add or remove"));
  }
  absl::StatusOr<token::X509Certificate> cert =
      CertificateFromX5c(x5c->front());
  if (!cert.ok()) {
    return Invalid(absl::StrCat(where, ".x5c[0]: ", cert.status().message()));
  }
  if (absl::StatusOr<token::JwsAlgorithm> alg = cert->Algorithm(); !alg.ok()) {
    return Invalid(absl::StrCat(
        where, ".x5c[0]: ", alg.status().message(),
        "; a policy-management certificate must be able to sign policies"));
  }
  return cert;
}

}  // namespace

PolicyCertificateChange::PolicyCertificateChange(
    VerifiedManagementJws jws, token::X509Certificate certificate,
    std::string claim_name)
    : jws_(std::move(jws)),
      certificate_(std::move(certificate)),
      thumbprint_(CertificateThumbprint(certificate_)),
      claim_name_(std::move(claim_name)) {}

absl::StatusOr<PolicyCertificateChange> DecodePolicyCertificateChange(
    absl::string_view jws) {
  ASSIGN_OR_RETURN(VerifiedManagementJws verified, DecodeManagementJws(jws));
  if (!verified.signer().has_value()) {
    return absl::InvalidArgumentError(
        "header: alg \"none\": a certificate change must be signed by a "
        "policy-management certificate (maa-spec §5.3)");
  }
  if (!verified.claims().has_value()) {
    return Invalid(
        absl::StrCat("empty; want {\"policyCertificate\": JWK} "
                     "(maa-spec §5.3)"));
  }
  const token::Json& claims = *verified.claims();
  const token::Json* jwk = nullptr;
  absl::string_view claim;
  for (absl::string_view name : kPolicyCertificateClaims) {
    auto it = claims.find(std::string(name));
    if (it == claims.end()) continue;
    if (jwk != nullptr) {
      return Invalid(absl::StrCat("both \"", claim, "\" and \"", name,
                                  "\"; send one certificate claim"));
    }
    jwk = &*it;
    claim = name;
  }
  if (jwk == nullptr) {
    return Invalid(
        absl::StrCat("no \"policyCertificate\" claim (accepted "
                     "names: ",
                     AcceptedNames(), "; maa-spec §5.3)"));
  }
  ASSIGN_OR_RETURN(token::X509Certificate cert, ReadCertificate(*jwk, claim));
  return PolicyCertificateChange(std::move(verified), std::move(cert),
                                 std::string(claim));
}

}  // namespace vigil::control
