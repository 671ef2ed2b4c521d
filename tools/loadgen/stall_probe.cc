#include "tools/loadgen/stall_probe.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace vigil::loadgen {
namespace {

std::vector<int> AllowedCpus() {
  std::vector<int> out;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return {0};
  for (int i = 0; i < CPU_SETSIZE; ++i) {
    if (CPU_ISSET(i, &set)) out.push_back(i);
  }
  return out;
}

// steady_clock is CLOCK_MONOTONIC in libstdc++ (what clock_nanosleep
// takes below).
timespec ToTimespec(Steady::time_point t) {
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch())
          .count();
  timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000);
  ts.tv_nsec = static_cast<long>(ns % 1000000000);
  return ts;
}

}  // namespace

StallProbe::StallProbe(StallProbeOptions options)
    : options_(std::move(options)) {
  if (options_.cpus.empty()) options_.cpus = AllowedCpus();
}

StallProbe::~StallProbe() { Stop(); }

void StallProbe::Start() {
  if (!threads_.empty()) return;
  stop_ = false;
  realtime_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stalls_.clear();
  }
  for (int cpu : options_.cpus) {
    threads_.emplace_back([this, cpu] { Run(cpu); });
  }
}

std::vector<Stall> StallProbe::Stop() {
  if (threads_.empty()) return {};
  stop_ = true;
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Stall> out = std::exchange(stalls_, {});
  std::sort(out.begin(), out.end(),
            [](const Stall& a, const Stall& b) { return a.from < b.from; });
  return out;
}

void StallProbe::Run(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  // Pinned: a stall of this CPU must be seen by the thread on it, not
  // dodged by migrating to the other one.
  const bool pinned =
      pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
  sched_param param{};
  param.sched_priority = 1;  // above every SCHED_OTHER thread
  if (!pinned ||
      pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) != 0) {
    realtime_ = false;
  }
  std::vector<Stall> found;
  Steady::time_point last = Steady::now();  // when this CPU last ran us
  Steady::time_point next = last + options_.tick;
  while (!stop_.load(std::memory_order_relaxed)) {
    const timespec ts = ToTimespec(next);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) ==
           EINTR) {
    }
    const Steady::time_point now = Steady::now();
    // Late by more than the threshold: the CPU may have been gone since we
    // last ran, so the stall is reported from then, not from `next`.
    if (now - next > options_.threshold) found.push_back({last, now, cpu});
    last = now;
    next += options_.tick;
    if (next < now) next = now + options_.tick;  // skip the missed ticks
  }
  std::lock_guard<std::mutex> lock(mu_);
  stalls_.insert(stalls_.end(), found.begin(), found.end());
}

std::vector<Sample> OutsideStalls(const std::vector<Sample>& samples,
                                  const std::vector<Stall>& stalls) {
  std::vector<Sample> out;
  out.reserve(samples.size());
  for (const Sample& s : samples) {
    const Steady::time_point end =
        s.start + std::chrono::duration_cast<Steady::duration>(
                      std::chrono::duration<double, std::micro>(s.micros));
    // Stalls are sorted by `from`: those starting after `end` cannot
    // overlap; of the others, any that ends after `start` does.
    bool overlaps = false;
    for (const Stall& st : stalls) {
      if (st.from >= end) break;
      if (st.to > s.start) {
        overlaps = true;
        break;
      }
    }
    if (!overlaps) out.push_back(s);
  }
  return out;
}

}  // namespace vigil::loadgen
