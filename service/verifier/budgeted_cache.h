// File: service/verifier/budgeted_cache.h
// -----------------------------------------------------------------------------
// BudgetedCache<V>: immutable values shared by string key within a byte
// budget (each value's charge, an estimate of the memory it holds, is given
// by the caller). The verifier keeps three: event logs' replay verdicts and
// the parsed logs, each by the log's digest (replay_cache.h), and policy
// decisions by (policy, claim set) (attestation_core.h).
//
//   BudgetedCache<Thing> cache(64 << 20);
//   cache.Put("key", std::make_shared<const Thing>(...), /*charge=*/1024);
//   if (std::shared_ptr<const Thing> hit = cache.Find("key")) { ... }
//
// Eviction: an entry nobody has used for a while if one turns up among a
// few sampled at random, else a random one — deliberately not the least
// recently used. Agents re-attest in rotation (every reattest_interval, in
// the order they connected), and under a rotation longer than the cache
// holds LRU evicts each entry just before its next use: no hits at all,
// where random eviction keeps most of them (a rotation 10% over the
// budget: ~80% in a simulation; the tests assert over 60%). Pure random
// eviction, though, lets entries nobody will use again (a device that
// rebooted has a new log; a policy that changed has new decisions) push
// out live ones in a cache that is large enough. So each entry records its
// last use on a counter of lookups, and an entry unused for 4 × size()
// lookups (about two rotations of what is held, at up to two lookups per
// attestation) goes first when one of 8 samples finds it. Simulated with
// 1% of 900 devices rebooting per interval in 985 places: LRU misses 0.9%,
// random 6.8%, this 1.7%; rotations as random.
//
// Thread-safe. A value handed out stays alive while its holder keeps it,
// evicted or not. Evicted values are released after the lock is dropped, so
// freeing a large one does not hold up other callers.
#ifndef VIGIL_SERVICE_VERIFIER_BUDGETED_CACHE_H_
#define VIGIL_SERVICE_VERIFIER_BUDGETED_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace vigil::service {

template <typename V>
class BudgetedCache {
 public:
  // `budget_bytes` 0 keeps nothing (Find never hits). `seed` picks the
  // eviction sequence (tests fix it; any value works).
  explicit BudgetedCache(size_t budget_bytes,
                         uint64_t seed = 0x9e3779b97f4a7c15u)
      : budget_(budget_bytes), rng_(seed == 0 ? 1 : seed) {}

  BudgetedCache(const BudgetedCache&) = delete;
  BudgetedCache& operator=(const BudgetedCache&) = delete;

  // The value under `key`, or null. A hit counts as a use.
  std::shared_ptr<const V> Find(absl::string_view key) const {
    if (budget_ == 0) return nullptr;
    absl::MutexLock lock(&mu_);
    ++lookups_;
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    Entry& e = *entries_[it->second];
    e.last_use = lookups_;
    return e.value;
  }

  // Keeps `value` under `key`, replacing what was there, charged `charge`
  // bytes; entries are evicted (PickVictim) until it fits. A value charged more
  // than the whole budget is not kept (and whatever the key held before is
  // dropped: it is out of date).
  void Put(std::string key, std::shared_ptr<const V> value, size_t charge) {
    if (value == nullptr || budget_ == 0) return;
    std::vector<std::shared_ptr<const V>> released;  // freed after unlock
    absl::MutexLock lock(&mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      RemoveAt(it->second, released);
    }
    if (charge > budget_) {
      released.push_back(std::move(value));
      return;
    }
    while (charged_ + charge > budget_) RemoveAt(PickVictim(), released);
    auto entry = std::make_unique<Entry>();
    entry->key = std::move(key);
    entry->value = std::move(value);
    entry->charge = charge;
    entry->last_use = lookups_;
    index_.emplace(entry->key, entries_.size());
    entries_.push_back(std::move(entry));
    charged_ += charge;
  }

  size_t size() const {
    absl::MutexLock lock(&mu_);
    return entries_.size();
  }
  size_t charged_bytes() const {
    absl::MutexLock lock(&mu_);
    return charged_;
  }
  size_t budget_bytes() const { return budget_; }

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const V> value;
    size_t charge = 0;
    uint64_t last_use = 0;  // lookups_ when last found (or put)
  };

  static constexpr int kSamples = 8;
  static constexpr uint64_t kUnusedAfterSizes = 4;

  // The entry to evict (entries_ is not empty): see the file comment.
  size_t PickVictim() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const uint64_t unused_after = kUnusedAfterSizes * entries_.size();
    for (int i = 0; i < kSamples; ++i) {
      const size_t at = NextRandom() % entries_.size();
      if (lookups_ - entries_[at]->last_use > unused_after) return at;
    }
    return NextRandom() % entries_.size();
  }

  // Drops entries_[i]: the last entry takes its slot.
  void RemoveAt(size_t i, std::vector<std::shared_ptr<const V>>& released)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Entry& gone = *entries_[i];
    charged_ -= gone.charge;
    released.push_back(std::move(gone.value));
    index_.erase(gone.key);
    if (i + 1 != entries_.size()) {
      entries_[i] = std::move(entries_.back());
      index_.find(entries_[i]->key)->second = i;
    }
    entries_.pop_back();
  }

  // xorshift64: cheap, and good enough to pick a victim.
  uint64_t NextRandom() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return rng_;
  }

  const size_t budget_;
  mutable absl::Mutex mu_;
  // Entries on the heap, so the index's keys (views of the entries' own
  // strings) stay valid when an entry changes slots.
  std::vector<std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<absl::string_view, size_t> index_ ABSL_GUARDED_BY(mu_);
  size_t charged_ ABSL_GUARDED_BY(mu_) = 0;
  mutable uint64_t lookups_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_BUDGETED_CACHE_H_
