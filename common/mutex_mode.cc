// File: common/mutex_mode.cc
// -----------------------------------------------------------------------------
#include "common/mutex_mode.h"

#include "absl/synchronization/mutex.h"

namespace vigil {

void DisableMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace vigil
