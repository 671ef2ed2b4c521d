// File: service/store/store_device_registry.cc
// -----------------------------------------------------------------------------
#include "service/store/store_device_registry.h"

#include <utility>
#include <vector>

namespace vigil::service::store {
namespace {

struct Wake {
  const std::optional<absl::StatusOr<ClockTransition>>* result;
  const bool* committing;
};

// Wait until our clock is recorded, or no commit runs (then we may lead).
bool DoneOrIdle(Wake* w) { return w->result->has_value() || !*w->committing; }

}  // namespace

absl::StatusOr<ClockTransition> StoreDeviceRegistry::RecordClock(
    const std::string& device_id, const tpm::ClockInfo& clock) {
  ClockRequest me{ClockUpdate{device_id, clock}, std::nullopt};
  absl::MutexLock lock(&mu_);
  waiting_.push_back(&me);
  while (!me.result.has_value()) {
    if (committing_) {
      Wake w{&me.result, &committing_};
      mu_.Await(absl::Condition(&DoneOrIdle, &w));
      continue;
    }
    // Lead: commit what is waiting, oldest first (ours is among the first
    // max_batch_ unless more than that queued before it: then lead again).
    committing_ = true;
    std::vector<ClockRequest*> batch;
    while (!waiting_.empty() && batch.size() < max_batch_) {
      batch.push_back(waiting_.front());
      waiting_.pop_front();
    }
    std::vector<ClockUpdate> updates;
    updates.reserve(batch.size());
    for (const ClockRequest* r : batch) updates.push_back(r->update);
    mu_.Unlock();
    absl::StatusOr<std::vector<absl::StatusOr<ClockTransition>>> results =
        store_->RecordDeviceClocks(updates);
    mu_.Lock();
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!results.ok()) {
        batch[i]->result = results.status();
      } else if (i < results->size()) {
        batch[i]->result = std::move((*results)[i]);
      } else {
        batch[i]->result = absl::InternalError("clock batch: no result");
      }
    }
    ++commits_;
    committing_ = false;
  }
  return *std::move(me.result);
}

int64_t StoreDeviceRegistry::clock_commits() const {
  absl::MutexLock lock(&mu_);
  return commits_;
}

size_t StoreDeviceRegistry::clocks_waiting() const {
  absl::MutexLock lock(&mu_);
  return waiting_.size();
}

}  // namespace vigil::service::store
