#include "agent/daemon/backoff.h"

#include <algorithm>
#include <memory>
#include <random>

namespace vigil::agent {

UniformRandom SystemUniformRandom() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] {
    return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
  };
}

absl::Duration Backoff::Next() {
  absl::Duration ceiling = options_.min;
  for (int i = 0; i < attempt_ && ceiling < options_.max; ++i) {
    ceiling = ceiling * options_.multiplier;
  }
  ceiling = std::min(ceiling, options_.max);
  ++attempt_;
  const double u = std::clamp(uniform_(), 0.0, 1.0);
  absl::Duration d = ceiling / 2 + (ceiling / 2) * u;
  return std::clamp(d, options_.min, ceiling);
}

}  // namespace vigil::agent
