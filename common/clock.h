// File: common/clock.h
// -----------------------------------------------------------------------------
// Time is injected (style.md rule 12): code that reads the time takes a
// `const Clock&`, so tests pin it with testing::FakeClock.

#ifndef VIGIL_COMMON_CLOCK_H_
#define VIGIL_COMMON_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace vigil {

// Clock: a source of the current time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Clock::Now(): the current time; never fails.
  virtual absl::Time Now() const = 0;
};

// SystemClock: the real wall clock.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance; never destroyed.
  static const SystemClock& Get() {
    static const SystemClock* clock = new SystemClock();
    return *clock;
  }
};

}  // namespace vigil

#endif  // VIGIL_COMMON_CLOCK_H_
