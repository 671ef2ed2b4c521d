// File: service/grpc/service_options.cc
// -----------------------------------------------------------------------------
#include "service/grpc/service_options.h"

#include <algorithm>

namespace vigil::service {

size_t DefaultWorkerThreads(bool registry_waits_for_commit, unsigned cores) {
  constexpr size_t kMost = 256;  // ServerConfig's bound on `workers`
  const size_t per_core = registry_waits_for_commit ? 8 : 2;
  return std::min(kMost, per_core * std::max(1u, cores));
}

}  // namespace vigil::service
