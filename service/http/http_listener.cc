#include "service/http/http_listener.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "httplib.h"

namespace vigil::service {
namespace {

// Asks TLS clients for a certificate issued by `ca_file` and verifies the
// one sent; `require`: a client without one fails the handshake.
absl::Status VerifyClientCertificates(SSL_CTX* ctx, const std::string& setting,
                                      const std::string& ca_file,
                                      bool require) {
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca_file.c_str());
  if (names == nullptr ||
      SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
    return absl::InvalidArgumentError(
        absl::StrCat(setting, " ", ca_file, ": cannot load"));
  }
  SSL_CTX_set_client_CA_list(ctx, names);
  // With peer verification on, OpenSSL refuses to resume a TLS 1.2 session
  // (by id) unless the server names a session id context: clients that
  // resume would fail their second handshake.
  static constexpr unsigned char kContext[] = "vigil";
  SSL_CTX_set_session_id_context(ctx, kContext, sizeof(kContext) - 1);
  SSL_CTX_set_verify(
      ctx, SSL_VERIFY_PEER | (require ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
      nullptr);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpListener>> HttpListener::Create(
    HttpListenerOptions options) {
  const std::string& address = options.address;
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        options.setting, ": want host:port, got \"", address, "\""));
  }
  if (options.require_client_certificate &&
      (options.insecure || options.client_ca_file.empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.setting,
                     ": client certificates need TLS and a client CA bundle"));
  }
  std::unique_ptr<HttpListener> l(new HttpListener());
  l->host_ = address.substr(0, colon);
  if (l->host_.size() > 2 && l->host_.front() == '[') {
    l->host_ = l->host_.substr(1, l->host_.size() - 2);
  }
  l->requested_port_ = port;
  if (options.insecure) {
    l->server_ = std::make_unique<httplib::Server>();
  } else {
    auto ssl = std::make_unique<httplib::SSLServer>(
        options.tls_cert_file.c_str(), options.tls_key_file.c_str());
    if (!ssl->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat(
          options.setting, ": cannot load tls_cert ", options.tls_cert_file,
          " / tls_key ", options.tls_key_file));
    }
    SSL_CTX_set_min_proto_version(ssl->ssl_context(), TLS1_2_VERSION);
    if (!options.client_ca_file.empty()) {
      if (absl::Status s = VerifyClientCertificates(
              ssl->ssl_context(), options.client_ca_setting,
              options.client_ca_file, options.require_client_certificate);
          !s.ok()) {
        return s;
      }
    }
    metrics::Counter* timed_out = nullptr;
    metrics::Counter* refused = nullptr;
    if (options.closed_connections != nullptr) {
      timed_out =
          &options.closed_connections->With({options.setting, "timeout"});
      refused =
          &options.closed_connections->With({options.setting, "client_limit"});
    }
    absl::StatusOr<std::unique_ptr<ConnectionGuard>> guard =
        ConnectionGuard::Attach(ssl->ssl_context(), options.limits,
                                options.setting, timed_out, refused);
    if (!guard.ok()) return guard.status();
    l->guard_ = *std::move(guard);
    l->server_ = std::move(ssl);
  }
  // cpp-httplib's default pool is max(8, cores - 1) threads.
  l->server_->new_task_queue = [n = options.limits.threads] {
    return new httplib::ThreadPool(n);
  };
  if (l->guard_ != nullptr) {
    // After every response written, on the connection's own thread
    // (including the error answers cpp-httplib writes before routing).
    l->server_->set_logger([g = l->guard_.get()](const httplib::Request&,
                                                 const httplib::Response&) {
      g->RequestServed();
    });
  }
  // cpp-httplib (0.11) sets SO_REUSEPORT by default, which lets a second
  // process of the same user bind the same port and take half of the
  // connections (a stale verifier answering with another signing key's
  // JWKS). SO_REUSEADDR alone still allows a restart while old connections
  // linger in TIME_WAIT; a port in use is an error.
  l->server_->set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  l->options_ = std::move(options);
  return l;
}

absl::Status HttpListener::Start() {
  int port = requested_port_;
  if (port == 0) {
    port = server_->bind_to_any_port(host_);
  } else if (!server_->bind_to_port(host_, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat(options_.setting, ": cannot bind ", options_.address));
  }
  port_ = port;
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    stopped_ = true;
  });
  // cpp-httplib marks itself running only inside listen_after_bind, and its
  // stop() does nothing before that: a listener destroyed right after Start
  // (another listener failing to start) would join a thread blocked in
  // accept() for ever. Return once it runs (or has already given up).
  while (!server_->is_running() && !stopped_) {
    absl::SleepFor(absl::Microseconds(200));
  }
  if (stopped_) {
    return absl::UnavailableError(absl::StrCat(
        options_.setting, ": stopped listening on ", options_.address));
  }
  return absl::OkStatus();
}

HttpListener::~HttpListener() {
  if (server_ != nullptr) server_->stop();
  // stop() only closes the listening socket: threads serving slow clients
  // would go on until their deadline.
  if (guard_ != nullptr) guard_->CloseAll();
  if (thread_.joinable()) thread_.join();
}

std::string HttpListener::url() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return absl::StrCat(options_.insecure ? "http://" : "https://", v6 ? "[" : "",
                      host_, v6 ? "]" : "", ":", port_);
}

}  // namespace vigil::service
