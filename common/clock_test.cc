#include "common/clock.h"

#include "common/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace vigil {
namespace {

TEST(FakeClock, StaysFixedUntilAdvanced) {
  testing::FakeClock clock(absl::FromUnixSeconds(12345));
  const Clock& c = clock;
  EXPECT_EQ(c.Now(), absl::FromUnixSeconds(12345));
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(c.Now(), absl::FromUnixSeconds(12350));
}

TEST(SystemClock, IsAfterTheProjectStarted) {
  EXPECT_GT(SystemClock::Get().Now(), absl::FromUnixSeconds(1735689600));
}

}  // namespace
}  // namespace vigil
