#include "service/verifier/ak_cache.h"

#include <utility>

#include "common/encoding.h"
#include "service/verifier/ek_trust.h"

namespace vigil::service {

absl::StatusOr<std::shared_ptr<const TrustedAk>> AkCache::Get(
    const EnrolledDevice& device) const {
  const std::string key(device.ak_name.begin(), device.ak_name.end());
  {
    absl::MutexLock lock(&mu_);
    if (auto it = entries_.find(key); it != entries_.end()) return it->second;
  }
  // Imported outside the lock: two first uses of one AK may both import it;
  // the second insert is a no-op.
  absl::StatusOr<tpm::QuoteVerifier> verifier =
      tpm::QuoteVerifier::Create(device.ak, requirements_);
  if (!verifier.ok()) return verifier.status();
  absl::StatusOr<std::vector<uint8_t>> digest = PublicKeySha256(device.ak);
  auto made = std::make_shared<const TrustedAk>(TrustedAk{
      *std::move(verifier), digest.ok() ? Base64Encode(*digest) : ""});
  absl::MutexLock lock(&mu_);
  if (entries_.size() >= capacity_) entries_.clear();
  return entries_.try_emplace(key, std::move(made)).first->second;
}

size_t AkCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace vigil::service
