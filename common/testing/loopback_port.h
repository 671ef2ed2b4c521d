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
#include <fstream>
#include <mutex>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace vigil::testing {

// 127.0.0.1:`port` (0: any port) as a socket address.
inline sockaddr_in LoopbackAddress(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

namespace loopback_port_internal {

// Binds 127.0.0.1:`port` (0: any) and releases it; the port bound, or -1.
inline int BindAndRelease(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a = LoopbackAddress(port);
  socklen_t len = sizeof(a);
  int bound = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    bound = ntohs(a.sin_port);
  }
  close(fd);
  return bound;
}

// The first port of the kernel's ephemeral range
// (net.ipv4.ip_local_port_range), or 32768 (its default) if unreadable.
inline int EphemeralLow() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  return in >> low && low > 0 ? low : 32768;
}

}  // namespace loopback_port_internal

// A port on 127.0.0.1 that was free a moment ago (bound and released; the
// server binds it next), or -1 when no socket could be bound.
//
// Chosen at random below the kernel's ephemeral range: until the server
// binds it, the port is free for anyone, and every outgoing connection and
// every bind to port 0 (other tests' clients and servers, running at the
// same time under ctest -j) takes its port from that range. Below it, only
// another FreeLoopbackPort can pick the same port, one chance in
// thousands. Falls back to a port the kernel picks when the range starts
// too low to leave room.
inline int FreeLoopbackPort() {
  constexpr int kFirst = 20000;
  const int low = loopback_port_internal::EphemeralLow();
  if (low - kFirst >= 1000) {
    static std::mt19937 pick(std::random_device{}() ^
                             static_cast<unsigned>(getpid()));
    static std::mutex mu;
    std::uniform_int_distribution<int> in_range(kFirst, low - 1);
    for (int i = 0; i < 100; ++i) {
      int port;
      {
        std::lock_guard<std::mutex> lock(mu);
        port = in_range(pick);
      }
      if (loopback_port_internal::BindAndRelease(port) == port) return port;
    }
  }
  return loopback_port_internal::BindAndRelease(0);
}

// Whether 127.0.0.1:`port` accepts a connection now.
inline bool LoopbackPortAccepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a = LoopbackAddress(port);
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
