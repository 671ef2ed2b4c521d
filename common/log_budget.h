// File: common/log_budget.h
// -----------------------------------------------------------------------------
// Keeps one kind of log line within a rate. A verifier at fleet rates
// attests thousands of devices a second; a line for each would flood the
// journal (journald's default rate limit, 10,000 lines per 30 s per unit,
// then drops lines of every kind — denials too) while the store's audit
// trail already records each attestation. So routine lines are admitted up
// to `per_second` in each whole second; the rest are counted, and the count
// is reported once per `report_every`, so the log still says how much went
// by. Lines that must never be dropped (denials, errors) do not go through
// a budget.
//
//   LogBudget permits(&clock, 10, absl::Minutes(1));
//   if (permits.Admit()) Log(line);
//   ... periodically:
//   if (std::optional<int64_t> n = permits.TakeReport()) Log(n, " more");
#ifndef VIGIL_COMMON_LOG_BUDGET_H_
#define VIGIL_COMMON_LOG_BUDGET_H_

#include <cstdint>
#include <optional>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace vigil {

class LogBudget {
 public:
  // `clock` must outlive the budget. `per_second` 0 admits nothing (every
  // line counted); negative admits everything.
  LogBudget(const Clock* clock, int per_second, absl::Duration report_every)
      : clock_(clock), per_second_(per_second), report_every_(report_every) {}

  // Whether a line may be written now; if not, it is counted. Thread-safe.
  bool Admit();

  // The number of lines refused since the last report, once `report_every`
  // has passed since that report (or since construction) and only if there
  // were any; nullopt otherwise. Resets the count. Thread-safe.
  std::optional<int64_t> TakeReport();

 private:
  const Clock* clock_;
  const int per_second_;
  const absl::Duration report_every_;
  absl::Mutex mu_;
  int64_t second_ ABSL_GUARDED_BY(mu_) = INT64_MIN;  // Unix second counted
  int admitted_ ABSL_GUARDED_BY(mu_) = 0;            // ... in second_
  int64_t refused_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<absl::Time> last_report_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil

#endif  // VIGIL_COMMON_LOG_BUDGET_H_
