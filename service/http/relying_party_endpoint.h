// File: service/http/relying_party_endpoint.h
// -----------------------------------------------------------------------------
// The HTTPS endpoint relying parties and load balancers use (issue #5 §2),
// on cpp-httplib (Debian's libcpp-httplib, OpenSSL build; TLS 1.2 minimum):
//   GET /.well-known/openid-configuration   OpenID Connect Discovery 1.0 §4
//   GET /certs                              the JWK Set (RFC 7517 §5)
//   GET /healthz                            200 while the process serves
//   GET /readyz                             200 once the gRPC listener is up
// and, when the control plane is on, the REST mirror of the policy
// administration API (admin_routes.h). Everything else is 404, and every
// error answer has Azure's body {"error": {"code", "message"}}. A request
// body needs a Content-Length within the limit (413 over it): chunked
// bodies are refused with 411 and compressed ones with 415, from the
// headers alone. Documents
// are rendered from the Verifier at each request, so key rotation shows at
// once.
#ifndef VIGIL_SERVICE_HTTP_RELYING_PARTY_ENDPOINT_H_
#define VIGIL_SERVICE_HTTP_RELYING_PARTY_ENDPOINT_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/http/admin_routes.h"
#include "service/http/http_listener.h"
#include "service/verifier/verifier.h"

namespace httplib {
class Server;
}

namespace vigil::service {

class RelyingPartyEndpoint {
 public:
  // Binds `address` (host:port; port 0 picks one) and serves on a thread.
  // TLS from the PEM files unless `insecure` (loopback test setups only; the
  // configuration enforces that). `admin` adds the admin routes when its
  // pointers are set (they must outlive the endpoint); with TLS and
  // `admin_client_ca_file`, client certificates are requested (never
  // required: relying parties send none) and verified against it, for the
  // admin routes' role rules. `limits`: its threads and what slow or
  // numerous clients may hold of them (connection_guard.h). Fails with
  // kInvalidArgument for unreadable TLS or CA files or a malformed address,
  // kUnavailable when it cannot bind.
  static absl::StatusOr<std::unique_ptr<RelyingPartyEndpoint>> Start(
      Verifier* verifier, const std::string& address,
      const std::string& tls_cert_file, const std::string& tls_key_file,
      bool insecure, const AdminApi& admin = {},
      const std::string& admin_client_ca_file = "",
      const ConnectionLimits& limits = {});

  void SetReady(bool ready) { ready_ = ready; }
  int port() const { return listener_->port(); }
  std::string url() const { return listener_->url(); }

 private:
  RelyingPartyEndpoint() = default;
  // Declared before the listener: its thread runs handlers that read it.
  std::atomic<bool> ready_{false};
  std::unique_ptr<HttpListener> listener_;
  httplib::Server* server_ = nullptr;  // the listener's
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_HTTP_RELYING_PARTY_ENDPOINT_H_
