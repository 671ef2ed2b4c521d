#include "tpm/verify/random_source.h"

#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

#include "absl/base/call_once.h"

namespace vigil::tpm {

absl::Status OpenSslRandomSource::Fill(absl::Span<uint8_t> out) {
  if (out.empty()) return absl::OkStatus();
  if (out.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      RAND_priv_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    return absl::InternalError("RAND_priv_bytes failed");
  }
  return absl::OkStatus();
}

namespace {

// Incremented in every child process fork() makes (async-signal-safe: a
// lock-free atomic).
std::atomic<uint64_t> g_forks{0};
absl::once_flag g_fork_handler_once;
// Whether the handler is registered; when not, nothing is buffered.
std::atomic<bool> g_fork_handler{false};

void CountFork() { g_forks.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

BufferedRandomSource::BufferedRandomSource(RandomSource* source)
    : source_(source) {
  absl::call_once(g_fork_handler_once, [] {
    g_fork_handler.store(pthread_atfork(nullptr, nullptr, CountFork) == 0);
  });
  absl::MutexLock lock(&mu_);
  forks_seen_ = g_forks.load(std::memory_order_relaxed);
}

absl::Status BufferedRandomSource::Fill(absl::Span<uint8_t> out) {
  if (out.size() > kBlock / 4 || !g_fork_handler.load()) {
    return source_->Fill(out);
  }
  absl::MutexLock lock(&mu_);
  const uint64_t forks = g_forks.load(std::memory_order_relaxed);
  if (forks != forks_seen_) {
    forks_seen_ = forks;
    used_ = kBlock;  // the parent's bytes: drop them
  }
  size_t done = 0;
  while (done < out.size()) {
    if (used_ == kBlock) {
      if (absl::Status s = source_->Fill(absl::MakeSpan(block_)); !s.ok()) {
        return s;  // used_ stays kBlock: nothing from the failed draw
      }
      used_ = 0;
    }
    const size_t n = std::min(out.size() - done, kBlock - used_);
    std::memcpy(out.data() + done, block_.data() + used_, n);
    // Handed-out bytes do not stay behind.
    std::memset(block_.data() + used_, 0, n);
    used_ += n;
    done += n;
  }
  return absl::OkStatus();
}

}  // namespace vigil::tpm
