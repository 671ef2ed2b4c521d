// File: service/verifier/device_registry.h
// -----------------------------------------------------------------------------
// Enrolled devices and what the verifier last saw of each (issue #5 §2 TPM
// clock checks). An interface so the control plane can store it in SQLite
// or PostgreSQL (issue #6); InMemoryDeviceRegistry serves one replica.
#ifndef VIGIL_SERVICE_VERIFIER_DEVICE_REGISTRY_H_
#define VIGIL_SERVICE_VERIFIER_DEVICE_REGISTRY_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "service/verifier/enrollment.h"
#include "tpm/wire/attest_info.h"

namespace vigil::service {

// What a quote's signed clockInfo says about the device since the last
// accepted attestation.
enum class ClockTransition {
  kFirst,     // no earlier attestation
  kSameBoot,  // same resetCount, clock advanced
  kNewBoot,   // resetCount increased: the machine rebooted
};

// OK when `device_id` has the shape of a device id (64 lower-case hex
// digits: the SHA-256 of the EK's SubjectPublicKeyInfo); kInvalidArgument
// naming `device_id` otherwise. For ids that arrive from callers.
absl::Status ValidateDeviceId(absl::string_view device_id);

class DeviceRegistry {
 public:
  virtual ~DeviceRegistry() = default;

  // Records `device`, replacing an earlier enrolment of the same device_id
  // (a new AK: the clock history is kept, it belongs to the TPM).
  virtual absl::Status Enroll(const EnrolledDevice& device) = 0;

  // The enrolled device. Fails with kNotFound ("device <id> is not
  // enrolled"). Never null. The record is immutable, so an implementation
  // that keeps devices in memory hands out the one it holds: a connected
  // agent's stream then shares it instead of holding a copy (~2 KiB each).
  virtual absl::StatusOr<std::shared_ptr<const EnrolledDevice>> Find(
      const std::string& device_id) = 0;

  // Accepts `clock` (from a verified quote) if it is later than the last
  // accepted one, and remembers it. TPM 2.0 Part 1 §36: clock only moves
  // forward within a boot and resetCount counts boots, so with the same
  // resetCount the clock must have advanced, and resetCount never goes back
  // (short of TPM2_Clear, after which the device must re-enrol).
  // Fails with kUnauthenticated naming the counters ("TPM clock went
  // backwards: 5000 ms <= 7000 ms at resetCount 3 (a replayed quote?)").
  // Atomic: two concurrent calls with the same clock cannot both succeed.
  virtual absl::StatusOr<ClockTransition> RecordClock(
      const std::string& device_id, const tpm::ClockInfo& clock) = 0;

  // True when RecordClock waits for a database's commit (a store): the
  // calling thread then blocks for milliseconds with nothing to compute,
  // so a pool that calls it needs more threads than cores to keep the
  // cores busy (a caller that runs it on a thread pool sizes the pool by
  // this).
  virtual bool RecordClockWaitsForCommit() const { return false; }
};

// Applies the rule of RecordClock to a previous and a new clock.
absl::StatusOr<ClockTransition> CheckClockAdvance(
    const std::optional<tpm::ClockInfo>& previous, const tpm::ClockInfo& next);

class InMemoryDeviceRegistry final : public DeviceRegistry {
 public:
  absl::Status Enroll(const EnrolledDevice& device) override;
  absl::StatusOr<std::shared_ptr<const EnrolledDevice>> Find(
      const std::string& device_id) override;
  absl::StatusOr<ClockTransition> RecordClock(
      const std::string& device_id, const tpm::ClockInfo& clock) override;
  size_t size() const;

 private:
  struct Entry {
    std::shared_ptr<const EnrolledDevice> device;
    std::optional<tpm::ClockInfo> clock;
  };
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> devices_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_DEVICE_REGISTRY_H_
