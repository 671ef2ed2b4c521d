#include "agent/daemon/backoff.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::agent {
namespace {

// Returns the given values in turn, then repeats the last.
UniformRandom Sequence(std::vector<double> values) {
  auto i = std::make_shared<size_t>(0);
  return [values, i] {
    double v = values[std::min(*i, values.size() - 1)];
    ++*i;
    return v;
  };
}

TEST(Backoff, DoublesUpToTheMaximumWithTheRandomPartOnTop) {
  Backoff b({absl::Seconds(1), absl::Seconds(10), 2.0}, Sequence({0.0}));
  // u = 0: the fixed half of each ceiling, but never below min.
  EXPECT_EQ(b.Next(), absl::Seconds(1));  // ceiling 1
  EXPECT_EQ(b.Next(), absl::Seconds(1));  // ceiling 2
  EXPECT_EQ(b.Next(), absl::Seconds(2));  // ceiling 4
  EXPECT_EQ(b.Next(), absl::Seconds(4));  // ceiling 8
  EXPECT_EQ(b.Next(), absl::Seconds(5));  // ceiling 10 (capped)
  EXPECT_EQ(b.Next(), absl::Seconds(5));
  EXPECT_EQ(b.attempts(), 6);
}

TEST(Backoff, JitterSpansTheUpperHalfOfTheCeiling) {
  Backoff high({absl::Seconds(1), absl::Seconds(64), 2.0},
               Sequence({0.999999}));
  Backoff mid({absl::Seconds(1), absl::Seconds(64), 2.0}, Sequence({0.5}));
  for (int i = 0; i < 4; ++i) {
    high.Next();
    mid.Next();
  }
  // Fifth attempt: ceiling 16 s.
  EXPECT_NEAR(absl::ToDoubleSeconds(high.Next()), 16.0, 1e-3);
  EXPECT_DOUBLE_EQ(absl::ToDoubleSeconds(mid.Next()), 12.0);
}

TEST(Backoff, StaysWithinBoundsForAnyRandomValue) {
  const BackoffOptions options{absl::Milliseconds(250), absl::Seconds(30), 2.0};
  for (double u : {-1.0, 0.0, 0.25, 0.75, 1.0, 7.0}) {
    Backoff b(options, Sequence({u}));
    for (int i = 0; i < 50; ++i) {
      absl::Duration d = b.Next();
      EXPECT_GE(d, options.min) << "u=" << u << " attempt " << i;
      EXPECT_LE(d, options.max) << "u=" << u << " attempt " << i;
    }
  }
}

TEST(Backoff, ResetAfterSuccessStartsFromTheMinimumAgain) {
  Backoff b({absl::Seconds(1), absl::Minutes(5), 2.0}, Sequence({1.0}));
  for (int i = 0; i < 10; ++i) b.Next();
  EXPECT_EQ(b.Next(), absl::Minutes(5));
  b.Reset();
  EXPECT_EQ(b.attempts(), 0);
  EXPECT_EQ(b.Next(), absl::Seconds(1));
  EXPECT_EQ(b.Next(), absl::Seconds(2));
}

TEST(Backoff, SystemRandomIsInTheUnitInterval) {
  UniformRandom u = SystemUniformRandom();
  for (int i = 0; i < 1000; ++i) {
    double v = u();
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
  }
}

}  // namespace
}  // namespace vigil::agent
