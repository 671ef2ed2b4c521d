// File: service/verifier/budgeted_cache.h
// -----------------------------------------------------------------------------
// BudgetedCache<V>: immutable values shared by string key within a byte
// budget (each value's charge, an estimate of the memory it holds, is given
// by the caller). The verifier keeps two: replayed event logs by their
// digest (replay_cache.h) and policy decisions by (policy, claim set)
// (attestation_core.h).
//
//   BudgetedCache<Thing> cache(64 << 20);
//   cache.Put("key", std::make_shared<const Thing>(...), /*charge=*/1024);
//   if (std::shared_ptr<const Thing> hit = cache.Find("key")) { ... }
//
// Eviction is random, deliberately not least-recently-used: agents
// re-attest in rotation (every reattest_interval, in the order they
// connected), and under a rotation longer than the cache holds LRU evicts
// each entry just before its next use — 0 hits, where random eviction keeps
// most of them (a rotation 10% over the budget: ~80% hits; measured in
// docs/PERFORMANCE.md, 2026-11-24). Entries left by devices that rebooted
// or left are evicted in time the same way.
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

  // The value under `key`, or null.
  std::shared_ptr<const V> Find(absl::string_view key) const {
    if (budget_ == 0) return nullptr;
    absl::MutexLock lock(&mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    return entries_[it->second]->value;
  }

  // Keeps `value` under `key`, replacing what was there, charged `charge`
  // bytes; random entries are evicted until it fits. A value charged more
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
    while (charged_ + charge > budget_) {
      RemoveAt(NextRandom() % entries_.size(), released);
    }
    auto entry = std::make_unique<Entry>();
    entry->key = std::move(key);
    entry->value = std::move(value);
    entry->charge = charge;
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
  };

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
  uint64_t rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_BUDGETED_CACHE_H_
