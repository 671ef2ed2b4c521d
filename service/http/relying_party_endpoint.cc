#include "service/http/relying_party_endpoint.h"

#include <openssl/ssl.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace vigil::service {

absl::StatusOr<std::unique_ptr<RelyingPartyEndpoint>>
RelyingPartyEndpoint::Start(Verifier* verifier, const std::string& address,
                            const std::string& tls_cert_file,
                            const std::string& tls_key_file, bool insecure) {
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
  ep->server_->set_read_timeout(10, 0);
  ep->server_->set_write_timeout(10, 0);
  ep->server_->set_payload_max_length(64 * 1024);
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
