// File: service/verifier/budgeted_lru.h
// -----------------------------------------------------------------------------
// BudgetedLru<V>: immutable values shared by string key; once the values'
// charges (an estimate of the memory each holds, given by the caller) exceed
// a byte budget, the least recently used go first. The verifier keeps two:
// replayed event logs by their digest (replay_cache.h) and policy decisions
// by (policy, claim set) (attestation_core.h).
//
//   BudgetedLru<Thing> lru(64 << 20);
//   lru.Put("key", std::make_shared<const Thing>(...), /*charge=*/1024);
//   if (std::shared_ptr<const Thing> hit = lru.Find("key")) { ... }
//
// Thread-safe. A value handed out stays alive while its holder keeps it,
// evicted or not. Evicted values are released after the lock is dropped, so
// freeing a large one does not hold up other callers.
#ifndef VIGIL_SERVICE_VERIFIER_BUDGETED_LRU_H_
#define VIGIL_SERVICE_VERIFIER_BUDGETED_LRU_H_

#include <cstddef>
#include <list>
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
class BudgetedLru {
 public:
  // `budget_bytes` 0 keeps nothing (Find never hits).
  explicit BudgetedLru(size_t budget_bytes) : budget_(budget_bytes) {}

  BudgetedLru(const BudgetedLru&) = delete;
  BudgetedLru& operator=(const BudgetedLru&) = delete;

  // The value under `key`, or null. A hit counts as a use.
  std::shared_ptr<const V> Find(absl::string_view key) const {
    if (budget_ == 0) return nullptr;
    absl::MutexLock lock(&mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->value;
  }

  // Keeps `value` under `key`, replacing what was there, charged `charge`
  // bytes. A value charged more than the whole budget is not kept (and
  // whatever the key held before is dropped: it is out of date).
  void Put(std::string key, std::shared_ptr<const V> value, size_t charge) {
    if (value == nullptr || budget_ == 0) return;
    std::vector<std::shared_ptr<const V>> released;  // freed after unlock
    absl::MutexLock lock(&mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      released.push_back(std::move(it->second->value));
      charged_ -= it->second->charge;
      auto old = it->second;
      index_.erase(it);
      order_.erase(old);
    }
    if (charge > budget_) {
      released.push_back(std::move(value));
      return;
    }
    order_.push_front(Entry{std::move(key), std::move(value), charge});
    index_.emplace(order_.front().key, order_.begin());
    charged_ += charge;
    while (charged_ > budget_) {
      Entry& last = order_.back();
      charged_ -= last.charge;
      released.push_back(std::move(last.value));
      index_.erase(last.key);
      order_.pop_back();
    }
  }

  size_t size() const {
    absl::MutexLock lock(&mu_);
    return index_.size();
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
    size_t charge;
  };
  using Order = std::list<Entry>;

  const size_t budget_;
  mutable absl::Mutex mu_;
  // Front: most recently used. List nodes never move, so the index's keys
  // view the entries' own.
  mutable Order order_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<absl::string_view, typename Order::iterator> index_
      ABSL_GUARDED_BY(mu_);
  size_t charged_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_BUDGETED_LRU_H_
