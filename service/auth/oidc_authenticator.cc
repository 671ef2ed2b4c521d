#include "service/auth/oidc_authenticator.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace vigil::service::auth {
namespace {

// Whether the role claim (a string or an array of strings) holds `value`.
bool ClaimHas(const token::Json& claim, const std::string& value) {
  if (claim.is_string()) return claim.get<std::string>() == value;
  if (!claim.is_array()) return false;
  for (const token::Json& v : claim) {
    if (v.is_string() && v.get<std::string>() == value) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<OidcAuthenticator>> OidcAuthenticator::Create(
    OidcOptions options, const Clock& clock) {
  if (options.issuer.empty()) {
    return absl::InvalidArgumentError("oidc_issuer: required");
  }
  if (options.audience.empty()) {
    // Without a pinned audience, any token the provider issues for any other
    // application would open the control plane (RFC 8725 §3.9).
    return absl::InvalidArgumentError("oidc_audience: required");
  }
  if (options.role_claim.empty()) {
    return absl::InvalidArgumentError("oidc_role_claim: empty");
  }
  return std::unique_ptr<OidcAuthenticator>(
      new OidcAuthenticator(std::move(options), clock));
}

absl::Status OidcAuthenticator::SetJwks(token::Jwks jwks) {
  absl::StatusOr<token::JwtVerifier> v = token::JwtVerifierBuilder()
                                             .SetJwks(std::move(jwks))
                                             .ExpectIssuer(options_.issuer)
                                             .ExpectAudience(options_.audience)
                                             .SetClockSkew(options_.clock_skew)
                                             .SetClock(clock_)
                                             .Build();
  if (!v.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("identity provider keys: ", v.status().message()));
  }
  auto shared = std::make_shared<const token::JwtVerifier>(*std::move(v));
  absl::MutexLock lock(&mu_);
  verifier_ = std::move(shared);
  return absl::OkStatus();
}

bool OidcAuthenticator::has_keys() const {
  absl::MutexLock lock(&mu_);
  return verifier_ != nullptr;
}

absl::StatusOr<Caller> OidcAuthenticator::Authenticate(
    absl::string_view authorization, absl::string_view source) const {
  if (authorization.empty()) {
    return absl::UnauthenticatedError("bearer token: missing");
  }
  absl::string_view jwt = authorization;
  // RFC 6750 §2.1: the scheme is case-insensitive.
  if (!absl::StartsWithIgnoreCase(jwt, "Bearer ")) {
    return absl::UnauthenticatedError(
        "bearer token: want 'Bearer <JWT>' in the authorization header");
  }
  jwt = absl::StripAsciiWhitespace(jwt.substr(7));
  std::shared_ptr<const token::JwtVerifier> verifier;
  {
    absl::MutexLock lock(&mu_);
    verifier = verifier_;
  }
  if (verifier == nullptr) {
    return absl::UnauthenticatedError(
        "bearer token: no keys from the identity provider yet");
  }
  absl::StatusOr<token::VerifiedJwt> verified = verifier->Verify(jwt);
  if (!verified.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("bearer token: ", verified.status().message()));
  }
  const token::Json& claims = verified->claims();
  Caller c;
  c.method = "oidc";
  c.source = std::string(source);
  std::string who = "(no " + options_.identity_claim + ")";
  if (auto it = claims.find(options_.identity_claim);
      it != claims.end() && it->is_string()) {
    who = it->get<std::string>();
  }
  c.identity = absl::StrCat("oidc:", who);
  if (auto it = claims.find(options_.role_claim); it != claims.end()) {
    if (ClaimHas(*it, options_.contributor_value)) {
      c.role = Role::kContributor;
    } else if (ClaimHas(*it, options_.reader_value)) {
      c.role = Role::kReader;
    }
  }
  return c;
}

}  // namespace vigil::service::auth
