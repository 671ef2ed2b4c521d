// File: common/testing/loopback_port.h
// -----------------------------------------------------------------------------
// TCP ports on 127.0.0.1 for tests and the load generator that start a
// server in another process: one to give it, and whether it listens yet
// (servers such as haproxy -db print nothing when they are ready).
//
//   const int port = FreeLoopbackPort();
//   ... start the server on 127.0.0.1:port ...
//   RETURN_IF_ERROR(WaitForLoopbackPort(port, absl::Seconds(10)));
#ifndef VIGIL_COMMON_TESTING_LOOPBACK_PORT_H_
#define VIGIL_COMMON_TESTING_LOOPBACK_PORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace vigil::testing {

// A port on 127.0.0.1 that was free a moment ago (bound and released; the
// server binds it next), or -1 when no socket could be bound.
inline int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

// Whether 127.0.0.1:`port` accepts a connection now.
inline bool LoopbackPortAccepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

// Waits until 127.0.0.1:`port` accepts a connection. Fails with
// kDeadlineExceeded after `timeout`.
inline absl::Status WaitForLoopbackPort(int port, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!LoopbackPortAccepts(port)) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("nothing listens on 127.0.0.1:", port, " after ",
                       absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::OkStatus();
}

}  // namespace vigil::testing

#endif  // VIGIL_COMMON_TESTING_LOOPBACK_PORT_H_
