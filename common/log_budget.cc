// File: common/log_budget.cc
// -----------------------------------------------------------------------------
#include "common/log_budget.h"

namespace vigil {

bool LogBudget::Admit() {
  if (per_second_ < 0) return true;
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  if (!last_report_.has_value()) last_report_ = now;
  const int64_t second = absl::ToUnixSeconds(now);
  if (second != second_) {
    second_ = second;
    admitted_ = 0;
  }
  if (admitted_ < per_second_) {
    ++admitted_;
    return true;
  }
  ++refused_;
  return false;
}

std::optional<int64_t> LogBudget::TakeReport() {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  if (!last_report_.has_value()) last_report_ = now;
  if (refused_ == 0 || now - *last_report_ < report_every_) {
    return std::nullopt;
  }
  last_report_ = now;
  const int64_t n = refused_;
  refused_ = 0;
  return n;
}

}  // namespace vigil
