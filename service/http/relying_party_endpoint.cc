#include "service/http/relying_party_endpoint.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "httplib.h"

namespace vigil::service {

absl::StatusOr<std::unique_ptr<RelyingPartyEndpoint>>
RelyingPartyEndpoint::Start(Verifier* verifier, const std::string& address,
                            const std::string& tls_cert_file,
                            const std::string& tls_key_file, bool insecure,
                            const AdminApi& admin,
                            const std::string& admin_client_ca_file,
                            const ConnectionLimits& limits) {
  HttpListenerOptions lo;
  lo.setting = "http_listen";
  lo.address = address;
  lo.tls_cert_file = tls_cert_file;
  lo.tls_key_file = tls_key_file;
  lo.insecure = insecure;
  // Requested, never required: relying parties send no certificate; the
  // admin routes' role rules read it when one was sent.
  if (admin.manager != nullptr) lo.client_ca_file = admin_client_ca_file;
  lo.client_ca_setting = "admin_client_ca";
  lo.limits = limits;
  lo.closed_connections = &verifier->metrics().http_connections_closed();
  std::unique_ptr<RelyingPartyEndpoint> ep(new RelyingPartyEndpoint());
  ASSIGN_OR_RETURN(ep->listener_, HttpListener::Create(std::move(lo)));
  ep->server_ = &ep->listener_->server();
  RelyingPartyEndpoint* self = ep.get();
  auto json = [](httplib::Response& res, const std::string& body) {
    res.set_header("Cache-Control", "public, max-age=300");
    res.set_content(body, "application/json");
  };
  ep->server_->Get(
      "/.well-known/openid-configuration",
      [verifier, json](const httplib::Request&, httplib::Response& res) {
        absl::StatusOr<std::string> m = verifier->OpenIdConfiguration();
        if (!m.ok()) {
          res.status = 500;
          return;
        }
        json(res, *m);
      });
  ep->server_->Get("/certs", [verifier, json](const httplib::Request&,
                                              httplib::Response& res) {
    json(res, verifier->Jwks());
  });
  ep->server_->Get("/healthz",
                   [](const httplib::Request&, httplib::Response& res) {
                     res.set_content("ok\n", "text/plain");
                   });
  ep->server_->Get("/readyz",
                   [self](const httplib::Request&, httplib::Response& res) {
                     if (!self->ready_) {
                       res.status = 503;
                       res.set_content("starting\n", "text/plain");
                       return;
                     }
                     res.set_content("ready\n", "text/plain");
                   });
  if (admin.manager != nullptr && admin.authenticator != nullptr) {
    RegisterAdminRoutes(*ep->server_, admin);
  }
  // Bodies are read only with a Content-Length, which the payload limit
  // bounds: cpp-httplib 0.11 reads chunked bodies, and inflates compressed
  // ones, without a limit, and does so before routing — on every path.
  ep->server_->set_pre_routing_handler(
      [](const httplib::Request& req, httplib::Response& res) {
        auto refuse = [&res](int status, absl::string_view code,
                             absl::string_view message) {
          WriteErrorResponse(status, code, message, res);
          res.set_header("Connection", "close");
          return httplib::Server::HandlerResponse::Handled;
        };
        if (req.has_header("Transfer-Encoding")) {
          return refuse(411, "LengthRequired",
                        "Transfer-Encoding: not accepted; send the body with "
                        "a Content-Length");
        }
        if (req.has_header("Content-Encoding") &&
            !absl::EqualsIgnoreCase(req.get_header_value("Content-Encoding"),
                                    "identity")) {
          return refuse(415, "UnsupportedMediaType",
                        "Content-Encoding: not accepted; send the body "
                        "uncompressed");
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  // Answers no handler wrote (no route, a body over the limit, a request
  // httplib could not parse) get the same error body as the admin routes.
  ep->server_->set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        switch (res.status) {
          case 404:
            WriteErrorResponse(404, "NotFound",
                               absl::StrCat("no resource ", req.path), res);
            break;
          case 413:
            WriteErrorResponse(
                413, "PayloadTooLarge",
                absl::StrCat("body: over ", kMaxAdminBodyBytes, " bytes"), res);
            break;
          default:
            WriteErrorResponse(
                res.status, "BadRequest",
                absl::StrCat("malformed request (HTTP ", res.status, ")"), res);
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  ep->server_->set_read_timeout(10, 0);
  ep->server_->set_write_timeout(10, 0);
  ep->server_->set_payload_max_length(
      admin.manager != nullptr ? kMaxAdminBodyBytes : 64 * 1024);
  RETURN_IF_ERROR(ep->listener_->Start());
  return ep;
}

}  // namespace vigil::service
