// File: service/store/kept_claims_memo.cc
// -----------------------------------------------------------------------------
#include "service/store/kept_claims_memo.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace vigil::service::store {

void KeptClaimsMemo::Fill(AttestationStore& store,
                          absl::Span<AttestationStore::AttestationWrite> writes,
                          absl::Span<const ClaimsSource> sources) {
  const size_t n = std::min(writes.size(), sources.size());
  // The devices whose claims may be kept already: same key as last time.
  std::vector<std::string> candidates;
  for (size_t i = 0; i < n; ++i) {
    const ClaimsSource& s = sources[i];
    if (!s.render || s.source_key.empty()) continue;
    auto it = by_device_.find(writes[i].record.device_id);
    if (it != by_device_.end() && it->second.source_key == s.source_key) {
      candidates.push_back(writes[i].record.device_id);
    }
  }
  absl::flat_hash_map<std::string, std::string> kept;
  if (!candidates.empty()) {
    absl::StatusOr<absl::flat_hash_map<std::string, std::string>> read =
        store.KeptClaimsDigests(candidates);
    if (read.ok()) kept = *std::move(read);
  }
  for (size_t i = 0; i < n; ++i) {
    const ClaimsSource& s = sources[i];
    if (!s.render) continue;
    const std::string& device = writes[i].record.device_id;
    auto memo = by_device_.find(device);
    if (!s.source_key.empty() && memo != by_device_.end() &&
        memo->second.source_key == s.source_key) {
      auto stored = kept.find(device);
      if (stored != kept.end() && stored->second == memo->second.sha256) {
        writes[i].kept_claims_sha256 = memo->second.sha256;
        ++skipped_;
        continue;
      }
    }
    DeviceClaims claims = s.render();
    ++serialised_;
    if (!s.source_key.empty()) {
      if (memo == by_device_.end() && by_device_.size() >= max_devices_) {
        by_device_.clear();
      }
      by_device_[device] = Entry{s.source_key, ClaimsDigest(claims)};
    }
    writes[i].claims = std::move(claims);
  }
}

}  // namespace vigil::service::store
