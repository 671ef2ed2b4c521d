// File: service/auth/caller_authenticator.h
// -----------------------------------------------------------------------------
// Turns what a control-plane connection presented into an auth::Caller, the
// same way for every front end (issue #6 §2): the gRPC admin listener
// (service/grpc) and the REST mirror on the HTTPS endpoint (service/http)
// each extract the transport's credentials into `Credentials` and call
// CallerAuthenticator::Authenticate. Precedence:
//   1. the admin Unix socket (mode 0600): the local administrator,
//      contributor — only the gRPC listener can say so;
//   2. an Authorization header: an OIDC bearer token (oidc_authenticator.h),
//      refused outright when no OIDC provider is configured;
//   3. a client certificate the TLS handshake verified: its identity, with
//      the role the configured rules give it (maybe none);
//   4. nothing: refused.
// No transport headers here (scripts/check-layering).
#ifndef VIGIL_SERVICE_AUTH_CALLER_AUTHENTICATOR_H_
#define VIGIL_SERVICE_AUTH_CALLER_AUTHENTICATOR_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "service/auth/access.h"
#include "service/auth/oidc_authenticator.h"

namespace vigil::service::auth {

// What one request presented, as its transport saw it. Untrusted except
// where noted.
struct Credentials {
  // The peer ("ipv4:10.0.0.7:51234", "unix:"), for audit records.
  std::string source;
  // Trusted: the request came over the admin Unix socket (mode 0600).
  bool local_socket = false;
  // The Authorization header's value, when the request had one.
  std::optional<std::string> authorization;
  // Trusted: the PEM client certificate the TLS handshake verified against
  // the configured client CA; empty when none was sent.
  std::string client_certificate_pem;
};

// Thread-safe (const after construction).
class CallerAuthenticator {
 public:
  // `oidc` may be null (bearer tokens refused); it must outlive this.
  CallerAuthenticator(RoleMap roles, const OidcAuthenticator* oidc)
      : roles_(std::move(roles)), oidc_(oidc) {}

  // The caller, or kUnauthenticated naming what is missing or wrong ("no
  // credential: present a client certificate (mutual TLS) or an OIDC bearer
  // token", "bearer token: expired ...", "bearer tokens are not accepted
  // here ..."). A caller the rules give no role comes back with Role::kNone:
  // the core refuses it (kPermissionDenied) and audits the refusal. The
  // caller of this audits a kUnauthenticated answer.
  absl::StatusOr<Caller> Authenticate(const Credentials& credentials) const;

  bool accepts_bearer_tokens() const { return oidc_ != nullptr; }

 private:
  RoleMap roles_;
  const OidcAuthenticator* oidc_;
};

}  // namespace vigil::service::auth

#endif  // VIGIL_SERVICE_AUTH_CALLER_AUTHENTICATOR_H_
