// File: agent/daemon/backoff.h
// -----------------------------------------------------------------------------
// Jittered exponential backoff for reconnecting to the verifier. Jitter keeps
// a fleet that lost its verifier at the same moment from reconnecting in
// lockstep when it comes back ("equal jitter": half the delay is fixed, half
// random). Randomness is injected (style.md rule 12), so tests pin it.

#ifndef VIGIL_AGENT_DAEMON_BACKOFF_H_
#define VIGIL_AGENT_DAEMON_BACKOFF_H_

#include <functional>

#include "absl/time/time.h"

namespace vigil::agent {

struct BackoffOptions {
  absl::Duration min = absl::Seconds(1);
  absl::Duration max = absl::Minutes(5);
  double multiplier = 2.0;
};

// Returns a uniformly distributed double in [0, 1).
using UniformRandom = std::function<double()>;

// A UniformRandom seeded from std::random_device (not for secrets: it only
// spreads reconnects).
UniformRandom SystemUniformRandom();

// Not thread-safe.
class Backoff {
 public:
  // Caller guarantees 0 < options.min <= options.max and multiplier >= 1.
  Backoff(BackoffOptions options, UniformRandom uniform)
      : options_(options), uniform_(std::move(uniform)) {}

  // Next(): the delay before the next attempt. The n-th call since Reset()
  // (n = 0, 1, ...) has a ceiling c = min(max, min * multiplier^n) and
  // returns a value in [max(min, c/2), c].
  absl::Duration Next();
  // Reset(): after a success; the next delay starts again from min.
  void Reset() { attempt_ = 0; }
  // Failed attempts since the last Reset().
  int attempts() const { return attempt_; }

 private:
  BackoffOptions options_;
  UniformRandom uniform_;
  int attempt_ = 0;
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_DAEMON_BACKOFF_H_
