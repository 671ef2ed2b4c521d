#include "common/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vigil::metrics {
namespace {

bool IsNameChar(char c, bool first, bool colon_ok) {
  if (absl::ascii_isalpha(c) || c == '_') return true;
  if (colon_ok && c == ':') return true;
  return !first && absl::ascii_isdigit(c);
}

bool ValidName(absl::string_view name, bool colon_ok) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, colon_ok)) return false;
  }
  return true;
}

// Backslash and newline escaped, and double quotes when `quotes` (label
// values; HELP text keeps them).
std::string Escape(absl::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="x",b="y"}` (with `extra`, e.g. le="0.5", last), or "" without labels.
std::string LabelText(const std::vector<std::string>& names,
                      const std::vector<std::string>& values,
                      absl::string_view extra = "") {
  if (names.empty() && extra.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ",";
    absl::StrAppend(&out, names[i], "=\"", EscapeLabelValue(values[i]), "\"");
  }
  if (!extra.empty()) absl::StrAppend(&out, names.empty() ? "" : ",", extra);
  out += "}";
  return out;
}

}  // namespace

std::string EscapeLabelValue(absl::string_view v) {
  return Escape(v, /*quotes=*/true);
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Integers up to 2^53 are exact in a double: print them as integers.
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  // The shortest digits that read back as the same double, laid out as
  // Prometheus' own Go client does (strconv 'g', -1): exponent form below
  // 1e-4 and from 1e6, plain decimals between ("0.0005", not "5e-04").
  char buf[64];
  std::to_chars_result r =
      std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  const std::string scientific(buf, r.ptr);
  int exponent = 0;
  const size_t e = scientific.find('e');
  if (e == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(scientific).substr(e + 1),
                        &exponent) ||
      exponent < -4 || exponent >= 6) {
    return scientific;
  }
  r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::vector<double> ExponentialBounds(double start, double factor, int count) {
  std::vector<double> out;
  double b = start;
  for (int i = 0; i < count; ++i) {
    out.push_back(b);
    b *= factor;
  }
  return out;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  // Few bounds (a dozen or two): a linear scan beats a binary search's
  // branches, and most observations land in the first buckets.
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Take() const {
  Snapshot s;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

template <typename Metric>
Metric& Family<Metric>::With(absl::Span<const absl::string_view> values) {
  std::vector<std::string> key(values.begin(), values.end());
  absl::MutexLock lock(&mu_);
  if (key.size() != label_names_.size()) {
    report_(absl::InvalidArgumentError(
        absl::StrCat("got ", key.size(), " label values for labels (",
                     absl::StrJoin(label_names_, ", "), ")")));
    key.assign(label_names_.size(), "other");
  }
  auto it = series_.find(key);
  if (it != series_.end()) return *it->second;
  if (series_.size() >= max_series_) {
    key.assign(label_names_.size(), "other");
    it = series_.find(key);
    if (it != series_.end()) return *it->second;
  }
  return *series_.emplace(std::move(key), make_()).first->second;
}

template class Family<Counter>;
template class Family<Gauge>;

struct Registry::Entry {
  std::string name;
  std::string help;
  std::string type;  // "counter", "gauge", "histogram"
  std::vector<std::string> labels;
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
  std::unique_ptr<CounterFamily> counters;
  std::unique_ptr<GaugeFamily> gauges;
  std::function<double()> read;
  bool rendered = true;  // false when its registration failed
};

Registry::Registry() = default;
Registry::~Registry() = default;

void Registry::Report(absl::Status s) const {
  absl::MutexLock lock(&status_mu_);
  if (status_.ok()) status_ = std::move(s);
}

absl::Status Registry::status() const {
  absl::MutexLock lock(&status_mu_);
  return status_;
}

void Registry::ReportFor(absl::string_view name, absl::StatusCode code,
                         absl::string_view why) const {
  Report(absl::Status(
      code, absl::StrCat("metric \"", absl::CHexEscape(name), "\": ", why)));
}

Registry::Entry* Registry::Add(absl::string_view name, absl::string_view help,
                               absl::string_view type,
                               const std::vector<std::string>& labels,
                               const std::function<std::string(Entry&)>& fill) {
  auto e = std::make_unique<Entry>();
  e->name = std::string(name);
  e->help = std::string(help);
  e->type = std::string(type);
  e->labels = labels;
  auto fail = [&](absl::string_view why) {
    ReportFor(name, absl::StatusCode::kInvalidArgument, why);
    e->rendered = false;
  };
  if (!ValidName(name, /*colon_ok=*/true)) {
    fail("not a valid metric name");
  }
  for (const std::string& l : labels) {
    if (!ValidName(l, /*colon_ok=*/false) || absl::StartsWith(l, "__") ||
        l == "le") {
      fail(absl::StrCat("label \"", absl::CHexEscape(l), "\" not allowed"));
    }
  }
  // Whole before a scrape can see it.
  if (const std::string why = fill(*e); !why.empty()) fail(why);
  absl::MutexLock lock(&entries_mu_);
  for (const std::unique_ptr<Entry>& other : entries_) {
    if (other->rendered && other->name == name) fail("registered twice");
  }
  entries_.push_back(std::move(e));
  return entries_.back().get();
}

Counter& Registry::AddCounter(absl::string_view name, absl::string_view help) {
  return *Add(name, help, "counter", {}, [](Entry& e) {
            e.counter = std::make_unique<Counter>();
            return std::string();
          })->counter;
}

Gauge& Registry::AddGauge(absl::string_view name, absl::string_view help) {
  return *Add(name, help, "gauge", {}, [](Entry& e) {
            e.gauge = std::make_unique<Gauge>();
            return std::string();
          })->gauge;
}

Histogram& Registry::AddHistogram(absl::string_view name,
                                  absl::string_view help,
                                  std::vector<double> bounds) {
  return *Add(name, help, "histogram", {}, [&](Entry& e) {
            std::string why;
            for (size_t i = 0; i < bounds.size() && why.empty(); ++i) {
              if (!std::isfinite(bounds[i]) ||
                  (i > 0 && bounds[i] <= bounds[i - 1])) {
                why = absl::StrCat(
                    "bucket bounds must be finite and strictly increasing "
                    "(bound ",
                    i, ")");
              }
            }
            e.histogram = std::make_unique<Histogram>(std::move(bounds));
            return why;
          })->histogram;
}

template <typename Metric>
Family<Metric>& Registry::AddFamily(
    absl::string_view name, absl::string_view help, absl::string_view type,
    std::vector<std::string> label_names, size_t max_series,
    std::unique_ptr<Family<Metric>> Entry::*slot) {
  return *(Add(name, help, type, label_names, [&](Entry& e) {
             // The family's own errors (a series over its limit) name the
             // metric as registration errors do.
             e.*slot = std::unique_ptr<Family<Metric>>(new Family<Metric>(
                 e.labels, max_series,
                 [] { return std::make_unique<Metric>(); },
                 [this, n = e.name](absl::Status s) {
                   ReportFor(n, s.code(), s.message());
                 }));
             return std::string();
           })->*slot);
}

CounterFamily& Registry::AddCounterFamily(absl::string_view name,
                                          absl::string_view help,
                                          std::vector<std::string> label_names,
                                          size_t max_series) {
  return AddFamily<Counter>(name, help, "counter", std::move(label_names),
                            max_series, &Entry::counters);
}

GaugeFamily& Registry::AddGaugeFamily(absl::string_view name,
                                      absl::string_view help,
                                      std::vector<std::string> label_names,
                                      size_t max_series) {
  return AddFamily<Gauge>(name, help, "gauge", std::move(label_names),
                          max_series, &Entry::gauges);
}

void Registry::AddGaugeCallback(absl::string_view name, absl::string_view help,
                                std::function<double()> read) {
  Add(name, help, "gauge", {}, [&](Entry& e) {
    e.read = std::move(read);
    return std::string();
  });
}

namespace {

template <typename Metric, typename ValueOf>
void RenderFamily(
    const std::string& name, const std::vector<std::string>& labels,
    const std::map<std::vector<std::string>, std::unique_ptr<Metric>>& series,
    ValueOf value_of, std::string& out) {
  for (const auto& [values, metric] : series) {
    absl::StrAppend(&out, name, LabelText(labels, values), " ",
                    value_of(*metric), "\n");
  }
}

}  // namespace

std::string Registry::Render() const {
  std::string out;
  absl::MutexLock entries_lock(&entries_mu_);
  for (const std::unique_ptr<Entry>& e : entries_) {
    if (!e->rendered) continue;
    absl::StrAppend(&out, "# HELP ", e->name, " ",
                    Escape(e->help, /*quotes=*/false), "\n", "# TYPE ", e->name,
                    " ", e->type, "\n");
    if (e->counter != nullptr) {
      absl::StrAppend(&out, e->name, " ", e->counter->Value(), "\n");
    } else if (e->gauge != nullptr) {
      absl::StrAppend(&out, e->name, " ", e->gauge->Value(), "\n");
    } else if (e->read) {
      absl::StrAppend(&out, e->name, " ", FormatValue(e->read()), "\n");
    } else if (e->histogram != nullptr) {
      const Histogram::Snapshot s = e->histogram->Take();
      const std::vector<double>& bounds = e->histogram->bounds();
      for (size_t i = 0; i < s.cumulative.size(); ++i) {
        const std::string le =
            i < bounds.size() ? FormatValue(bounds[i]) : "+Inf";
        absl::StrAppend(&out, e->name, "_bucket{le=\"", le, "\"} ",
                        s.cumulative[i], "\n");
      }
      absl::StrAppend(&out, e->name, "_sum ", FormatValue(s.sum), "\n", e->name,
                      "_count ", s.cumulative.back(), "\n");
    } else if (e->counters != nullptr) {
      absl::MutexLock lock(&e->counters->mu_);
      RenderFamily(
          e->name, e->labels, e->counters->series_,
          [](const Counter& c) { return c.Value(); }, out);
    } else if (e->gauges != nullptr) {
      absl::MutexLock lock(&e->gauges->mu_);
      RenderFamily(
          e->name, e->labels, e->gauges->series_,
          [](const Gauge& g) { return g.Value(); }, out);
    }
  }
  return out;
}

}  // namespace vigil::metrics
