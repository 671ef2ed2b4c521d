// File: common/mutex_mode.h
// -----------------------------------------------------------------------------
// How the daemons run absl::Mutex.
//
// Debian's abseil is built without NDEBUG, so by default every Mutex
// acquisition records lock order in one process-wide graph under a global
// lock ("deadlock detection"), and every Mutex destruction removes itself
// from it. In a verifier that is 1-1.5% of the CPU at 1,000 streams and
// over 5% at 10,000 (graph lookups over one Mutex per stream), plus a
// global lock every worker takes (docs/PERFORMANCE.md). The daemons and the
// load generator switch it off at start; unit tests keep it, because they
// are where a lock-order inversion should abort.
#ifndef VIGIL_COMMON_MUTEX_MODE_H_
#define VIGIL_COMMON_MUTEX_MODE_H_

namespace vigil {

// Turns absl's Mutex deadlock detection off for the whole process. Call
// first in main(), before any thread starts. Cannot fail.
void DisableMutexDeadlockDetection();

}  // namespace vigil

#endif  // VIGIL_COMMON_MUTEX_MODE_H_
