#include "tools/loadgen/stall_probe.h"

#include <pthread.h>
#include <sched.h>

#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::loadgen {
namespace {

using std::chrono::milliseconds;

Steady::time_point T(int ms) {
  return Steady::time_point() + milliseconds(1000000 + ms);
}

TEST(OutsideStallsTest, DropsExactlyTheSamplesInFlightDuringAStall) {
  // A stall from 100 to 120 ms.
  const std::vector<Stall> stalls = {{T(100), T(120), 0}};
  const std::vector<Sample> samples = {
      {T(0), 50000},    // 0-50: before
      {T(90), 20000},   // 90-110: runs into it
      {T(105), 5000},   // 105-110: inside
      {T(115), 10000},  // 115-125: runs out of it
      {T(80), 60000},   // 80-140: spans it
      {T(120), 10000},  // 120-130: starts as it ends
      {T(70), 30000},   // 70-100: ends as it starts
      {T(200), 1000},   // after
  };
  const std::vector<Sample> kept = OutsideStalls(samples, stalls);
  std::vector<int> starts;
  for (const Sample& s : kept) {
    starts.push_back(static_cast<int>(
        std::chrono::duration_cast<milliseconds>(s.start - T(0)).count()));
  }
  EXPECT_THAT(starts, ::testing::ElementsAre(0, 120, 70, 200));
}

TEST(OutsideStallsTest, NoStallsKeepsEverySample) {
  const std::vector<Sample> samples = {{T(0), 1000}, {T(5), 1000}};
  EXPECT_EQ(OutsideStalls(samples, {}).size(), 2u);
}

// Without privileges too: with a zero threshold every wake-up is "late"
// (by the scheduler's microseconds), so the probe reports each tick — on
// the CPU it watches, each from the wake-up before it.
TEST(StallProbeTest, ZeroThresholdReportsEveryTick) {
  StallProbe probe({.threshold = std::chrono::microseconds(0), .cpus = {0}});
  probe.Start();
  std::this_thread::sleep_for(milliseconds(60));
  const std::vector<Stall> stalls = probe.Stop();
  // 60 ticks of 1 ms; a loaded machine may skip some (missed ticks are
  // skipped, not queued), never most.
  EXPECT_GE(stalls.size(), 20u);
  EXPECT_LE(stalls.size(), 70u);
  for (size_t i = 0; i < stalls.size(); ++i) {
    EXPECT_EQ(stalls[i].cpu, 0);
    EXPECT_LT(stalls[i].from, stalls[i].to);
    // Each reported from the previous wake-up: back to back.
    if (i > 0) {
      EXPECT_EQ(stalls[i - 1].to, stalls[i].from);
    }
  }
  EXPECT_TRUE(probe.Stop().empty()) << "a second Stop has nothing left";
}

TEST(StallProbeTest, StopWithoutStartIsEmpty) {
  StallProbe probe({});
  EXPECT_TRUE(probe.Stop().empty());
}

// A SCHED_FIFO thread of higher priority busy on the probed CPU keeps the
// probe off it: the probe must report that interval, on that CPU, and
// nothing shorter than the threshold.
TEST(StallProbeTest, SeesACpuTakenByAHigherPriorityThread) {
  StallProbe probe({.cpus = {0}});
  probe.Start();
  std::this_thread::sleep_for(milliseconds(20));
  bool hog_realtime = false;
  std::thread hog([&hog_realtime] {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    sched_param param{};
    param.sched_priority = 2;
    hog_realtime =
        pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0 &&
        pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0;
    if (!hog_realtime) return;
    const Steady::time_point until = Steady::now() + milliseconds(40);
    while (Steady::now() < until) {
    }
  });
  hog.join();
  std::this_thread::sleep_for(milliseconds(20));
  const std::vector<Stall> stalls = probe.Stop();
  if (!hog_realtime || !probe.realtime()) {
    GTEST_SKIP() << "needs SCHED_FIFO (CAP_SYS_NICE)";
  }
  ASSERT_FALSE(stalls.empty());
  milliseconds longest(0);
  for (const Stall& s : stalls) {
    EXPECT_EQ(s.cpu, 0);
    const auto d = std::chrono::duration_cast<milliseconds>(s.to - s.from);
    EXPECT_GE(d, milliseconds(5)) << "below the threshold";
    longest = std::max(longest, d);
  }
  EXPECT_GE(longest, milliseconds(30));
}

}  // namespace
}  // namespace vigil::loadgen
