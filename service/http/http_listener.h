// File: service/http/http_listener.h
// -----------------------------------------------------------------------------
// One cpp-httplib server on its own thread: the address parsing, TLS set-up
// (TLS 1.2 minimum; client certificates requested or required against a CA
// bundle) and binding that the relying-party endpoint and the metrics
// endpoint share. Routes are the caller's: Create, register them on
// server(), then Start.
#ifndef VIGIL_SERVICE_HTTP_HTTP_LISTENER_H_
#define VIGIL_SERVICE_HTTP_HTTP_LISTENER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/metrics.h"
#include "service/http/connection_guard.h"

namespace httplib {
class Server;
}

namespace vigil::service {

struct HttpListenerOptions {
  // The configuration setting the address came from ("http_listen",
  // "metrics_listen"): errors name it.
  std::string setting;
  std::string address;  // host:port, [v6]:port; port 0 picks one
  std::string tls_cert_file;
  std::string tls_key_file;
  // Plaintext: loopback test setups only (the configuration enforces it).
  bool insecure = false;
  // With TLS: client certificates are asked for and verified against this
  // PEM bundle; a client that sends none still connects unless
  // `require_client_certificate`, which ends its handshake instead.
  std::string client_ca_file;
  std::string client_ca_setting;  // names client_ca_file in errors
  bool require_client_certificate = false;
  // Threads, and on TLS what slow or numerous clients can hold of them
  // (connection_guard.h). The listener installs the server's logger for
  // it: callers must not set_logger.
  ConnectionLimits limits;
  // When set (it must outlive the listener): what the guard closes, as
  // {setting, "timeout" | "client_limit"}.
  metrics::CounterFamily* closed_connections = nullptr;
};

class HttpListener {
 public:
  // Makes the server without binding. Fails with kInvalidArgument naming
  // the setting: a malformed address, unreadable TLS files or CA bundle, or
  // require_client_certificate without a CA bundle or with `insecure`.
  static absl::StatusOr<std::unique_ptr<HttpListener>> Create(
      HttpListenerOptions options);
  // Stops serving and joins the thread.
  ~HttpListener();

  httplib::Server& server() { return *server_; }

  // Binds the address and serves on a thread. kUnavailable when it cannot
  // bind. Call once, after the routes are registered.
  absl::Status Start();

  int port() const { return port_; }
  // The guard of a TLS listener; null for plaintext.
  const ConnectionGuard* guard() const { return guard_.get(); }
  std::string url() const;  // "https://127.0.0.1:port"

 private:
  HttpListener() = default;
  HttpListenerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  // After server_: destroyed first, once the destructor has stopped the
  // server and joined its threads (no connection left).
  std::unique_ptr<ConnectionGuard> guard_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};  // listen_after_bind returned
  std::string host_;
  int requested_port_ = 0;
  int port_ = 0;
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_HTTP_HTTP_LISTENER_H_
