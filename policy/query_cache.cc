#include "policy/query_cache.h"

#include <utility>

namespace vigil::policy::internal {

absl::StatusOr<jmespath::Expression> QueryCache::Compile(
    absl::string_view text) {
  {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(text);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->compiled;
    }
  }
  absl::StatusOr<jmespath::Expression> compiled = jmespath::Compile(text);
  if (text.size() > max_text_bytes_ || max_entries_ == 0) return compiled;

  absl::MutexLock lock(&mu_);
  // Another thread may have compiled the same text meanwhile; either result
  // is the same, so keep the one already there.
  if (index_.contains(text)) return compiled;
  lru_.push_front(Entry{std::string(text), compiled});
  index_.emplace(lru_.front().text, lru_.begin());
  text_bytes_ += text.size();
  while (lru_.size() > max_entries_ || text_bytes_ > max_text_bytes_) {
    const Entry& oldest = lru_.back();
    text_bytes_ -= oldest.text.size();
    index_.erase(oldest.text);
    lru_.pop_back();
  }
  return compiled;
}

size_t QueryCache::size() const {
  absl::MutexLock lock(&mu_);
  return lru_.size();
}

size_t QueryCache::text_bytes() const {
  absl::MutexLock lock(&mu_);
  return text_bytes_;
}

}  // namespace vigil::policy::internal
