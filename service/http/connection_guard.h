// File: service/http/connection_guard.h
// -----------------------------------------------------------------------------
// Bounds what slow or numerous clients can take from a cpp-httplib TLS
// server. cpp-httplib (0.11) serves each connection on one thread of a fixed
// pool with blocking reads, and its read timeout restarts with every byte:
// measured against the relying-party endpoint, 8 clients each sending a
// byte every few seconds of a request they never finish held all 8
// threads (cpp-httplib's default pool here), and
// /healthz, /certs and the OpenID metadata went unanswered for as long as
// they kept it up (a slow loris). cpp-httplib offers no hook on its
// connections, so the guard takes the one OpenSSL offers on every TLS
// connection:
//   * when a connection's handshake starts (SSL_CTX info callback, on the
//     thread that serves it), it is registered with a deadline, and refused
//     (shut down at once) when its client already has
//     `max_connections_per_client` registered;
//   * after each response is written (RequestServed, from the server's
//     logger, on the same thread), the deadline moves on by
//     `request_timeout` for the next request on that connection;
//   * a watchdog shuts down (shutdown(2), so the serving thread's blocked
//     read returns) every connection past its deadline;
//   * when cpp-httplib frees the connection's SSL (always before it closes
//     the socket), the entry goes, so a shut-down descriptor is never a
//     reused one.
// Plaintext listeners (loopback test setups) have no TLS hook and no guard.
#ifndef VIGIL_SERVICE_HTTP_CONNECTION_GUARD_H_
#define VIGIL_SERVICE_HTTP_CONNECTION_GUARD_H_

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log_budget.h"
#include "common/metrics.h"
#include "service/http/connection_limits.h"

namespace vigil::service {

class ConnectionGuard {
 public:
  // Hooks `ctx` (which must outlive the guard and have no info callback of
  // its own) and starts the watchdog. `setting` names the listener in log
  // lines ("http_listen"). Fails with kInternal when OpenSSL cannot give an
  // ex_data index.
  // `timed_out` and `refused`, when set, are where cut_off() and refused()
  // count (they must outlive the guard).
  static absl::StatusOr<std::unique_ptr<ConnectionGuard>> Attach(
      SSL_CTX* ctx, const ConnectionLimits& limits, std::string setting,
      metrics::Counter* timed_out = nullptr,
      metrics::Counter* refused = nullptr);
  // Stops the watchdog. Every connection of `ctx` must be over (the server
  // stopped and its threads joined).
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // Called on the thread serving a connection once a response has been
  // written (the server's logger): that connection's next request has a
  // fresh `request_timeout`. No-op on a thread serving none of this
  // guard's connections.
  void RequestServed();

  // Shuts down every connection being served and refuses new ones, so a
  // stopping server's threads return at once instead of waiting out slow
  // clients. Call after the server stopped accepting.
  void CloseAll();

  // Connections shut down past their deadline, and refused for their
  // client's limit, since Attach.
  int64_t cut_off() const;
  int64_t refused() const;

 private:
  using Deadline = std::chrono::steady_clock::time_point;

  struct Entry {
    int fd;
    std::string client;  // the peer's address (IPv6: its /64), or empty
    std::string peer;    // address:port, for log lines
    Deadline deadline;   // steady: a wall-clock step must not cut or spare
    bool cut = false;
  };

  // OpenSSL's callbacks and ex_data indices (connection_guard.cc).
  struct Hooks;

  ConnectionGuard(const ConnectionLimits& limits, std::string setting);
  void Register(SSL* ssl);
  void Unregister(uint64_t id);
  void Watch();

  const ConnectionLimits limits_;
  const std::string setting_;
  // The caller's counters, or the guard's own.
  metrics::Counter own_timed_out_;
  metrics::Counter own_refused_;
  metrics::Counter* timed_out_ = &own_timed_out_;
  metrics::Counter* refused_ = &own_refused_;
  SSL_CTX* ctx_ = nullptr;
  LogBudget log_budget_;
  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, size_t> per_client_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;   // CloseAll was called
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;  // the watchdog ends
  std::thread watchdog_;
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_HTTP_CONNECTION_GUARD_H_
