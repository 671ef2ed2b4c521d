// File: common/allocator.h
// -----------------------------------------------------------------------------
// Which malloc this process runs, and returning its free memory to the
// kernel, whichever it is.
//
// vigil-verifier and vigil-loadgen link gperftools' tcmalloc (VIGIL_TCMALLOC,
// the default outside sanitizer builds): its per-thread caches serve the
// verifier's pattern — gRPC's threads allocate a message's buffers, a worker
// frees them — without glibc's per-arena locks and fastbin consolidation
// (docs/PERFORMANCE.md, 2026-11-25). Everything else keeps glibc's. Which one
// runs is found at run time, not by a build flag, so a library linked into
// either kind of binary does the right thing.
#ifndef VIGIL_COMMON_ALLOCATOR_H_
#define VIGIL_COMMON_ALLOCATOR_H_

#include "absl/strings/string_view.h"

namespace vigil {

// "tcmalloc" when gperftools' tcmalloc provides this process's malloc,
// "glibc" when libc's does, "asan" in AddressSanitizer builds, "other" for
// any other (jemalloc under LD_PRELOAD, say). Cannot fail.
absl::string_view MallocName();

// Returns the allocator's free pages to the kernel: tcmalloc's
// MallocExtension::ReleaseFreeMemory, glibc's malloc_trim(0); no effect under
// ASan, whose allocator keeps freed memory in quarantine, nor under another
// allocator. Slow (walks the heap); for measurements and after bursts, not
// per request. Cannot fail.
void ReleaseFreeMemory();

}  // namespace vigil

#endif  // VIGIL_COMMON_ALLOCATOR_H_
