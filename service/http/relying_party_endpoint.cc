#include "service/http/relying_party_endpoint.h"

#include <openssl/ssl.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace vigil::service {
namespace {

// Asks TLS clients for a certificate issued by `ca_file` and verifies the
// one sent; a client that sends none still connects (relying parties).
absl::Status RequestClientCertificates(SSL_CTX* ctx,
                                       const std::string& ca_file) {
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca_file.c_str());
  if (names == nullptr ||
      SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
    return absl::InvalidArgumentError(
        absl::StrCat("admin_client_ca ", ca_file, ": cannot load"));
  }
  SSL_CTX_set_client_CA_list(ctx, names);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RelyingPartyEndpoint>>
RelyingPartyEndpoint::Start(Verifier* verifier, const std::string& address,
                            const std::string& tls_cert_file,
                            const std::string& tls_key_file, bool insecure,
                            const AdminApi& admin,
                            const std::string& admin_client_ca_file) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("http_listen: want host:port, got \"", address, "\""));
  }
  std::unique_ptr<RelyingPartyEndpoint> ep(new RelyingPartyEndpoint());
  ep->host_ = address.substr(0, colon);
  if (ep->host_.size() > 2 && ep->host_.front() == '[') {
    ep->host_ = ep->host_.substr(1, ep->host_.size() - 2);
  }
  if (insecure) {
    ep->server_ = std::make_unique<httplib::Server>();
    ep->tls_ = false;
  } else {
    auto ssl = std::make_unique<httplib::SSLServer>(tls_cert_file.c_str(),
                                                    tls_key_file.c_str());
    if (!ssl->is_valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("http_listen: cannot load tls_cert ", tls_cert_file,
                       " / tls_key ", tls_key_file));
    }
    SSL_CTX_set_min_proto_version(ssl->ssl_context(), TLS1_2_VERSION);
    if (admin.manager != nullptr && !admin_client_ca_file.empty()) {
      if (absl::Status s = RequestClientCertificates(ssl->ssl_context(),
                                                     admin_client_ca_file);
          !s.ok()) {
        return s;
      }
    }
    ep->server_ = std::move(ssl);
  }
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
  if (port == 0) {
    port = ep->server_->bind_to_any_port(ep->host_);
  } else if (!ep->server_->bind_to_port(ep->host_, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("http_listen: cannot bind ", address));
  }
  ep->port_ = port;
  ep->thread_ = std::thread([self] { self->server_->listen_after_bind(); });
  return ep;
}

RelyingPartyEndpoint::~RelyingPartyEndpoint() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string RelyingPartyEndpoint::url() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return absl::StrCat(tls_ ? "https://" : "http://", v6 ? "[" : "", host_,
                      v6 ? "]" : "", ":", port_);
}

}  // namespace vigil::service
