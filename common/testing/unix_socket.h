// File: common/testing/unix_socket.h
// -----------------------------------------------------------------------------
// Raw AF_UNIX stream sockets for tests that speak to our gRPC ends below
// gRPC (common/testing/http2_settings.h). Every wait is bounded; the caller
// closes what it gets.
//
//   ASSERT_OK_AND_ASSIGN(int fd, ConnectUnix(dir + "/verifier.sock"));
//   ASSERT_OK_AND_ASSIGN(int listener, ListenUnix(dir + "/agent.sock"));
//   ASSERT_OK_AND_ASSIGN(int peer, AcceptWithin(listener));
#ifndef VIGIL_COMMON_TESTING_UNIX_SOCKET_H_
#define VIGIL_COMMON_TESTING_UNIX_SOCKET_H_

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace vigil::testing {

inline constexpr int kSocketWaitMs = 5000;

// Polls `fd` for `events` for up to kSocketWaitMs, through EINTR:
// kDeadlineExceeded when nothing comes.
inline absl::Status PollWithin(int fd, short events) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = poll(&p, 1, kSocketWaitMs);
    if (r == 1) return absl::OkStatus();
    if (r == 0) return absl::DeadlineExceededError("nothing from the peer");
    if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", strerror(errno)));
    }
  }
}

namespace unix_socket_internal {

// A stream socket and `path` as its address; kInvalidArgument when the path
// does not fit sun_path.
inline absl::StatusOr<int> Open(const std::string& path, sockaddr_un& addr) {
  addr = sockaddr_un{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a unix socket path of at most ",
                     sizeof(addr.sun_path) - 1, " bytes"));
  }
  path.copy(addr.sun_path, path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  }
  return fd;
}

inline absl::StatusOr<int> Fail(int fd, const char* what,
                                const std::string& path) {
  const int err = errno;
  close(fd);
  return absl::UnavailableError(
      absl::StrCat(what, " ", path, ": ", strerror(err)));
}

}  // namespace unix_socket_internal

// A socket connected to `path`.
inline absl::StatusOr<int> ConnectUnix(const std::string& path) {
  sockaddr_un addr;
  absl::StatusOr<int> fd = unix_socket_internal::Open(path, addr);
  if (!fd.ok()) return fd.status();
  if (connect(*fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return unix_socket_internal::Fail(*fd, "connect", path);
  }
  return fd;
}

// A socket bound to `path` and listening (backlog 1).
inline absl::StatusOr<int> ListenUnix(const std::string& path) {
  sockaddr_un addr;
  absl::StatusOr<int> fd = unix_socket_internal::Open(path, addr);
  if (!fd.ok()) return fd.status();
  if (bind(*fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return unix_socket_internal::Fail(*fd, "bind", path);
  }
  if (listen(*fd, 1) != 0) {
    return unix_socket_internal::Fail(*fd, "listen", path);
  }
  return fd;
}

// The next connection on `listener`, waiting at most kSocketWaitMs.
inline absl::StatusOr<int> AcceptWithin(int listener) {
  if (absl::Status s = PollWithin(listener, POLLIN); !s.ok()) return s;
  const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("accept: ", strerror(errno)));
  }
  return fd;
}

}  // namespace vigil::testing

#endif  // VIGIL_COMMON_TESTING_UNIX_SOCKET_H_
