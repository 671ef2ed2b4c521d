// File: service/token/jwks.h
// -----------------------------------------------------------------------------
// JSON Web Key Sets (RFC 7517 §5) in both directions:
//   * PublicJwk / RenderJwks: the issuer's public keys for its /certs
//     endpoint: {"kty":"EC","crv":"P-256","x","y"} or {"kty":"RSA","n","e"}
//     (RFC 7518 §6.2.1, §6.3.1), then "kid", "use":"sig", "alg" and, when the
//     key has a chain, "x5c" (RFC 7517 §4.7).
//   * Jwks::Parse: a relying party's view of such a set, the only source of
//     keys for JwtVerifier. Keys named inside a token ("jwk", "jku", "x5u",
//     "x5c" headers) are never used to verify it.

#ifndef VIGIL_SERVICE_TOKEN_JWKS_H_
#define VIGIL_SERVICE_TOKEN_JWKS_H_

#include <openssl/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/token/json.h"
#include "service/token/jws_algorithm.h"
#include "service/token/signing_key.h"

namespace vigil::token {

// PublicJwk: the public JWK of `key` (never any private member). Fails with
// kInternal only if OpenSSL fails.
absl::StatusOr<Json> PublicJwk(const SigningKey& key);

// RenderJwks: {"keys":[...]} of the JWKs in the given order, as JSON text.
std::string RenderJwks(absl::Span<const Json> jwks);

// VerificationKey: one usable key of a parsed set. Immutable, thread-safe.
class VerificationKey {
 public:
  const std::string& kid() const { return kid_; }
  // "EC" or "RSA".
  const std::string& kty() const { return kty_; }
  // The one algorithm this key may verify: ES256 for P-256, RS256 for RSA.
  JwsAlgorithm algorithm() const { return alg_; }

  // Verify: OK when `signature` is a valid `alg` JWS Signature over
  // `signing_input`. Fails with kUnauthenticated when `alg` does not fit
  // this key (RFC 8725 §3.1: the key, not the token, decides the
  // algorithm) or the signature does not verify.
  absl::Status Verify(JwsAlgorithm alg, absl::string_view signing_input,
                      absl::string_view signature) const;

 private:
  friend class Jwks;
  std::string kid_;
  std::string kty_;
  JwsAlgorithm alg_ = JwsAlgorithm::kEs256;
  std::shared_ptr<EVP_PKEY> key_;
};

// Jwks: a parsed JWK Set. Immutable, copyable, thread-safe.
class Jwks {
 public:
  // Limits: a set larger than this is not a key set anyone publishes.
  static constexpr size_t kMaxJsonSize = 1 << 20;
  static constexpr size_t kMaxKeys = 64;

  // Parse: the usable keys of a JWK Set. Entries this library cannot use
  // are skipped, as RFC 7517 §5 says to, and the reason is kept in
  // skipped(): a "kty" other than EC/RSA, "use" other than "sig", "key_ops"
  // without "verify", an "alg" other than ES256/RS256 or not fitting the
  // key, a curve other than P-256, RSA below 2048 bits, missing "kid",
  // malformed members, a point not on the curve, an "x5c" leaf whose key
  // differs from the other members.
  // Fails with kInvalidArgument when the text is not a JSON object with a
  // "keys" array, is too large, has more than kMaxKeys entries, or two
  // usable keys share a "kid" (selection by kid would be ambiguous).
  // The keys are as trusted as the channel `json` came over.
  static absl::StatusOr<Jwks> Parse(absl::string_view json);

  // The key with this kid, or nullptr.
  const VerificationKey* Find(absl::string_view kid) const;
  absl::Span<const VerificationKey> keys() const { return keys_; }
  // "keys[2]: kty \"OKP\" is not supported", one per skipped entry.
  absl::Span<const std::string> skipped() const { return skipped_; }

 private:
  std::vector<VerificationKey> keys_;
  std::vector<std::string> skipped_;
};

}  // namespace vigil::token

#endif  // VIGIL_SERVICE_TOKEN_JWKS_H_
