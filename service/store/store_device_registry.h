// File: service/store/store_device_registry.h
// -----------------------------------------------------------------------------
// The store as the verifier's DeviceRegistry (service/verifier/
// device_registry.h), so every replica on a shared store sees the same
// enrolments and TPM clocks (a quote replayed to another replica is refused).
//
// Why an adapter and where: the verifier core owns the DeviceRegistry
// interface and must not depend on storage; the store depends on that one
// interface (and CheckClockAdvance, whose rule it applies inside its
// transaction). The binary wires them:
//
//   StoreDeviceRegistry registry(store.get());
//   Verifier verifier(..., &registry, ...);
//
// The DeviceStore method names say "device" because a Store holds several
// kinds of record; this class maps them 1:1 onto DeviceRegistry's.

#ifndef VIGIL_SERVICE_STORE_STORE_DEVICE_REGISTRY_H_
#define VIGIL_SERVICE_STORE_STORE_DEVICE_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "service/store/store.h"
#include "service/verifier/device_registry.h"

namespace vigil::service::store {

// Thread-safe as the DeviceStore is. `store` must outlive the adapter.
//
// RecordClock is a group commit. Every attestation records its TPM clock in
// the store before it is answered (so a quote replayed to any replica is
// refused), and one transaction per attestation — with an fsync each, as it
// was — held a verifier to ~1,200 att/s on SQLite on the benchmark's 2
// cores (docs/PERFORMANCE.md). So the callers waiting at the same moment
// share one DeviceStore::RecordDeviceClocks transaction: the first caller
// to find no commit running commits every waiting update (at most
// `max_batch`), the others wait for it; when it finishes, one of those that
// arrived meanwhile leads the next batch. No thread of its own, no timer: a
// lone caller commits at once, and under load the batch is whatever queued
// during the previous commit. Each caller still gets its own result, and
// returns only once its clock is committed.
class StoreDeviceRegistry final : public DeviceRegistry {
 public:
  explicit StoreDeviceRegistry(DeviceStore* store, size_t max_batch = 1000)
      : store_(store), max_batch_(max_batch == 0 ? 1 : max_batch) {}

  absl::Status Enroll(const EnrolledDevice& device) override {
    return store_->EnrollDevice(device);
  }
  absl::StatusOr<std::shared_ptr<const EnrolledDevice>> Find(
      const std::string& device_id) override {
    absl::StatusOr<EnrolledDevice> d = store_->FindDevice(device_id);
    if (!d.ok()) return d.status();
    return std::make_shared<const EnrolledDevice>(*std::move(d));
  }
  bool RecordClockWaitsForCommit() const override { return true; }
  // DeviceRegistry::RecordClock, grouped (see the class comment); fails as
  // RecordDeviceClock does, or with the batch's database error.
  absl::StatusOr<ClockTransition> RecordClock(
      const std::string& device_id, const tpm::ClockInfo& clock) override;

  // For metrics and tests: transactions committed by RecordClock, and
  // clocks waiting for one (not counting the batch being committed).
  int64_t clock_commits() const;
  size_t clocks_waiting() const;

 private:
  struct ClockRequest {
    ClockUpdate update;
    std::optional<absl::StatusOr<ClockTransition>> result;
  };

  DeviceStore* store_;
  const size_t max_batch_;
  mutable absl::Mutex mu_;
  std::deque<ClockRequest*> waiting_ ABSL_GUARDED_BY(mu_);
  bool committing_ ABSL_GUARDED_BY(mu_) = false;
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vigil::service::store

#endif  // VIGIL_SERVICE_STORE_STORE_DEVICE_REGISTRY_H_
