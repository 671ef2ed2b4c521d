// File: service/token/verified_jwt.h
// -----------------------------------------------------------------------------
// VerifiedJwt: the claims of a token whose signature verified with a key of
// the configured JWKS, whose algorithm was allowed, and whose exp/nbf/iat,
// issuer and audience passed JwtVerifier's checks. Only JwtVerifier can make
// one (private constructor), so a function that takes a VerifiedJwt cannot be
// handed unverified claims (style.md rule 5; tink's VerifiedJwt).

#ifndef VIGIL_SERVICE_TOKEN_VERIFIED_JWT_H_
#define VIGIL_SERVICE_TOKEN_VERIFIED_JWT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "service/token/compact_jws.h"
#include "service/token/json.h"
#include "service/token/jws_algorithm.h"

namespace vigil::token {

class VerifiedJwt {
 public:
  // Always present: JwtVerifier requires "iss" and "exp".
  const std::string& issuer() const { return *registered_.issuer; }
  absl::Time expiration() const { return *registered_.expiration; }
  const std::optional<absl::Time>& not_before() const {
    return registered_.not_before;
  }
  const std::optional<absl::Time>& issued_at() const {
    return registered_.issued_at;
  }
  const std::optional<std::string>& jwt_id() const {
    return registered_.jwt_id;
  }
  const std::optional<std::string>& subject() const {
    return registered_.subject;
  }
  const std::vector<std::string>& audiences() const {
    return registered_.audiences;
  }

  // The whole JWT Claims Set, registered claims included.
  const Json& claims() const { return claims_; }
  // The algorithm and key that verified it.
  JwsAlgorithm algorithm() const { return algorithm_; }
  const std::string& kid() const { return kid_; }

 private:
  friend class JwtVerifier;
  VerifiedJwt(Json claims, RegisteredClaims registered, JwsAlgorithm algorithm,
              std::string kid)
      : claims_(std::move(claims)),
        registered_(std::move(registered)),
        algorithm_(algorithm),
        kid_(std::move(kid)) {}

  Json claims_;
  RegisteredClaims registered_;
  JwsAlgorithm algorithm_;
  std::string kid_;
};

}  // namespace vigil::token

#endif  // VIGIL_SERVICE_TOKEN_VERIFIED_JWT_H_
