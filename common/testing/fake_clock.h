// File: common/testing/fake_clock.h
// A Clock for tests: returns a fixed time until told otherwise. Thread-safe.

#ifndef VIGIL_COMMON_TESTING_FAKE_CLOCK_H_
#define VIGIL_COMMON_TESTING_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "common/clock.h"

namespace vigil::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_;
};

}  // namespace vigil::testing

#endif  // VIGIL_COMMON_TESTING_FAKE_CLOCK_H_
