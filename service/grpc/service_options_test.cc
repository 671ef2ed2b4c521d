#include "service/grpc/service_options.h"

#include "gtest/gtest.h"

// The worker pool's default size (service_options.h): by the registry's
// kind and the core count, within the bound `workers` accepts.
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

// A large host gets no more than an operator could configure.
TEST(DefaultWorkerThreads, AtMost256) {
  EXPECT_EQ(kMaxWorkerThreads, 256u);
  EXPECT_EQ(DefaultWorkerThreads(true, 32), 256u);
  EXPECT_EQ(DefaultWorkerThreads(true, 128), 256u);
  EXPECT_EQ(DefaultWorkerThreads(false, 128), 256u);
  EXPECT_EQ(DefaultWorkerThreads(false, 512), 256u);
}

// A configured pool size is used as it is; 0 asks for the default.
TEST(WorkerThreads, ConfiguredSizeOrTheDefault) {
  ServiceOptions o;
  o.worker_threads = 3;
  EXPECT_EQ(WorkerThreads(o, true, 2), 3u);
  EXPECT_EQ(WorkerThreads(o, false, 2), 3u);
  o.worker_threads = 0;
  EXPECT_EQ(WorkerThreads(o, true, 2), 16u);
  EXPECT_EQ(WorkerThreads(o, false, 2), 4u);
}

// std::thread::hardware_concurrency() may say 0 (unknown): one core counted.
TEST(DefaultWorkerThreads, UnknownCoreCountCountsAsOne) {
  EXPECT_EQ(DefaultWorkerThreads(false, 0), 2u);
  EXPECT_EQ(DefaultWorkerThreads(true, 0), 8u);
}

}  // namespace
}  // namespace vigil::service
