// File: tests/swtpm/tls_record_relay.h
// -----------------------------------------------------------------------------
// Test support: a TCP relay on 127.0.0.1 that passes every byte both ways
// unchanged and reads the TLS record headers in what the server sends
// (RFC 8446 §5.1: content type, legacy version, 16-bit length; the same
// header in TLS 1.2, RFC 5246 §6.2.1), so a test can see how a TLS server
// frames its data without decrypting anything.
//
//   ASSERT_OK_AND_ASSIGN(auto relay, TlsRecordRelay::Start(server_port));
//   ... a client connects to 127.0.0.1:relay->port() ...
//   std::vector<TlsRecord> sent = relay->ServerRecords();
#ifndef VIGIL_TESTS_SWTPM_TLS_RECORD_RELAY_H_
#define VIGIL_TESTS_SWTPM_TLS_RECORD_RELAY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace vigil::testing {

// One record header as the server sent it.
struct TlsRecord {
  uint8_t content_type = 0;  // 22 handshake, 23 application_data, ...
  uint16_t length = 0;       // of the record's fragment, header excluded
};

class TlsRecordRelay {
 public:
  // Listens on 127.0.0.1 (a port of its own) and relays each connection
  // to 127.0.0.1:`server_port`, each on a thread of its own. Fails with
  // kInternal when the listening socket cannot be made.
  static absl::StatusOr<std::unique_ptr<TlsRecordRelay>> Start(int server_port);

  // Closes the listener and every relayed connection, and joins.
  ~TlsRecordRelay();

  TlsRecordRelay(const TlsRecordRelay&) = delete;
  TlsRecordRelay& operator=(const TlsRecordRelay&) = delete;

  int port() const { return port_; }

  // The records the server has sent so far, on every connection, in the
  // order each connection carried them.
  std::vector<TlsRecord> ServerRecords() const;

 private:
  TlsRecordRelay(int listen_fd, int port, int server_port);
  void AcceptLoop();
  void Relay(int client_fd);

  const int listen_fd_;
  const int port_;
  const int server_port_;
  int stop_pipe_[2] = {-1, -1};  // written once to end every loop
  std::thread acceptor_;
  mutable absl::Mutex mu_;
  std::vector<std::thread> relays_ ABSL_GUARDED_BY(mu_);
  std::vector<TlsRecord> records_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SWTPM_TLS_RECORD_RELAY_H_
