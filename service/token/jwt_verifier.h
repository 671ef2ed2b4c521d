// File: service/token/jwt_verifier.h
// -----------------------------------------------------------------------------
// JwtVerifier: strict verification of a compact JWS JWT for relying-party
// tooling and tests, stricter than Azure Attestation's SDK (maa-spec §6.4,
// §9 item 18). In order, stopping at the first failure:
//   1. three base64url segments within the size limits (compact_jws.h);
//   2. the header is a JSON object without duplicate members; "alg" is not
//      "none" in any spelling (RFC 7518 §3.6; RFC 8725 §3.1) and is in the
//      allow-list; no "crit" (RFC 7515 §4.1.11: extensions this verifier does
//      not understand must be rejected); "typ", when present, is "JWT";
//   3. "kid" is present and names a key of the configured JWKS; keys named
//      in the token ("jwk", "jku", "x5c", "x5u") are never used;
//   4. "alg" fits that key: ES256 only with EC P-256, RS256 only with RSA,
//      and the JWK's own "alg" (RFC 8725 §3.1, algorithm confusion);
//   5. the signature verifies over the received header.payload bytes;
//   6. only then is the payload parsed: a JSON object without duplicate
//      claims, registered claims of the right types;
//   7. "exp" is present and now < exp + skew; now >= nbf - skew; iat, when
//      present, is not after now + skew (RFC 7519 §4.1.4-6);
//   8. "iss" equals the expected issuer; "aud", when present, contains the
//      expected audience, and a token with "aud" is refused by a verifier
//      that expects none (RFC 7519 §4.1.3).
//
// Failure codes: kInvalidArgument for a malformed token (steps 1, 2 and 6:
// "header: ...", "payload: ..."); kUnauthenticated for a well-formed token
// that is refused (everything else), with the segment and field named:
//   header: alg "none" (unsecured JWS) is never accepted
//   header: alg "HS256" is not allowed (allowed: ES256, RS256)
//   header: kid "abc" is not in the JWKS (keys: k1, k2)
//   header: alg RS256 does not fit key "k1" (kty EC, verifies ES256 only)
//   signature: ES256 signature does not verify
//   payload: token expired at 2025-01-01T00:00:00+00:00 (now ..., clock skew
//   1m) payload: issuer "https://a" is not the expected "https://b"

#ifndef VIGIL_SERVICE_TOKEN_JWT_VERIFIER_H_
#define VIGIL_SERVICE_TOKEN_JWT_VERIFIER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "service/token/compact_jws.h"
#include "service/token/jwks.h"
#include "service/token/jws_algorithm.h"
#include "service/token/verified_jwt.h"

namespace vigil::token {

// JwtVerifier: immutable and thread-safe; build with JwtVerifierBuilder.
class JwtVerifier {
 public:
  // Verify: the verified claims (trusted as far as the JWKS is), or the
  // first failure as described in the file comment.
  absl::StatusOr<VerifiedJwt> Verify(absl::string_view token) const;

 private:
  friend class JwtVerifierBuilder;
  JwtVerifier() = default;
  absl::Status CheckHeader(const JwsHeader& header,
                           std::optional<JwsAlgorithm>* alg) const;
  absl::Status CheckClaims(const RegisteredClaims& claims) const;

  Jwks jwks_;
  std::string issuer_;
  std::optional<std::string> audience_;
  std::vector<JwsAlgorithm> algorithms_;
  absl::Duration clock_skew_;
  const Clock* clock_ = nullptr;
  JwsLimits limits_;
};

// JwtVerifierBuilder: every knob defaults to the safe choice; Build()
// refuses a configuration that cannot be safe (style.md rule 11).
class JwtVerifierBuilder {
 public:
  // The verification keys. Required, with at least one usable key.
  JwtVerifierBuilder& SetJwks(Jwks jwks);
  // The exact "iss" to accept. Required: an unpinned issuer accepts tokens
  // from any service that shares a key set (maa-spec §9 item 18).
  JwtVerifierBuilder& ExpectIssuer(absl::string_view issuer);
  // An audience this relying party identifies as. Default: none, and then
  // tokens carrying "aud" are refused.
  JwtVerifierBuilder& ExpectAudience(absl::string_view audience);
  // The allow-list. Default {ES256, RS256}; "none" and HMAC cannot be listed.
  JwtVerifierBuilder& AllowAlgorithms(std::vector<JwsAlgorithm> algorithms);
  // Tolerance for clock differences on exp/nbf/iat. Default 1 minute;
  // Build() refuses negative values and more than 10 minutes.
  JwtVerifierBuilder& SetClockSkew(absl::Duration skew);
  // The time source. Default SystemClock; must outlive the verifier.
  JwtVerifierBuilder& SetClock(const Clock& clock);
  // Size limits. Build() refuses zero and a token limit above 16 MiB.
  JwtVerifierBuilder& SetLimits(const JwsLimits& limits);

  // Build: the verifier, or kInvalidArgument naming the knob:
  // "jwks: not set", "jwks: no usable key (...)", "issuer: not set",
  // "algorithms: empty", "clock skew: ...", "limits: ...".
  absl::StatusOr<JwtVerifier> Build() const;

 private:
  std::optional<Jwks> jwks_;
  std::optional<std::string> issuer_;
  std::optional<std::string> audience_;
  std::vector<JwsAlgorithm> algorithms_ = {JwsAlgorithm::kEs256,
                                           JwsAlgorithm::kRs256};
  absl::Duration clock_skew_ = absl::Minutes(1);
  const Clock* clock_ = &SystemClock::Get();
  JwsLimits limits_;
};

}  // namespace vigil::token

#endif  // VIGIL_SERVICE_TOKEN_JWT_VERIFIER_H_
