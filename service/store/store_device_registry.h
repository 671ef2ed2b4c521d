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

#include <string>

#include "service/store/store.h"
#include "service/verifier/device_registry.h"

namespace vigil::service::store {

// Thread-safe as the DeviceStore is. `store` must outlive the adapter.
class StoreDeviceRegistry final : public DeviceRegistry {
 public:
  explicit StoreDeviceRegistry(DeviceStore* store) : store_(store) {}

  absl::Status Enroll(const EnrolledDevice& device) override {
    return store_->EnrollDevice(device);
  }
  absl::StatusOr<EnrolledDevice> Find(const std::string& device_id) override {
    return store_->FindDevice(device_id);
  }
  absl::StatusOr<ClockTransition> RecordClock(
      const std::string& device_id, const tpm::ClockInfo& clock) override {
    return store_->RecordDeviceClock(device_id, clock);
  }

 private:
  DeviceStore* store_;
};

}  // namespace vigil::service::store

#endif  // VIGIL_SERVICE_STORE_STORE_DEVICE_REGISTRY_H_
