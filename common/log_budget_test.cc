// File: common/log_budget_test.cc
// -----------------------------------------------------------------------------
#include "common/log_budget.h"

#include <atomic>
#include <thread>
#include <vector>

#include "common/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace vigil {
namespace {

using ::vigil::testing::FakeClock;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST(LogBudget, AdmitsUpToTheRateEachSecondAndCountsTheRest) {
  FakeClock clock(kT0);
  LogBudget budget(&clock, 3, absl::Minutes(1));
  int admitted = 0;
  for (int i = 0; i < 10; ++i) admitted += budget.Admit() ? 1 : 0;
  EXPECT_EQ(admitted, 3);
  clock.Advance(absl::Milliseconds(999));  // the same second
  EXPECT_FALSE(budget.Admit());
  clock.Advance(absl::Milliseconds(1));  // the next one
  EXPECT_TRUE(budget.Admit());
  // Refused lines are reported once the period has passed, then reset.
  EXPECT_EQ(budget.TakeReport(), std::nullopt);
  clock.Advance(absl::Minutes(1));
  EXPECT_EQ(budget.TakeReport(), std::optional<int64_t>(8));
  EXPECT_EQ(budget.TakeReport(), std::nullopt);
  clock.Advance(absl::Minutes(2));
  EXPECT_EQ(budget.TakeReport(), std::nullopt);  // nothing refused since
}

TEST(LogBudget, ZeroAdmitsNothingAndNegativeAdmitsEverything) {
  FakeClock clock(kT0);
  LogBudget none(&clock, 0, absl::Seconds(10));
  LogBudget all(&clock, -1, absl::Seconds(10));
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(none.Admit());
    EXPECT_TRUE(all.Admit());
  }
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(none.TakeReport(), std::optional<int64_t>(100));
  EXPECT_EQ(all.TakeReport(), std::nullopt);
}

TEST(LogBudget, ConcurrentCallersNeverExceedTheRate) {
  FakeClock clock(kT0);
  LogBudget budget(&clock, 50, absl::Minutes(1));
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (budget.Admit()) ++admitted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 50);
  clock.Advance(absl::Minutes(1));
  EXPECT_EQ(budget.TakeReport(), std::optional<int64_t>(8000 - 50));
}

}  // namespace
}  // namespace vigil
