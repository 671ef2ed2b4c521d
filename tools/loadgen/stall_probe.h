// File: tools/loadgen/stall_probe.h
// -----------------------------------------------------------------------------
// Telling the machine's stalls from the verifier's (docs/PERFORMANCE.md,
// "Paced p99 and the stall probe"). On a shared VM the whole guest
// sometimes stops for tens of milliseconds; a latency percentile over such
// a window measures the hypervisor, not the service. The probe runs one
// thread per CPU, pinned to it and SCHED_FIFO (above every normal thread,
// so our own load cannot delay it), that asks to wake every millisecond and
// records each wake-up later than `threshold` as a stall: an interval in
// which that CPU ran nothing of ours at the highest priority we have, i.e.
// the vCPU was not running (or the kernel did not preempt for that long).
//
//   StallProbe probe({});
//   probe.Start();
//   ... the measured phase ...
//   std::vector<Stall> stalls = probe.Stop();
//
// Without CAP_SYS_NICE (not root) the threads run at normal priority and
// `realtime()` is false: then a stall may also be our own threads keeping
// the CPU busy, and reports say so. Cost while running: one wake-up per
// millisecond per CPU, a few microseconds each.

#ifndef VIGIL_TOOLS_LOADGEN_STALL_PROBE_H_
#define VIGIL_TOOLS_LOADGEN_STALL_PROBE_H_

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace vigil::loadgen {

using Steady = std::chrono::steady_clock;

struct Stall {
  // From the probe's last wake-up before the late one (the last time the
  // CPU is known to have run it) to the late wake-up: at most one tick
  // more than the stall itself.
  Steady::time_point from;
  Steady::time_point to;
  int cpu = -1;
};

struct StallProbeOptions {
  std::chrono::microseconds tick{1000};
  // Wake-ups later than this (after their planned time) are stalls. 5 ms: five
  // missed ticks, far beyond scheduling jitter of a SCHED_FIFO thread (tens of
  // µs).
  std::chrono::microseconds threshold{5000};
  // CPUs to watch; empty: every CPU this process may run on.
  std::vector<int> cpus;
};

class StallProbe {
 public:
  explicit StallProbe(StallProbeOptions options);
  ~StallProbe();  // stops the threads if running
  StallProbe(const StallProbe&) = delete;
  StallProbe& operator=(const StallProbe&) = delete;

  // Starts one thread per watched CPU; stalls are collected from now on.
  // Calling it while running does nothing.
  void Start();
  // Stops the threads and returns the stalls since Start, ordered by
  // `from`. Empty when not running.
  std::vector<Stall> Stop();

  // Whether every probe thread got SCHED_FIFO; meaningful after Stop (each
  // thread clears it, if it must, when it starts).
  bool realtime() const { return realtime_.load(); }
  int cpus() const { return static_cast<int>(options_.cpus.size()); }

 private:
  void Run(int cpu);

  StallProbeOptions options_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> realtime_{true};
  std::mutex mu_;
  std::vector<Stall> stalls_;  // guarded by mu_
};

// One attestation as the load generator timed it.
struct Sample {
  Steady::time_point start;
  double micros = 0;
};

// The samples whose [start, start + micros] overlaps no stall; `stalls`
// sorted by `from` (as Stop returns them).
std::vector<Sample> OutsideStalls(const std::vector<Sample>& samples,
                                  const std::vector<Stall>& stalls);

}  // namespace vigil::loadgen

#endif  // VIGIL_TOOLS_LOADGEN_STALL_PROBE_H_
