#include "service/http/metrics_endpoint.h"

#include <utility>

#include "common/status_macros.h"
#include "httplib.h"

namespace vigil::service {

absl::StatusOr<std::unique_ptr<HttpListener>> StartMetricsEndpoint(
    const metrics::Registry* registry, HttpListenerOptions options) {
  ASSIGN_OR_RETURN(std::unique_ptr<HttpListener> listener,
                   HttpListener::Create(std::move(options)));
  httplib::Server& server = listener->server();
  server.Get("/metrics",
             [registry](const httplib::Request&, httplib::Response& res) {
               res.set_header("Cache-Control", "no-store");
               res.set_content(registry->Render(),
                               "text/plain; version=0.0.4; charset=utf-8");
             });
  // A scrape sends no body; anything larger is not a scraper.
  server.set_payload_max_length(4096);
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);
  RETURN_IF_ERROR(listener->Start());
  return listener;
}

}  // namespace vigil::service
