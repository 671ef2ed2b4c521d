// File: common/allocator.cc
// -----------------------------------------------------------------------------
#include "common/allocator.h"

#include <dlfcn.h>
#include <malloc.h>

namespace vigil {
namespace {

// gperftools' malloc is an alias of its tc_malloc; RTLD_DEFAULT finds the
// definition the dynamic linker bound every caller's malloc to.
bool TcmallocIsMalloc() {
  void* tc = dlsym(RTLD_DEFAULT, "tc_malloc");
  return tc != nullptr && tc == dlsym(RTLD_DEFAULT, "malloc");
}

}  // namespace

std::string_view MallocName() {
#if defined(__SANITIZE_ADDRESS__)
  return "asan";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return "asan";
#endif
#endif
  return TcmallocIsMalloc() ? "tcmalloc" : "glibc";
}

void ReleaseFreeMemory() {
  if (TcmallocIsMalloc()) {
    // gperftools/malloc_extension_c.h; looked up so that binaries without
    // tcmalloc need not link it.
    using Release = void (*)();
    if (auto* release = reinterpret_cast<Release>(
            dlsym(RTLD_DEFAULT, "MallocExtension_ReleaseFreeMemory"))) {
      release();
      return;
    }
  }
  malloc_trim(0);
}

}  // namespace vigil
