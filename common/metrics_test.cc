#include "common/metrics.h"

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::vigil::testing::StatusIs;

TEST(Metrics, RendersEachKindInRegistrationOrder) {
  Registry r;
  Counter& c = r.AddCounter("vigil_things_total", "Things done.");
  Gauge& g = r.AddGauge("vigil_open", "Open now.");
  r.AddGaugeCallback("vigil_ratio", "A ratio.", [] { return 0.25; });
  c.Increment();
  c.Increment(2);
  g.Add(5);
  g.Add(-2);
  ASSERT_OK(r.status());
  EXPECT_EQ(r.Render(),
            "# HELP vigil_things_total Things done.\n"
            "# TYPE vigil_things_total counter\n"
            "vigil_things_total 3\n"
            "# HELP vigil_open Open now.\n"
            "# TYPE vigil_open gauge\n"
            "vigil_open 3\n"
            "# HELP vigil_ratio A ratio.\n"
            "# TYPE vigil_ratio gauge\n"
            "vigil_ratio 0.25\n");
}

TEST(Metrics, HistogramBucketsAreCumulativeAndBoundsInclusive) {
  Registry r;
  Histogram& h = r.AddHistogram("vigil_seconds", "Time.", {0.25, 1});
  h.Observe(0.125);
  h.Observe(0.25);  // on the bound: counted in le="0.25"
  h.Observe(0.5);
  h.Observe(4);
  ASSERT_OK(r.status());
  const std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE vigil_seconds histogram\n"
                              "vigil_seconds_bucket{le=\"0.25\"} 2\n"
                              "vigil_seconds_bucket{le=\"1\"} 3\n"
                              "vigil_seconds_bucket{le=\"+Inf\"} 4\n"
                              "vigil_seconds_sum 4.875\n"
                              "vigil_seconds_count 4\n"));
}

TEST(Metrics, FamiliesListSeriesSortedWithEscapedValues) {
  Registry r;
  CounterFamily& f =
      r.AddCounterFamily("vigil_denials_total", "Denials.", {"stage", "code"});
  f.With({"replay", "pcr_mismatch"}).Increment(2);
  f.With({"nonce", "expired"}).Increment();
  f.With({"policy", "say \"no\"\\\n"}).Increment();
  // The same values find the same series.
  f.With({"replay", "pcr_mismatch"}).Increment();
  ASSERT_OK(r.status());
  EXPECT_EQ(
      r.Render(),
      "# HELP vigil_denials_total Denials.\n"
      "# TYPE vigil_denials_total counter\n"
      "vigil_denials_total{stage=\"nonce\",code=\"expired\"} 1\n"
      "vigil_denials_total{stage=\"policy\",code=\"say \\\"no\\\"\\\\\\n\"}"
      " 1\n"
      "vigil_denials_total{stage=\"replay\",code=\"pcr_mismatch\"} 3\n");
}

TEST(Metrics, SeriesPastTheBoundAreCountedAsOther) {
  Registry r;
  GaugeFamily& f = r.AddGaugeFamily("vigil_by_pcr", "Per PCR.", {"pcr"},
                                    /*max_series=*/2);
  f.With({"0"}).Set(1);
  f.With({"7"}).Set(2);
  f.With({"11"}).Add(3);
  f.With({"14"}).Add(4);
  f.With({"7"}).Add(1);  // an existing series is still found
  ASSERT_OK(r.status());
  const std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("vigil_by_pcr{pcr=\"other\"} 7\n"));
  EXPECT_THAT(text, HasSubstr("vigil_by_pcr{pcr=\"7\"} 3\n"));
  EXPECT_THAT(text, Not(HasSubstr("pcr=\"11\"")));
}

TEST(Metrics, WrongNumberOfLabelValuesIsReportedAndCountedAsOther) {
  Registry r;
  CounterFamily& f = r.AddCounterFamily("vigil_x_total", "X.", {"a", "b"});
  f.With({"only-one"}).Increment();
  EXPECT_THAT(r.status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("vigil_x_total\": got 1 label values")));
  EXPECT_THAT(r.Render(),
              HasSubstr("vigil_x_total{a=\"other\",b=\"other\"} 1"));
}

TEST(Metrics, BadNamesAndRepeatsAreReportedAndNotRendered) {
  {
    Registry r;
    r.AddCounter("9lives_total", "Bad.").Increment();
    EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("not a valid metric name")));
    EXPECT_EQ(r.Render(), "");
  }
  {
    Registry r;
    r.AddGauge("vigil_a", "First.").Set(1);
    r.AddGauge("vigil_a", "Second.").Set(2);
    EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("registered twice")));
    EXPECT_EQ(r.Render(),
              "# HELP vigil_a First.\n# TYPE vigil_a gauge\nvigil_a 1\n");
  }
  for (const char* label : {"le", "__reserved", "has-dash", ""}) {
    Registry r;
    r.AddCounterFamily("vigil_f_total", "F.", {label});
    EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("not allowed")))
        << label;
  }
  {
    Registry r;
    r.AddHistogram("vigil_h", "H.", {0.1, 0.1});
    EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("strictly increasing")));
  }
}

TEST(Metrics, HelpTextIsEscaped) {
  Registry r;
  r.AddCounter("vigil_h_total", "a\\b\nc");
  EXPECT_THAT(r.Render(), HasSubstr("# HELP vigil_h_total a\\\\b\\nc\n"));
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  Registry r;
  Counter& c = r.AddCounter("vigil_c_total", "C.");
  CounterFamily& f = r.AddCounterFamily("vigil_f_total", "F.", {"k"});
  Histogram& h = r.AddHistogram("vigil_h", "H.", {1, 2});
  constexpr int kThreads = 4;
  constexpr int kEach = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        c.Increment();
        f.With({t % 2 == 0 ? "even" : "odd"}).Increment();
        h.Observe(1.5);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(c.Value(), uint64_t{kThreads} * kEach);
  EXPECT_EQ(f.With({"even"}).Value(), uint64_t{kThreads / 2} * kEach);
  const Histogram::Snapshot s = h.Take();
  EXPECT_EQ(s.cumulative,
            (std::vector<uint64_t>{0, kThreads * kEach, kThreads * kEach}));
  EXPECT_DOUBLE_EQ(s.sum, 1.5 * kThreads * kEach);
}

TEST(Metrics, FormatValue) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(1e15), "1000000000000000");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(0.001 * 4), "0.004");
  EXPECT_EQ(FormatValue(0.0005), "0.0005");
  EXPECT_EQ(FormatValue(0.00001), "1e-05");
  EXPECT_EQ(FormatValue(1234567.5), "1.2345675e+06");
  EXPECT_EQ(FormatValue(-2.5), "-2.5");
  EXPECT_EQ(FormatValue(123.5), "123.5");
  EXPECT_EQ(FormatValue(1e300), "1e+300");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(Metrics, ExponentialBounds) {
  EXPECT_EQ(ExponentialBounds(0.001, 2, 4),
            (std::vector<double>{0.001, 0.002, 0.004, 0.008}));
}

}  // namespace
}  // namespace vigil::metrics
