// File: service/http/testing/local_oidc_provider.h
// -----------------------------------------------------------------------------
// Test-only: an OpenID provider on 127.0.0.1 over real TLS (cpp-httplib),
// serving what OpenID Connect Discovery 1.0 §4 fetches:
//   GET /.well-known/openid-configuration  {"issuer", "jwks_uri": URL/jwks}
//   GET /jwks                              the key set it was given
// The metadata may name another issuer (`claimed_issuer`), as a provider
// that is not the one configured would. Counts the requests to each path.
#ifndef VIGIL_SERVICE_HTTP_TESTING_LOCAL_OIDC_PROVIDER_H_
#define VIGIL_SERVICE_HTTP_TESTING_LOCAL_OIDC_PROVIDER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace vigil::http::testing {

class LocalOidcProvider {
 public:
  // Serves with the PEM `cert`/`key` (a certificate for IP 127.0.0.1).
  // Returns null when the files do not load or no port can be bound.
  static std::unique_ptr<LocalOidcProvider> Start(
      const std::string& cert, const std::string& key, std::string jwks_json,
      std::string claimed_issuer = "") {
    std::unique_ptr<LocalOidcProvider> p(new LocalOidcProvider(cert, key));
    if (!p->server_.is_valid()) return nullptr;
    const int port = p->server_.bind_to_any_port("127.0.0.1");
    if (port <= 0) return nullptr;
    p->url_ = absl::StrCat("https://127.0.0.1:", port);
    const std::string issuer =
        claimed_issuer.empty() ? p->url_ : std::move(claimed_issuer);
    const std::string metadata = nlohmann::json{
        {"issuer", issuer},
        {"jwks_uri",
         p->url_ + "/jwks"}}.dump();
    LocalOidcProvider* self = p.get();
    p->server_.Get(
        "/.well-known/openid-configuration",
        [self, metadata](const httplib::Request&, httplib::Response& res) {
          ++self->metadata_hits_;
          res.set_content(metadata, "application/json");
        });
    p->server_.Get("/jwks",
                   [self, jwks = std::move(jwks_json)](const httplib::Request&,
                                                       httplib::Response& res) {
                     ++self->jwks_hits_;
                     res.set_content(jwks, "application/json");
                   });
    p->thread_ = std::thread([self] { self->server_.listen_after_bind(); });
    return p;
  }

  ~LocalOidcProvider() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // "https://127.0.0.1:PORT": the issuer to configure.
  const std::string& url() const { return url_; }
  int metadata_hits() const { return metadata_hits_; }
  int jwks_hits() const { return jwks_hits_; }

 private:
  LocalOidcProvider(const std::string& cert, const std::string& key)
      : server_(cert.c_str(), key.c_str()) {}

  httplib::SSLServer server_;
  std::thread thread_;
  std::string url_;
  std::atomic<int> metadata_hits_{0};
  std::atomic<int> jwks_hits_{0};
};

}  // namespace vigil::http::testing

#endif  // VIGIL_SERVICE_HTTP_TESTING_LOCAL_OIDC_PROVIDER_H_
