#include "service/auth/caller_authenticator.h"

#include "absl/strings/str_cat.h"

namespace vigil::service::auth {

absl::StatusOr<Caller> CallerAuthenticator::Authenticate(
    const Credentials& credentials) const {
  if (credentials.local_socket) {
    return Caller{"unix:local-administrator", Role::kContributor, "unix",
                  credentials.source};
  }
  if (credentials.authorization.has_value()) {
    if (oidc_ == nullptr) {
      return absl::UnauthenticatedError(
          "bearer tokens are not accepted here (no oidc_issuer configured); "
          "use a client certificate");
    }
    return oidc_->Authenticate(*credentials.authorization, credentials.source);
  }
  if (!credentials.client_certificate_pem.empty()) {
    absl::StatusOr<CertificateIdentity> id =
        IdentityFromPem(credentials.client_certificate_pem);
    if (!id.ok()) return absl::UnauthenticatedError(id.status().message());
    return Caller{absl::StrCat("cert:", id->subject), roles_.RoleFor(*id),
                  "mtls", credentials.source};
  }
  return absl::UnauthenticatedError(
      "no credential: present a client certificate (mutual TLS) or an OIDC "
      "bearer token");
}

}  // namespace vigil::service::auth
