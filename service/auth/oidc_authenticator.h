// File: service/auth/oidc_authenticator.h
// -----------------------------------------------------------------------------
// Control-plane callers with an OIDC bearer token (issue #6 §2): an access
// token from the organisation's identity provider, sent as
// "authorization: Bearer <JWT>". Verified with the strict JWT verifier
// (service/token/jwt_verifier.h: pinned issuer, required audience, kid in
// the provider's JWKS, ES256/RS256 only, exp/nbf with skew). The role comes
// from one claim (default "roles", a string or an array of strings, as
// Entra ID and Keycloak issue app roles): the contributor value grants
// contributor, else the reader value grants reader, else no role.
//
// The provider's keys rotate: the caller fetches its JWKS (at start and
// periodically) and hands it over with SetJwks; verification always uses
// the latest set.
#ifndef VIGIL_SERVICE_AUTH_OIDC_AUTHENTICATOR_H_
#define VIGIL_SERVICE_AUTH_OIDC_AUTHENTICATOR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "service/auth/access.h"
#include "service/token/jwks.h"
#include "service/token/jwt_verifier.h"

namespace vigil::service::auth {

struct OidcOptions {
  std::string issuer;    // the exact "iss" (required)
  std::string audience;  // an "aud" the token must carry (required)
  std::string role_claim = "roles";
  std::string reader_value = "vigil.reader";
  std::string contributor_value = "vigil.contributor";
  // The claim naming the caller in audit records ("sub" is stable;
  // "preferred_username" or "email" read better).
  std::string identity_claim = "sub";
  absl::Duration clock_skew = absl::Minutes(1);
};

// Thread-safe: Authenticate may run on many threads while SetJwks runs.
class OidcAuthenticator {
 public:
  // Fails with kInvalidArgument naming a missing issuer, audience or role
  // claim. `clock` must outlive the authenticator.
  static absl::StatusOr<std::unique_ptr<OidcAuthenticator>> Create(
      OidcOptions options, const Clock& clock = SystemClock::Get());

  // Installs the provider's current keys. Fails with kInvalidArgument when
  // the set has no usable key (the previous keys stay in force).
  absl::Status SetJwks(token::Jwks jwks);
  bool has_keys() const;

  // `authorization` is the header's value. Fails with kUnauthenticated:
  // "bearer token: missing", "bearer token: want 'Bearer <JWT>'", or
  // "bearer token: " + the verifier's reason (expired, issuer, audience,
  // signature, unknown kid), or "bearer token: no keys from the identity
  // provider yet". A valid token without a role claim value is a Caller
  // with Role::kNone (refused later as PERMISSION_DENIED, and audited).
  absl::StatusOr<Caller> Authenticate(absl::string_view authorization,
                                      absl::string_view source) const;

 private:
  OidcAuthenticator(OidcOptions options, const Clock& clock)
      : options_(std::move(options)), clock_(clock) {}

  const OidcOptions options_;
  const Clock& clock_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const token::JwtVerifier> verifier_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::service::auth

#endif  // VIGIL_SERVICE_AUTH_OIDC_AUTHENTICATOR_H_
