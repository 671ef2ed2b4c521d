#include "service/verifier/replay_cache.h"

#include <cstdint>

#include "tpm/types/hash_alg.h"

namespace vigil::service {

std::string PcrValuesKey(const std::vector<tpm::PcrBank>& banks) {
  std::vector<uint8_t> text;
  for (const tpm::PcrBank& b : banks) {
    const auto alg = static_cast<uint16_t>(b.alg);
    text.push_back(static_cast<uint8_t>(alg >> 8));
    text.push_back(static_cast<uint8_t>(alg));
    text.push_back(static_cast<uint8_t>(b.values.size()));
    for (const auto& [pcr, value] : b.values) {  // ordered by index
      text.push_back(static_cast<uint8_t>(pcr));
      text.push_back(static_cast<uint8_t>(value.size()));
      text.insert(text.end(), value.begin(), value.end());
    }
  }
  absl::StatusOr<tpm::Digest> d = tpm::Hash(tpm::HashAlg::kSha256, text);
  // SHA-256 only fails with a broken OpenSSL; the text itself is then the
  // key (as exact; it could equal a digest key only by a SHA-256 preimage).
  if (!d.ok()) return std::string(text.begin(), text.end());
  return std::string(d->begin(), d->end());
}

std::shared_ptr<const CachedReplay> ReplayCache::Find(
    const LogDigest& log_digest) const {
  if (budget_ == 0) return nullptr;
  absl::MutexLock lock(&mu_);
  auto it = index_.find(log_digest);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return *it->second;
}

void ReplayCache::Put(std::shared_ptr<const CachedReplay> entry) {
  if (entry == nullptr || entry->charge > budget_) return;
  absl::MutexLock lock(&mu_);
  if (auto it = index_.find(entry->log_digest); it != index_.end()) {
    charged_ -= (*it->second)->charge;
    order_.erase(it->second);
    index_.erase(it);
  }
  charged_ += entry->charge;
  order_.push_front(entry);
  index_[entry->log_digest] = order_.begin();
  while (charged_ > budget_) {
    const std::shared_ptr<const CachedReplay>& last = order_.back();
    charged_ -= last->charge;
    index_.erase(last->log_digest);
    order_.pop_back();
  }
}

size_t ReplayCache::size() const {
  absl::MutexLock lock(&mu_);
  return index_.size();
}

size_t ReplayCache::charged_bytes() const {
  absl::MutexLock lock(&mu_);
  return charged_;
}

}  // namespace vigil::service
