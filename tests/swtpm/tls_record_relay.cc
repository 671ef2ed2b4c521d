#include "tests/swtpm/tls_record_relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/testing/loopback_port.h"

namespace vigil::testing {
namespace {

// Writes all of `data` to `fd`; false when the peer is gone or `stop_fd`
// becomes readable (the relay is being destroyed) while the peer is not
// reading.
bool WriteAll(int fd, const uint8_t* data, size_t size, int stop_fd) {
  while (size > 0) {
    pollfd fds[2] = {{fd, POLLOUT, 0}, {stop_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (fds[1].revents != 0) return false;
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Reads record headers out of a byte stream cut anywhere: a header's five
// bytes may arrive in two reads, a fragment in many.
class RecordScanner {
 public:
  // The headers completed by `data`.
  std::vector<TlsRecord> Feed(const uint8_t* data, size_t size) {
    std::vector<TlsRecord> out;
    while (size > 0) {
      if (skip_ > 0) {
        const size_t n = std::min(skip_, size);
        skip_ -= n;
        data += n;
        size -= n;
        continue;
      }
      header_[have_++] = *data++;
      --size;
      if (have_ < sizeof(header_)) continue;
      have_ = 0;
      TlsRecord r;
      r.content_type = header_[0];
      r.length = static_cast<uint16_t>(header_[3] << 8 | header_[4]);
      skip_ = r.length;
      out.push_back(r);
    }
    return out;
  }

 private:
  uint8_t header_[5] = {};
  size_t have_ = 0;
  size_t skip_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TlsRecordRelay>> TlsRecordRelay::Start(
    int server_port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(strerror(errno));
  sockaddr_in a = LoopbackAddress(0);
  socklen_t len = sizeof(a);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(
        absl::StrCat("relay: cannot listen: ", strerror(err)));
  }
  std::unique_ptr<TlsRecordRelay> relay(
      new TlsRecordRelay(fd, ntohs(a.sin_port), server_port));
  if (pipe2(relay->stop_pipe_, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("relay: pipe: ", strerror(errno)));
  }
  relay->acceptor_ = std::thread([r = relay.get()] { r->AcceptLoop(); });
  return relay;
}

TlsRecordRelay::TlsRecordRelay(int listen_fd, int port, int server_port)
    : listen_fd_(listen_fd), port_(port), server_port_(server_port) {}

TlsRecordRelay::~TlsRecordRelay() {
  if (stop_pipe_[1] >= 0) {
    const char b = 0;
    (void)!write(stop_pipe_[1], &b, 1);
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> relays;
  {
    absl::MutexLock lock(&mu_);
    relays.swap(relays_);
  }
  for (std::thread& t : relays) t.join();
  close(listen_fd_);
  for (int fd : stop_pipe_) {
    if (fd >= 0) close(fd);
  }
}

std::vector<TlsRecord> TlsRecordRelay::ServerRecords() const {
  absl::MutexLock lock(&mu_);
  return records_;
}

void TlsRecordRelay::AcceptLoop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      // Out of descriptors, say: try again in a moment, not in a spin.
      poll(nullptr, 0, 10);
      continue;
    }
    absl::MutexLock lock(&mu_);
    relays_.emplace_back([this, client] { Relay(client); });
  }
}

void TlsRecordRelay::Relay(int client_fd) {
  const int server_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in to = LoopbackAddress(server_port_);
  if (server_fd < 0 ||
      connect(server_fd, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) !=
          0) {
    if (server_fd >= 0) close(server_fd);
    close(client_fd);
    return;
  }
  RecordScanner scanner;
  uint8_t buf[16384];
  bool open = true;
  while (open) {
    pollfd fds[3] = {{client_fd, POLLIN, 0},
                     {server_fd, POLLIN, 0},
                     {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].revents != 0) break;
    for (int from : {0, 1}) {
      if (fds[from].revents == 0) continue;
      const ssize_t n = recv(fds[from].fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        open = false;
        break;
      }
      if (from == 1) {
        std::vector<TlsRecord> seen = scanner.Feed(buf, static_cast<size_t>(n));
        absl::MutexLock lock(&mu_);
        records_.insert(records_.end(), seen.begin(), seen.end());
      }
      if (!WriteAll(from == 0 ? server_fd : client_fd, buf,
                    static_cast<size_t>(n), stop_pipe_[0])) {
        open = false;
        break;
      }
    }
  }
  close(client_fd);
  close(server_fd);
}

}  // namespace vigil::testing
