// File: common/allocator.cc
// -----------------------------------------------------------------------------
#include "common/allocator.h"

#include <dlfcn.h>
#include <malloc.h>

#include <cstring>

namespace vigil {
namespace {

enum class Malloc { kGlibc, kTcmalloc, kOther };

// RTLD_DEFAULT finds the definition the dynamic linker bound every caller's
// malloc to; gperftools' malloc is an alias of its tc_malloc, glibc's lives
// in libc.so.
Malloc Which() {
  void* m = dlsym(RTLD_DEFAULT, "malloc");
  void* tc = dlsym(RTLD_DEFAULT, "tc_malloc");
  if (m != nullptr && m == tc) return Malloc::kTcmalloc;
  Dl_info info{};
  if (m != nullptr && dladdr(m, &info) != 0 && info.dli_fname != nullptr &&
      std::strstr(info.dli_fname, "/libc.so") != nullptr) {
    return Malloc::kGlibc;
  }
  return Malloc::kOther;
}

}  // namespace

absl::string_view MallocName() {
#if defined(__SANITIZE_ADDRESS__)
  return "asan";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return "asan";
#endif
#endif
  switch (Which()) {
    case Malloc::kGlibc:
      return "glibc";
    case Malloc::kTcmalloc:
      return "tcmalloc";
    case Malloc::kOther:
      break;
  }
  return "other";
}

void ReleaseFreeMemory() {
  switch (Which()) {
    case Malloc::kTcmalloc: {
      // gperftools/malloc_extension_c.h; looked up so that binaries without
      // tcmalloc need not link it.
      using Release = void (*)();
      if (auto* release = reinterpret_cast<Release>(
              dlsym(RTLD_DEFAULT, "MallocExtension_ReleaseFreeMemory"))) {
        release();
      }
      return;
    }
    case Malloc::kGlibc:
      malloc_trim(0);
      return;
    case Malloc::kOther:
      return;
  }
}

}  // namespace vigil
