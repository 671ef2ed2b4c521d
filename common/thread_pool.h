// File: common/thread_pool.h
// -----------------------------------------------------------------------------
// A fixed pool of worker threads with a bounded FIFO queue. The verifier's
// gRPC callbacks run on gRPC's own threads, which must not block on
// milliseconds of crypto and replay; they hand that work to this pool.
#ifndef VIGIL_COMMON_THREAD_POOL_H_
#define VIGIL_COMMON_THREAD_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace vigil {

class ThreadPool {
 public:
  // `threads` >= 1 workers; at most `max_queue` tasks wait.
  ThreadPool(size_t threads, size_t max_queue);
  // Runs every queued task, then joins the workers.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `task`. Returns false (and drops it) when the queue is full or the
  // pool is shutting down, so callers can answer RESOURCE_EXHAUSTED instead
  // of growing without bound.
  bool Submit(std::function<void()> task);

  size_t queued() const;
  // The worker threads it runs (fixed at construction).
  size_t threads() const { return workers_.size(); }

 private:
  void Work();
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  const size_t max_queue_;
  std::vector<std::thread> workers_;
};

}  // namespace vigil

#endif  // VIGIL_COMMON_THREAD_POOL_H_
