// File: service/token/key_ring.h
// -----------------------------------------------------------------------------
// KeyRing: the issuer's signing keys over time. One key is current and signs
// every token; Rotate() makes a new key current and retires the old one.
//
// Rotation rule (docs/TOKENS.md): a retired key stays in the JWKS until every
// token it signed has expired, i.e. until
//     retire time + max_token_lifetime + retention_slack,
// then it is dropped. This holds because SignAndEncode refuses a token whose
// "exp" is more than max_token_lifetime after the signing time, and a sign
// reads the current key and the clock under the same lock Rotate takes, so
// no token is signed with a key after its retire time.
//
// Time comes from the injected Clock (style.md rule 12).

#ifndef VIGIL_SERVICE_TOKEN_KEY_RING_H_
#define VIGIL_SERVICE_TOKEN_KEY_RING_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "service/token/json.h"
#include "service/token/jwt_signer.h"
#include "service/token/raw_jwt.h"
#include "service/token/signing_key.h"

namespace vigil::token {

struct KeyRingOptions {
  // The longest exp - signing time this ring signs; also how long a retired
  // key stays published. Must be positive and at most 366 days.
  absl::Duration max_token_lifetime = absl::Hours(24);
  // Extra publication time after that: relying parties accept a token a
  // little past "exp" (their clock skew; JwtVerifier's default is 1 minute)
  // and the wall clocks of issuer and relying party differ. Zero or more,
  // at most 1 day.
  absl::Duration retention_slack = absl::Minutes(5);
  // Header options for every key's signer ("x5c" / "x5t").
  JwtSignerOptions signer;
};

// KeyRing: thread-safe. SignAndEncode may run on many threads while another
// calls Rotate; a signer only holds the lock to read the current key.
class KeyRing final : public JwtSigner {
 public:
  // Create: a ring whose current key is `current`. `clock` must outlive the
  // ring. Fails with kInvalidArgument on out-of-range options or when a
  // certificate header is asked for and `current` has no chain.
  static absl::StatusOr<std::unique_ptr<KeyRing>> Create(
      SigningKey current, const Clock& clock, KeyRingOptions options = {});

  // SignAndEncode: signs with the current key. Fails with kInvalidArgument
  // when jwt.expiration() is more than max_token_lifetime after now (the
  // rotation rule depends on it), kInternal if signing fails.
  absl::StatusOr<std::string> SignAndEncode(const RawJwt& jwt) const override;

  // Rotate: `next` becomes current; the previous current key is retired now
  // and published until now + max_token_lifetime + retention_slack. Keys
  // past that are dropped. Fails with kInvalidArgument (ring unchanged) when
  // `next` is already in the ring (same kid) or lacks the chain the
  // certificate header option needs.
  absl::Status Rotate(SigningKey next);

  // JwksJson: the JWK Set (RFC 7517 §5) for the /certs endpoint: the current
  // key first, then the retired keys still published, newest first. Public.
  std::string JwksJson() const;
  // The kids JwksJson() lists, in the same order.
  std::vector<std::string> PublishedKids() const;
  std::string current_kid() const;
  absl::Duration max_token_lifetime() const {
    return options_.max_token_lifetime;
  }

 private:
  struct Entry;
  struct Retired {
    std::shared_ptr<const Entry> entry;
    absl::Time drop_at;
  };
  KeyRing(const Clock& clock, KeyRingOptions options,
          std::shared_ptr<const Entry> current);
  static absl::StatusOr<std::shared_ptr<const Entry>> MakeEntry(
      SigningKey key, const JwtSignerOptions& options);
  std::vector<std::shared_ptr<const Entry>> Published() const;

  const Clock& clock_;
  const KeyRingOptions options_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Entry> current_ ABSL_GUARDED_BY(mu_);
  std::vector<Retired> retired_ ABSL_GUARDED_BY(mu_);  // newest first
};

}  // namespace vigil::token

#endif  // VIGIL_SERVICE_TOKEN_KEY_RING_H_
