// File: common/testing/http2_settings.h
// -----------------------------------------------------------------------------
// Reads the SETTINGS a gRPC peer announces, from a raw socket, so tests can
// check the HTTP/2 flow control our ends really set up (RFC 9113 §4.1 frame
// header, §6.5 SETTINGS, §3.4 the connection preface):
//
//   WriteClientPreface(fd);                                  // to a server
//   ReadPeerInitialWindowSize(fd, /*peer_is_client=*/false)  // -> 1048576
//
// Every wait is bounded (kSocketWaitMs per read), writes never raise SIGPIPE,
// and failures say what was wrong; nothing here closes `fd`.
#ifndef VIGIL_COMMON_TESTING_HTTP2_SETTINGS_H_
#define VIGIL_COMMON_TESTING_HTTP2_SETTINGS_H_

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/testing/unix_socket.h"

namespace vigil::testing {

// SETTINGS parameters (RFC 9113 §6.5.2).
inline constexpr uint16_t kSettingsMaxConcurrentStreams = 0x3;
inline constexpr uint16_t kSettingsInitialWindowSize = 0x4;
inline constexpr absl::string_view kHttp2ClientPreface =
    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

namespace http2_internal {

inline constexpr uint8_t kSettings = 0x4;
inline constexpr uint8_t kAck = 0x1;
// Reads exactly n bytes; kDeadlineExceeded, kUnavailable (peer closed) or
// kInternal (read error) otherwise, with how many bytes had come.
inline absl::StatusOr<std::string> ReadExactly(int fd, size_t n) {
  std::string out;
  while (out.size() < n) {
    if (absl::Status s = PollWithin(fd, POLLIN); !s.ok()) {
      return absl::Status(
          s.code(), absl::StrCat(s.message(), " after ", out.size(), " bytes"));
    }
    char buf[4096];
    const ssize_t r = read(fd, buf, std::min(sizeof(buf), n - out.size()));
    if (r == 0) {
      return absl::UnavailableError(
          absl::StrCat("peer closed after ", out.size(), " bytes"));
    }
    if (r < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("read: ", strerror(errno)));
    }
    out.append(buf, static_cast<size_t>(r));
  }
  return out;
}

// Writes all of `bytes` (send with MSG_NOSIGNAL: a closed peer is an
// error, not a signal). Each wait for room is bounded: a peer that stops
// reading gives kDeadlineExceeded after kSocketWaitMs.
inline absl::Status WriteAll(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    if (absl::Status s = PollWithin(fd, POLLOUT); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(s.message(), " (writing, ",
                                                 bytes.size(), " bytes left)"));
    }
    const ssize_t w =
        send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
    }
    bytes.remove_prefix(static_cast<size_t>(w));
  }
  return absl::OkStatus();
}

inline uint32_t Be32(absl::string_view b, size_t at) {
  const auto u = [&](size_t k) {
    return static_cast<uint32_t>(static_cast<uint8_t>(b[at + k]));
  };
  return (u(0) << 24) | (u(1) << 16) | (u(2) << 8) | u(3);
}

struct Frame {
  uint8_t type = 0;
  uint8_t flags = 0;
  uint32_t stream = 0;
  std::string payload;
};

// One frame (§4.1); payloads over the default SETTINGS_MAX_FRAME_SIZE
// (16,384) are refused, as the peer may not send more before our SETTINGS.
inline absl::StatusOr<Frame> ReadFrame(int fd) {
  absl::StatusOr<std::string> h = ReadExactly(fd, 9);
  if (!h.ok()) return h.status();
  const size_t length = Be32(*h, 0) >> 8;
  if (length > (1u << 14)) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame of ", length, " bytes"));
  }
  Frame f;
  f.type = static_cast<uint8_t>((*h)[3]);
  f.flags = static_cast<uint8_t>((*h)[4]);
  f.stream = Be32(*h, 5) & 0x7fffffffu;
  absl::StatusOr<std::string> payload = ReadExactly(fd, length);
  if (!payload.ok()) return payload.status();
  f.payload = std::move(*payload);
  return f;
}

}  // namespace http2_internal

// The client's connection preface and an empty SETTINGS frame: what a server
// waits for before it sends its own SETTINGS.
inline absl::Status WriteClientPreface(int fd) {
  std::string out(kHttp2ClientPreface);
  out.append(std::string("\0\0\0\x04\0\0\0\0\0", 9));
  return http2_internal::WriteAll(fd, out);
}

// Reads the peer's connection preface up to its SETTINGS (§3.4: a server's
// preface is a SETTINGS frame; a client's is the fixed string, then a
// SETTINGS frame), acknowledges it (§6.5.3) and returns its parameters by
// identifier. Fails with kInvalidArgument when the bytes are not that.
inline absl::StatusOr<std::map<uint16_t, uint32_t>> ReadPeerSettings(
    int fd, bool peer_is_client) {
  using http2_internal::Be32;
  if (peer_is_client) {
    absl::StatusOr<std::string> preface =
        http2_internal::ReadExactly(fd, kHttp2ClientPreface.size());
    if (!preface.ok()) return preface.status();
    if (*preface != kHttp2ClientPreface) {
      return absl::InvalidArgumentError("not an HTTP/2 client preface");
    }
  }
  absl::StatusOr<http2_internal::Frame> f = http2_internal::ReadFrame(fd);
  if (!f.ok()) return f.status();
  if (f->type != http2_internal::kSettings ||
      (f->flags & http2_internal::kAck) != 0 || f->stream != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the peer's first frame is not SETTINGS on stream 0 (type ",
        static_cast<int>(f->type), ", flags ", static_cast<int>(f->flags),
        ", stream ", f->stream, ")"));
  }
  if (f->payload.size() % 6 != 0) {
    return absl::InvalidArgumentError("SETTINGS length not a multiple of 6");
  }
  std::map<uint16_t, uint32_t> out;
  for (size_t i = 0; i < f->payload.size(); i += 6) {
    out[static_cast<uint16_t>(Be32(f->payload, i) >> 16)] =
        Be32(f->payload, i + 2);
  }
  const std::string ack("\0\0\0\x04\x01\0\0\0\0", 9);
  if (absl::Status s = http2_internal::WriteAll(fd, ack); !s.ok()) return s;
  return out;
}

// The peer's SETTINGS_INITIAL_WINDOW_SIZE; kNotFound when its SETTINGS do
// not carry one (HTTP/2's 65,535 then applies).
inline absl::StatusOr<uint32_t> ReadPeerInitialWindowSize(int fd,
                                                          bool peer_is_client) {
  absl::StatusOr<std::map<uint16_t, uint32_t>> s =
      ReadPeerSettings(fd, peer_is_client);
  if (!s.ok()) return s.status();
  auto it = s->find(kSettingsInitialWindowSize);
  if (it == s->end()) {
    return absl::NotFoundError("no SETTINGS_INITIAL_WINDOW_SIZE");
  }
  return it->second;
}

}  // namespace vigil::testing

#endif  // VIGIL_COMMON_TESTING_HTTP2_SETTINGS_H_
