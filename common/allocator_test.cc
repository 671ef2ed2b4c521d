// File: common/allocator_test.cc
// -----------------------------------------------------------------------------
// Built twice (common/CMakeLists.txt): linked like a library user, where
// malloc is glibc's, and linked like vigil-verifier (vigil::malloc), where it
// is tcmalloc's when VIGIL_TCMALLOC is on. VIGIL_EXPECTED_MALLOC says which.
#include "common/allocator.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "common/testing/sanitizers.h"
#include "gtest/gtest.h"
#if defined(VIGIL_TEST_LINKS_TCMALLOC)
#include "gperftools/malloc_extension.h"
#endif

namespace vigil {
namespace {

long ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

TEST(Allocator, NamesTheMallocThisBinaryWasLinkedWith) {
  EXPECT_EQ(MallocName(), testing::kAddressSanitizer
                              ? absl::string_view("asan")
                              : absl::string_view(VIGIL_EXPECTED_MALLOC));
}

TEST(Allocator, ReleaseFreeMemoryReturnsFreedPagesToTheKernel) {
  if (testing::kAddressSanitizer) {
    GTEST_SKIP() << "ASan's allocator quarantines freed memory";
  }
  // 64 MiB in 16-KiB blocks (the size of gRPC's and OpenSSL's per-connection
  // buffers), written so they are resident; one more block stays allocated
  // after them (every earlier one is in use when it is taken, so it comes
  // from the heap's top) so that glibc cannot give the space back by
  // shrinking the top on free: only an explicit release returns it.
#if defined(VIGIL_TEST_LINKS_TCMALLOC)
  // tcmalloc also returns free pages on its own as it goes
  // (TCMALLOC_RELEASE_RATE); off here, so that only the call under test
  // releases them.
  MallocExtension::instance()->SetMemoryReleaseRate(0);
#endif
  constexpr size_t kBlock = 16 * 1024;
  constexpr size_t kBlocks = 4096;
  std::vector<void*> blocks(kBlocks);
  unsigned sum = 0;
  for (void*& b : blocks) {
    b = std::malloc(kBlock);
    ASSERT_NE(b, nullptr);
    std::memset(b, 0x5a, kBlock);
    // Read back through a volatile pointer, so the writes stay.
    sum += static_cast<volatile unsigned char*>(b)[kBlock - 1];
  }
  ASSERT_EQ(sum, 0x5au * kBlocks);
  void* pin = std::malloc(kBlock);
  ASSERT_NE(pin, nullptr);
  for (void* b : blocks) std::free(b);
  const long before = ResidentBytes();
  ReleaseFreeMemory();
  const long after = ResidentBytes();
  std::free(pin);
  EXPECT_GE(before - after, static_cast<long>(kBlock * kBlocks / 2))
      << "resident before the release " << before << ", after " << after;
}

}  // namespace
}  // namespace vigil
