// File: service/grpc/service_options.cc
// -----------------------------------------------------------------------------
#include "service/grpc/service_options.h"

#include <algorithm>

namespace vigil::service {

size_t DefaultWorkerThreads(bool registry_waits_for_commit, unsigned cores) {
  const size_t per_core = registry_waits_for_commit ? 8 : 2;
  return std::min(kMaxWorkerThreads, per_core * std::max(1u, cores));
}

size_t WorkerThreads(const ServiceOptions& options,
                     bool registry_waits_for_commit, unsigned cores) {
  if (options.worker_threads > 0) return options.worker_threads;
  return DefaultWorkerThreads(registry_waits_for_commit, cores);
}

}  // namespace vigil::service
