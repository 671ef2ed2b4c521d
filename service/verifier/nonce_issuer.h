// File: service/verifier/nonce_issuer.h
// -----------------------------------------------------------------------------
// Attestation nonces: fresh, bound to one device, expiring, single use, and
// stateless to issue (issue #5 §1): any replica holding the same HmacKey can
// check a nonce another replica issued.
//
// Layout (41 bytes, fits TPM2B_DATA's 64-byte limit for qualifyingData):
//   0x01 | issued_at (8 bytes, big-endian Unix milliseconds) | 16 random
//   bytes | first 16 bytes of HMAC(key, "vigil nonce v1", device_id,
//   bytes 0..24)
// A 128-bit truncated HMAC-SHA-256 leaves forgery at 2^-128 per try
// (NIST SP 800-107 §5.3.3 allows truncation to >= 64 bits).
//
// Single use: each process remembers the nonces it accepted until they
// expire. Across replicas, a replayed quote is also caught by the per-device
// TPM clock check (DeviceRegistry::RecordClock): a quote is accepted only if
// its signed clock is later than the last accepted one, and a replay carries
// the same clock.
#ifndef VIGIL_SERVICE_VERIFIER_NONCE_ISSUER_H_
#define VIGIL_SERVICE_VERIFIER_NONCE_ISSUER_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "service/verifier/hmac_key.h"
#include "tpm/verify/random_source.h"

namespace vigil::service {

struct IssuedNonce {
  std::vector<uint8_t> bytes;
  absl::Time expires_at;
};

class NonceIssuer {
 public:
  static constexpr size_t kNonceSize = 41;
  // The fewest accepted nonces remembered at most (~60 bytes each).
  static constexpr size_t kMinRemembered = 1 << 20;
  // What one core can attest per second, with room to spare (~3,200 per
  // core measured on the benchmark VM: docs/PERFORMANCE.md).
  static constexpr size_t kRatePerCore = 5000;

  // The bound a verifier on `cores` cores needs: every nonce accepted at
  // full rate stays remembered for its whole `lifetime`, so the bound is
  // rate x lifetime (at least kMinRemembered). A fixed 1,048,576 held a
  // verifier to ~8,700 att/s sustained with the 2-minute default.
  static size_t RememberedFor(unsigned cores, absl::Duration lifetime);

  // `key`, `clock` and `rng` must outlive the issuer. `lifetime` is how long
  // a nonce stays valid (default 2 minutes: a quote takes < 1 s, a slow
  // TPM a few seconds, plus the network). Beyond `max_remembered` accepted
  // unexpired nonces Consume() fails with kResourceExhausted until some
  // expire (bounds memory when a flood of evidence outruns the lifetime).
  NonceIssuer(const HmacKey* key, const Clock* clock, tpm::RandomSource* rng,
              absl::Duration lifetime = absl::Minutes(2),
              size_t max_remembered = kMinRemembered)
      : key_(key),
        clock_(clock),
        rng_(rng),
        lifetime_(lifetime),
        max_remembered_(max_remembered) {}

  // A fresh nonce for `device_id`. Fails with kInternal when randomness or
  // the MAC fails.
  absl::StatusOr<IssuedNonce> Issue(absl::string_view device_id) const;

  // Checks that `nonce` was issued (by any replica with this key) for
  // `device_id`, has not expired, and was not consumed before; then marks it
  // consumed. Fails with kUnauthenticated and one of:
  //   "nonce: malformed (N bytes)", "nonce: not issued by this verifier or
  //   issued for another device", "nonce: expired 35s ago", "nonce: issued in
  //   the future", "nonce: already used";
  // kResourceExhausted when max_remembered unexpired nonces are held.
  // Thread-safe.
  absl::Status Consume(absl::Span<const uint8_t> nonce,
                       absl::string_view device_id);

  absl::Duration lifetime() const { return lifetime_; }
  size_t max_remembered() const { return max_remembered_; }

  // How many accepted nonces are remembered now (tests: memory stays
  // bounded because expired ones are pruned).
  size_t remembered() const;

 private:
  absl::Status CheckMac(absl::Span<const uint8_t> nonce,
                        absl::string_view device_id) const;
  // A remembered set: the nonces whose validity ends in one second.
  using Key = std::array<uint8_t, 24>;
  using Bucket = absl::flat_hash_set<Key>;
  // Forgets the seconds that are over, whole: their sets move to `dropped`
  // so the caller frees them after releasing the lock.
  void PruneLocked(absl::Time now, std::vector<Bucket>& dropped)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const HmacKey* key_;
  const Clock* clock_;
  tpm::RandomSource* rng_;
  absl::Duration lifetime_;
  size_t max_remembered_;
  // A consumed nonce is remembered by its issue time and random part (24
  // bytes, no allocation): the MAC was checked before, so these identify
  // it. Remembered in one set per second of expiry (unix seconds of
  // issue time + lifetime), dropped whole once that second is over: a
  // nonce is forgotten less than a second after it expires, never before,
  // in whatever order nonces were consumed. Why not one set: forgetting
  // one by one left tombstones that the set cleared by rehashing in place,
  // and growing it rehashed it whole — both under the lock, tens of
  // milliseconds at 500,000 nonces, every attestation in flight stalled
  // (found as p99 spikes: docs/PERFORMANCE.md). A second's set holds a
  // second of attestations (a few thousand) and is sized like the last
  // one dropped, so it rarely grows.
  mutable absl::Mutex mu_;
  std::map<int64_t, Bucket> used_ ABSL_GUARDED_BY(mu_);
  size_t remembered_ ABSL_GUARDED_BY(mu_) = 0;
  size_t last_bucket_size_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_NONCE_ISSUER_H_
