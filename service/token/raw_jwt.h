// File: service/token/raw_jwt.h
// -----------------------------------------------------------------------------
// RawJwt: the claims of a token about to be signed (RFC 7519 §4), built and
// validated by RawJwtBuilder. It holds no header and in particular no "alg"
// or "kid": those depend on the key and are chosen by the signer (the shape
// of tink's RawJwt).
//
//   absl::StatusOr<RawJwt> jwt = RawJwtBuilder()
//       .SetIssuer("https://vigil.example")
//       .SetIssuedAt(now).SetNotBefore(now - absl::Minutes(5))
//       .SetExpiration(now + absl::Hours(8))
//       .SetJwtId(jti)
//       .AddClaim("x-ms-ver", "1.0")
//       .AddClaim("x-ms-policy", Json{{"secureBootEnabled", true}})
//       .Build();

#ifndef VIGIL_SERVICE_TOKEN_RAW_JWT_H_
#define VIGIL_SERVICE_TOKEN_RAW_JWT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/token/json.h"

namespace vigil::token {

// Limits on what a token may carry; also used by the verifier.
inline constexpr int kMaxClaimDepth = 32;

// RawJwt: a validated, immutable claims set. Copyable. Not trusted or
// untrusted: it is what this process is about to sign.
class RawJwt {
 public:
  const std::string& issuer() const { return issuer_; }
  absl::Time expiration() const { return expiration_; }
  std::optional<absl::Time> issued_at() const { return issued_at_; }
  std::optional<absl::Time> not_before() const { return not_before_; }
  const std::optional<std::string>& jwt_id() const { return jwt_id_; }

  // The JWT Claims Set as one JSON object: "iss", "iat", "nbf", "exp", "jti"
  // (those set, as NumericDate seconds, RFC 7519 §2) then the other claims in
  // the order they were added.
  const Json& claims() const { return claims_; }
  // claims() as compact JSON text: the bytes the JWS Payload encodes.
  const std::string& payload() const { return payload_; }

 private:
  friend class RawJwtBuilder;
  RawJwt() = default;

  std::string issuer_;
  absl::Time expiration_;
  std::optional<absl::Time> issued_at_;
  std::optional<absl::Time> not_before_;
  std::optional<std::string> jwt_id_;
  Json claims_;
  std::string payload_;
};

// RawJwtBuilder: collects claims; Build() checks them all at once. Not
// thread-safe (one builder per token).
class RawJwtBuilder {
 public:
  RawJwtBuilder() = default;

  // "iss" (RFC 7519 §4.1.1). Required.
  RawJwtBuilder& SetIssuer(absl::string_view issuer);
  // "exp" (§4.1.4). Required: Vigil never issues a token without an expiry,
  // and key rotation relies on it (docs/TOKENS.md). Sub-second parts are
  // dropped (NumericDate is whole seconds here).
  RawJwtBuilder& SetExpiration(absl::Time exp);
  // "nbf" (§4.1.5) and "iat" (§4.1.6). Optional.
  RawJwtBuilder& SetNotBefore(absl::Time nbf);
  RawJwtBuilder& SetIssuedAt(absl::Time iat);
  // "jti" (§4.1.7). Optional; the caller generates it from its injected
  // randomness (this library reads no randomness of its own for claims).
  RawJwtBuilder& SetJwtId(absl::string_view jti);
  // Any other claim: a JSON value of any shape (objects and arrays nest).
  // "sub" and "aud" may be added here; the five registered claims with a
  // setter above may not.
  RawJwtBuilder& AddClaim(absl::string_view name, Json value);

  // Build: the RawJwt, or kInvalidArgument naming the first problem:
  //   "iss: missing" / "iss: empty", "exp: missing",
  //   "<claim>: out of range" (a time before 1970 or after 9999),
  //   "exp: not after nbf", "exp: not after iat",
  //   "<name>: registered claim, use its setter", "<name>: added twice",
  //   "<path>: invalid UTF-8", "<path>: number is not finite",
  //   "<path>: nesting deeper than 32", "aud: want a string or strings".
  absl::StatusOr<RawJwt> Build() const&;
  // The same, moving the added claims instead of copying them (a token per
  // attestation: `std::move(builder).Build()`); the builder is not to be
  // used again.
  absl::StatusOr<RawJwt> Build() &&;

 private:
  std::optional<std::string> issuer_;
  std::optional<absl::Time> expiration_;
  std::optional<absl::Time> not_before_;
  std::optional<absl::Time> issued_at_;
  std::optional<std::string> jwt_id_;
  std::vector<std::pair<std::string, Json>> claims_;
};

}  // namespace vigil::token

#endif  // VIGIL_SERVICE_TOKEN_RAW_JWT_H_
