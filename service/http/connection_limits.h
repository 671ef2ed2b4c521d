// File: service/http/connection_limits.h
// -----------------------------------------------------------------------------
// What slow or numerous clients may hold of an HTTPS listener's threads
// (connection_guard.h enforces it). No cpp-httplib or OpenSSL types, so
// configuration code can fill it.
#ifndef VIGIL_SERVICE_HTTP_CONNECTION_LIMITS_H_
#define VIGIL_SERVICE_HTTP_CONNECTION_LIMITS_H_

#include <cstddef>

#include "absl/time/time.h"

namespace vigil::service {

struct ConnectionLimits {
  // Threads serving connections, one connection each at a time
  // (cpp-httplib's own default is max(8, cores - 1)).
  size_t threads = 32;
  // Connections one client address may have being served at once; 0: no
  // limit (behind a proxy or load balancer that hides client addresses).
  // Below `threads`, so one client cannot take every thread.
  size_t max_connections_per_client = 8;
  // From a connection's start (its TLS handshake), or from its previous
  // response, to its next response written. Covers the handshake, the
  // request (the admin API's largest, ~1 MiB, at ~35 KB/s) and the handler.
  absl::Duration request_timeout = absl::Seconds(30);
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_HTTP_CONNECTION_LIMITS_H_
