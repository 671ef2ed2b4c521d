// File: common/metrics.h
// -----------------------------------------------------------------------------
// Operational metrics in the Prometheus text exposition format (version
// 0.0.4, https://prometheus.io/docs/instrumenting/exposition_formats/):
// counters, gauges and histograms, optionally told apart by labels, and one
// Registry that renders them all for a scrape. Debian 12 packages no C++
// Prometheus client, and what a verifier needs is small: lock-free updates
// on the attestation path (a relaxed atomic add; a labelled series is looked
// up once under a mutex and then kept), rendering only on scrape.
//
// Failure modes: registration never throws or aborts; a bad or repeated
// name, or labels that do not match the family, make Registry::status() an
// error (the metric handed back still works, it is just not rendered), so a
// component checks status() once after registering everything. Label values
// are bounded per family (max_series): past it, new combinations are counted
// in one series whose every label is "other", so a bug feeding unbounded
// values into a label cannot grow memory without end.
#ifndef VIGIL_COMMON_METRICS_H_
#define VIGIL_COMMON_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace vigil::metrics {

// A count that only goes up (events since the process started).
class Counter {
 public:
  void Increment(uint64_t n = 1) {
    value_.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down (open streams, queue depth).
class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Observations counted in buckets by upper bound ("le"), with their sum.
// A scrape may see an observation in the count but not yet in the sum (the
// two are separate atomics); Prometheus tolerates that, and it is gone by
// the next scrape.
class Histogram {
 public:
  // `bounds`: finite, strictly increasing upper bounds; the +Inf bucket is
  // implicit. Invalid bounds are reported through the registry.
  explicit Histogram(std::vector<double> bounds);

  // NaN is ignored (it would make the sum NaN for good).
  void Observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (== count)
    double sum = 0;
  };
  Snapshot Take() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// Bounds from `start`, each `factor` times the one before, `count` of them.
std::vector<double> ExponentialBounds(double start, double factor, int count);

// Series of one metric told apart by label values. Each With() call looks
// the series up under a lock; callers on hot paths keep the reference (it
// stays valid as long as the family).
template <typename Metric>
class Family {
 public:
  // `values` must have one value per label name of the family; a mismatch
  // is counted in the overflow series and reported by Registry::status().
  Metric& With(absl::Span<const absl::string_view> values);
  Metric& With(std::initializer_list<absl::string_view> values) {
    return With(absl::MakeConstSpan(values.begin(), values.size()));
  }

 private:
  friend class Registry;
  Family(std::vector<std::string> label_names, size_t max_series,
         std::function<std::unique_ptr<Metric>()> make,
         std::function<void(absl::Status)> report)
      : label_names_(std::move(label_names)),
        max_series_(max_series),
        make_(std::move(make)),
        report_(std::move(report)) {}

  const std::vector<std::string> label_names_;
  const size_t max_series_;
  const std::function<std::unique_ptr<Metric>()> make_;
  const std::function<void(absl::Status)> report_;
  mutable absl::Mutex mu_;
  // Ordered, so a scrape lists the series in a stable order.
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_
      ABSL_GUARDED_BY(mu_);
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;

// Every metric of a process, rendered together. Registering, updating and
// rendering are thread-safe (a component may register after a scrape
// started; registration takes a lock a scrape holds while it renders).
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Names: [a-zA-Z_:][a-zA-Z0-9_:]*, unique in the registry; label names
  // [a-zA-Z_][a-zA-Z0-9_]*, not "le", none starting with "__". Counters'
  // names end in "_total" by convention (not enforced).
  Counter& AddCounter(absl::string_view name, absl::string_view help);
  Gauge& AddGauge(absl::string_view name, absl::string_view help);
  Histogram& AddHistogram(absl::string_view name, absl::string_view help,
                          std::vector<double> bounds);
  CounterFamily& AddCounterFamily(absl::string_view name,
                                  absl::string_view help,
                                  std::vector<std::string> label_names,
                                  size_t max_series = 256);
  GaugeFamily& AddGaugeFamily(absl::string_view name, absl::string_view help,
                              std::vector<std::string> label_names,
                              size_t max_series = 256);
  // A gauge read at scrape time; `read` must be thread-safe and must stay
  // callable for as long as the registry renders.
  void AddGaugeCallback(absl::string_view name, absl::string_view help,
                        std::function<double()> read);

  // OK, or the first registration error (name, what was wrong).
  absl::Status status() const;

  // The text exposition of every metric, families in registration order.
  std::string Render() const;

 private:
  struct Entry;
  // Validates, lets `fill` set the metric (it returns why the metric is
  // unusable, or ""), then publishes the entry; a failed one is kept (its
  // caller holds a reference) but never rendered.
  Entry* Add(absl::string_view name, absl::string_view help,
             absl::string_view type, const std::vector<std::string>& labels,
             const std::function<std::string(Entry&)>& fill);
  // A labelled family in the Entry member `slot`.
  template <typename Metric>
  Family<Metric>& AddFamily(absl::string_view name, absl::string_view help,
                            absl::string_view type,
                            std::vector<std::string> label_names,
                            size_t max_series,
                            std::unique_ptr<Family<Metric>> Entry::*slot);
  void Report(absl::Status s) const;
  // Report() with the text every metric error has: metric "name": why.
  void ReportFor(absl::string_view name, absl::StatusCode code,
                 absl::string_view why) const;

  mutable absl::Mutex entries_mu_;
  std::vector<std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(entries_mu_);
  mutable absl::Mutex status_mu_;
  mutable absl::Status status_ ABSL_GUARDED_BY(status_mu_);
};

// "a\"b\\c\nd" for a label value (backslash, double quote and newline
// escaped, as the exposition format wants).
std::string EscapeLabelValue(absl::string_view v);
// A sample value: integers exactly, others as the shortest text that reads
// back as the same double; "+Inf", "-Inf", "NaN".
std::string FormatValue(double v);

}  // namespace vigil::metrics

#endif  // VIGIL_COMMON_METRICS_H_
