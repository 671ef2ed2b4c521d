// DisableMutexDeadlockDetection really switches absl's check off: a lock
// order inversion, which aborts the process under Debian's abseil (built
// without NDEBUG: see mutex_mode.h), goes by once it is called. The death
// test shows the check is on by default here, so the second test would
// fail if the call did nothing.
#include "common/mutex_mode.h"

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace vigil {
namespace {

// Takes a then b, then b then a: an inversion, though one thread cannot
// deadlock with itself.
void Invert() {
  absl::Mutex a;
  absl::Mutex b;
  {
    absl::MutexLock la(&a);
    absl::MutexLock lb(&b);
  }
  {
    absl::MutexLock lb(&b);
    absl::MutexLock la(&a);
  }
}

TEST(MutexModeDeathTest, AnInversionAbortsByDefault) {
  EXPECT_DEATH(Invert(), "Potential Mutex deadlock");
}

TEST(MutexMode, AnInversionGoesByOnceDetectionIsOff) {
  DisableMutexDeadlockDetection();
  Invert();
  SUCCEED();
}

}  // namespace
}  // namespace vigil
