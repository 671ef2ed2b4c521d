// File: service/auth/testing/test_bearer.h
// -----------------------------------------------------------------------------
// Test-only: an OIDC access token as an identity provider would issue it,
// signed by a test provider's key ring, ready for an Authorization header.
#ifndef VIGIL_SERVICE_AUTH_TESTING_TEST_BEARER_H_
#define VIGIL_SERVICE_AUTH_TESTING_TEST_BEARER_H_

#include <algorithm>
#include <string>

#include "absl/time/time.h"
#include "service/token/json.h"
#include "service/token/key_ring.h"
#include "service/token/raw_jwt.h"

namespace vigil::service::auth::testing {

struct BearerClaims {
  std::string issuer;
  std::string audience;
  std::string subject;
  std::string role;  // the one value of "roles"
  absl::Time now;
  // Negative: a token that expired that long ago.
  absl::Duration lifetime = absl::Hours(1);
};

// "Bearer <JWT>" signed by `idp`, issued a minute before it is valid from;
// "Bearer " alone when signing fails (the call under test then fails).
inline std::string TestBearer(const token::KeyRing& idp,
                              const BearerClaims& c) {
  const absl::Time end = c.now + c.lifetime;
  absl::StatusOr<token::RawJwt> jwt =
      token::RawJwtBuilder()
          .SetIssuer(c.issuer)
          .SetIssuedAt(std::min(c.now, end) - absl::Minutes(1))
          .SetExpiration(end)
          .AddClaim("aud", c.audience)
          .AddClaim("sub", c.subject)
          .AddClaim("roles", token::Json::array({c.role}))
          .Build();
  if (!jwt.ok()) return "Bearer ";
  absl::StatusOr<std::string> signed_jwt = idp.SignAndEncode(*jwt);
  return "Bearer " + signed_jwt.value_or("");
}

}  // namespace vigil::service::auth::testing

#endif  // VIGIL_SERVICE_AUTH_TESTING_TEST_BEARER_H_
