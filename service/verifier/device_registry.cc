#include "service/verifier/device_registry.h"

#include "absl/strings/str_cat.h"
#include "common/encoding.h"

namespace vigil::service {

absl::StatusOr<ClockTransition> CheckClockAdvance(
    const std::optional<tpm::ClockInfo>& previous, const tpm::ClockInfo& next) {
  if (!previous.has_value()) return ClockTransition::kFirst;
  if (next.reset_count > previous->reset_count)
    return ClockTransition::kNewBoot;
  if (next.reset_count < previous->reset_count) {
    return absl::UnauthenticatedError(absl::StrCat(
        "TPM resetCount went backwards: ", next.reset_count, " < ",
        previous->reset_count,
        " (a replayed quote, or the TPM was cleared: re-enrol the device)"));
  }
  if (next.clock <= previous->clock) {
    return absl::UnauthenticatedError(absl::StrCat(
        "TPM clock did not advance: ", next.clock, " ms <= ", previous->clock,
        " ms at resetCount ", next.reset_count, " (a replayed quote?)"));
  }
  return ClockTransition::kSameBoot;
}

absl::Status InMemoryDeviceRegistry::Enroll(const EnrolledDevice& device) {
  absl::MutexLock lock(&mu_);
  // A new record, not an update in place: streams may hold the old one.
  Entry& e = devices_[device.device_id];
  e.device = std::make_shared<const EnrolledDevice>(device);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const EnrolledDevice>>
InMemoryDeviceRegistry::Find(const std::string& device_id) {
  absl::MutexLock lock(&mu_);
  auto it = devices_.find(device_id);
  if (it == devices_.end()) {
    return absl::NotFoundError(
        absl::StrCat("device ", device_id, " is not enrolled"));
  }
  return it->second.device;
}

absl::StatusOr<ClockTransition> InMemoryDeviceRegistry::RecordClock(
    const std::string& device_id, const tpm::ClockInfo& clock) {
  absl::MutexLock lock(&mu_);
  auto it = devices_.find(device_id);
  if (it == devices_.end()) {
    return absl::NotFoundError(
        absl::StrCat("device ", device_id, " is not enrolled"));
  }
  absl::StatusOr<ClockTransition> t =
      CheckClockAdvance(it->second.clock, clock);
  if (t.ok()) it->second.clock = clock;
  return t;
}

size_t InMemoryDeviceRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return devices_.size();
}

absl::Status ValidateDeviceId(absl::string_view device_id) {
  if (device_id.size() != 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "device_id: ", device_id.size(), " characters, want 64 hex digits"));
  }
  if (!IsLowerHex(device_id)) {
    return absl::InvalidArgumentError("device_id: want lower-case hex digits");
  }
  return absl::OkStatus();
}

}  // namespace vigil::service
