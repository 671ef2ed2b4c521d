// File: common/allocator.h
// -----------------------------------------------------------------------------
// Which malloc this process runs, and returning its free memory to the
// kernel, whichever it is.
//
// vigil-verifier and vigil-loadgen link gperftools' tcmalloc (VIGIL_TCMALLOC,
// the default outside sanitizer builds): its per-thread caches serve the
// verifier's pattern — gRPC's threads allocate a message's buffers, a worker
// frees them — without glibc's per-arena locks and fastbin consolidation
// (docs/PERFORMANCE.md, 2026-11-25). Everything else keeps glibc's. Both are
// found at run time, not by a build flag, so a library linked into either
// kind of binary (or run under LD_PRELOAD) does the right thing.
#ifndef VIGIL_COMMON_ALLOCATOR_H_
#define VIGIL_COMMON_ALLOCATOR_H_

#include <string_view>

namespace vigil {

// "tcmalloc" when gperftools' tcmalloc provides this process's malloc,
// "asan" in AddressSanitizer builds, otherwise "glibc" (any other interposed
// allocator also reads "glibc"). Cannot fail.
std::string_view MallocName();

// Returns the allocator's free pages to the kernel: tcmalloc's
// MallocExtension::ReleaseFreeMemory, glibc's malloc_trim(0); no effect under
// ASan, whose allocator keeps freed memory in quarantine. Slow (walks the
// heap); for measurements and after bursts, not per request. Cannot fail.
void ReleaseFreeMemory();

}  // namespace vigil

#endif  // VIGIL_COMMON_ALLOCATOR_H_
