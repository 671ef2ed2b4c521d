// File: service/http/metrics_endpoint.h
// -----------------------------------------------------------------------------
// The verifier's Prometheus endpoint (docs/VERIFIER.md "Metrics"): its own
// listener (`metrics_listen`), so a firewall or network policy can give the
// monitoring network that port and nobody else; TLS like every listener,
// and with `metrics_client_ca` a scraper must present a certificate from
// that CA (Prometheus' tls_config cert_file/key_file).
//   GET /metrics   the registry's text exposition (format 0.0.4)
// Everything else is 404.
#ifndef VIGIL_SERVICE_HTTP_METRICS_ENDPOINT_H_
#define VIGIL_SERVICE_HTTP_METRICS_ENDPOINT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/metrics.h"
#include "service/http/http_listener.h"

namespace vigil::service {

// Serves `registry` (which must outlive the listener) on a thread. Fails as
// HttpListener::Create and HttpListener::Start.
absl::StatusOr<std::unique_ptr<HttpListener>> StartMetricsEndpoint(
    const metrics::Registry* registry, HttpListenerOptions options);

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_HTTP_METRICS_ENDPOINT_H_
