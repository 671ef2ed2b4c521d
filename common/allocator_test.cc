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

namespace vigil {
namespace {

long ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

TEST(Allocator, NamesTheMallocThisBinaryWasLinkedWith) {
  EXPECT_EQ(MallocName(),
            testing::kAddressSanitizer ? "asan" : VIGIL_EXPECTED_MALLOC);
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
  constexpr size_t kBlock = 16 * 1024;
  constexpr size_t kBlocks = 4096;
  std::vector<void*> blocks(kBlocks);
  for (void*& b : blocks) {
    b = std::malloc(kBlock);
    ASSERT_NE(b, nullptr);
    std::memset(b, 0x5a, kBlock);
  }
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
