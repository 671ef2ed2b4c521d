#include "service/grpc/service_options.h"

#include "gtest/gtest.h"

namespace vigil::service {
namespace {

TEST(DefaultWorkerThreads, TwoPerCoreWhenClocksAreRecordedInMemory) {
  EXPECT_EQ(DefaultWorkerThreads(false, 2), 4u);
  EXPECT_EQ(DefaultWorkerThreads(false, 16), 32u);
}

TEST(DefaultWorkerThreads, EightPerCoreWhenEachClockWaitsForACommit) {
  EXPECT_EQ(DefaultWorkerThreads(true, 2), 16u);
  EXPECT_EQ(DefaultWorkerThreads(true, 16), 128u);
}

// std::thread::hardware_concurrency() may say 0 (unknown): one core counted.
TEST(DefaultWorkerThreads, UnknownCoreCountCountsAsOne) {
  EXPECT_EQ(DefaultWorkerThreads(false, 0), 2u);
  EXPECT_EQ(DefaultWorkerThreads(true, 0), 8u);
}

}  // namespace
}  // namespace vigil::service
