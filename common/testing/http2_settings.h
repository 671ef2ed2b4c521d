// File: common/testing/http2_settings.h
// -----------------------------------------------------------------------------
// Reads the SETTINGS a gRPC peer announces, from a raw socket, so tests can
// check the HTTP/2 flow control our ends really set up (RFC 9113 §4.1 frame
// header, §6.5 SETTINGS, §3.4 the client's connection preface):
//
//   WriteClientPreface(fd);
//   ReadPeerInitialWindowSize(fd, /*peer_is_client=*/false) -> 1048576
#ifndef VIGIL_COMMON_TESTING_HTTP2_SETTINGS_H_
#define VIGIL_COMMON_TESTING_HTTP2_SETTINGS_H_

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace vigil::testing {

inline constexpr uint16_t kSettingsInitialWindowSize = 0x4;
inline constexpr absl::string_view kHttp2ClientPreface =
    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

namespace http2_internal {

// Reads exactly n bytes within 5 s; kDeadlineExceeded or kUnavailable
// (peer closed) otherwise.
inline absl::StatusOr<std::string> ReadExactly(int fd, size_t n) {
  std::string out;
  while (out.size() < n) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) {
      return absl::DeadlineExceededError(
          absl::StrCat("no bytes from the peer after ", out.size()));
    }
    char buf[4096];
    ssize_t r = read(fd, buf, std::min(sizeof(buf), n - out.size()));
    if (r <= 0) return absl::UnavailableError("peer closed");
    out.append(buf, static_cast<size_t>(r));
  }
  return out;
}

}  // namespace http2_internal

// The client's preface and an empty SETTINGS frame: what a server waits for
// before it sends its own SETTINGS.
inline absl::Status WriteClientPreface(int fd) {
  std::string out(kHttp2ClientPreface);
  out.append(std::string("\0\0\0\x04\0\0\0\0\0", 9));
  if (write(fd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) {
    return absl::UnavailableError("cannot write the preface");
  }
  return absl::OkStatus();
}

namespace http2_internal {

struct Frame {
  uint8_t type = 0;
  uint8_t flags = 0;
  uint32_t stream = 0;
  std::string payload;
};

inline uint32_t Be32(absl::string_view b, size_t at) {
  const auto u = [&](size_t k) {
    return static_cast<uint32_t>(static_cast<uint8_t>(b[at + k]));
  };
  return (u(0) << 24) | (u(1) << 16) | (u(2) << 8) | u(3);
}

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

// Reads the peer's frames up to its first SETTINGS frame that is not an ACK,
// and acknowledges it. With `peer_is_client`,
// first checks and skips the client preface. Fails when the bytes are not
// HTTP/2 or no SETTINGS come within 16 frames.
inline absl::StatusOr<std::map<uint16_t, uint32_t>> ReadPeerSettings(
    int fd, bool peer_is_client) {
  using http2_internal::ReadExactly;
  if (peer_is_client) {
    absl::StatusOr<std::string> preface =
        ReadExactly(fd, kHttp2ClientPreface.size());
    if (!preface.ok()) return preface.status();
    if (*preface != kHttp2ClientPreface) {
      return absl::InvalidArgumentError("not an HTTP/2 client preface");
    }
  }
  std::map<uint16_t, uint32_t> out;
  bool have_settings = false;
  for (int frames = 0; frames < 16 && !have_settings; ++frames) {
    absl::StatusOr<http2_internal::Frame> f = http2_internal::ReadFrame(fd);
    if (!f.ok()) return f.status();
    if (f->type != 0x4 || (f->flags & 0x1) != 0) continue;  // ACK
    if (f->payload.size() % 6 != 0) {
      return absl::InvalidArgumentError("SETTINGS length not a multiple of 6");
    }
    for (size_t i = 0; i < f->payload.size(); i += 6) {
      const uint16_t id =
          static_cast<uint16_t>(http2_internal::Be32(f->payload, i) >> 16);
      out[id] = http2_internal::Be32(f->payload, i + 2);
    }
    have_settings = true;
    // Acknowledge them, as a real peer must (RFC 9113 §6.5.3); some
    // implementations hold back their window updates until then.
    const std::string ack("\0\0\0\x04\x01\0\0\0\0", 9);
    if (write(fd, ack.data(), ack.size()) != static_cast<ssize_t>(ack.size())) {
      return absl::UnavailableError("cannot acknowledge the SETTINGS");
    }
  }
  if (!have_settings) {
    return absl::NotFoundError("no SETTINGS in the peer's first 16 frames");
  }
  return out;
}

// The peer's SETTINGS_INITIAL_WINDOW_SIZE; kNotFound when it sent none
// (then HTTP/2's 65,535 applies).
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
