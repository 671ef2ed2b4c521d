// File: common/testing/http2_client.h
// -----------------------------------------------------------------------------
// A raw HTTP/2 client for tests that must misbehave below gRPC: open gRPC
// calls and send the start of a message without ever finishing it, which
// no gRPC client API can do. It follows HTTP/2 flow control (RFC 9113 §5.2,
// §6.9) so the server sees a well-formed peer, answers PINGs (§6.7), and
// records the RST_STREAM and GOAWAY frames the server sends (§6.4, §6.8).
//
//   ASSERT_OK_AND_ASSIGN(int fd, ConnectUnix(path));
//   ASSERT_OK_AND_ASSIGN(auto c, RawHttp2Client::Start(fd));
//   ASSERT_OK_AND_ASSIGN(uint32_t id, c->OpenGrpcCall("/pkg.Svc/Method"));
//   c->SendGrpcMessageStart(id, /*declared_length=*/8 << 20);
//   c->SendWithinWindow(id, std::string(1 << 20, 'x'));
//
// Every wait is bounded (common/testing/unix_socket.h); the caller closes
// `fd`. Header blocks are HPACK literals without indexing or Huffman
// (RFC 7541 §6.2.2), which every decoder must accept.
#ifndef VIGIL_COMMON_TESTING_HTTP2_CLIENT_H_
#define VIGIL_COMMON_TESTING_HTTP2_CLIENT_H_

#include <errno.h>
#include <poll.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/testing/http2_settings.h"

namespace vigil::testing {

class RawHttp2Client {
 public:
  // Sends the preface and reads the server's SETTINGS (whose initial window
  // then applies to our streams). Fails as ReadPeerSettings does.
  static absl::StatusOr<std::unique_ptr<RawHttp2Client>> Start(int fd) {
    if (absl::Status s = WriteClientPreface(fd); !s.ok()) return s;
    absl::StatusOr<std::map<uint16_t, uint32_t>> settings =
        ReadPeerSettings(fd, /*peer_is_client=*/false);
    if (!settings.ok()) return settings.status();
    auto c = std::unique_ptr<RawHttp2Client>(new RawHttp2Client(fd));
    c->settings_ = *std::move(settings);
    if (auto it = c->settings_.find(kSettingsInitialWindowSize);
        it != c->settings_.end()) {
      c->initial_stream_window_ = it->second;
    }
    return c;
  }

  // The server's SETTINGS, by identifier.
  const std::map<uint16_t, uint32_t>& settings() const { return settings_; }

  // Opens a gRPC call (HEADERS, END_HEADERS, stream left open) and returns
  // its stream id.
  absl::StatusOr<uint32_t> OpenGrpcCall(absl::string_view path) {
    std::string block;
    for (const auto& [name, value] :
         std::initializer_list<std::pair<absl::string_view, absl::string_view>>{
             {":method", "POST"},
             {":scheme", "http"},
             {":path", path},
             {":authority", "localhost"},
             {"content-type", "application/grpc"},
             {"te", "trailers"}}) {
      block.push_back('\0');  // literal without indexing, new name
      AppendString(block, name);
      AppendString(block, value);
    }
    const uint32_t id = next_stream_;
    next_stream_ += 2;
    windows_[id] = initial_stream_window_;
    if (absl::Status s = WriteFrame(kHeaders, kEndHeaders, id, block);
        !s.ok()) {
      return s;
    }
    return id;
  }

  // The 5-byte gRPC message prefix (uncompressed, `declared_length` bytes to
  // follow), as DATA within the flow-control windows.
  absl::Status SendGrpcMessageStart(uint32_t id, uint32_t declared_length) {
    std::string prefix(1, '\0');
    for (int shift = 24; shift >= 0; shift -= 8) {
      prefix.push_back(static_cast<char>((declared_length >> shift) & 0xff));
    }
    absl::StatusOr<size_t> sent = SendWithinWindow(id, prefix);
    if (!sent.ok()) return sent.status();
    if (*sent != prefix.size()) {
      return absl::ResourceExhaustedError("no window for a 5-byte prefix");
    }
    return absl::OkStatus();
  }

  // Sends as much of `data` on stream `id` as the stream's and the
  // connection's windows allow, waiting up to kSocketWaitMs for each
  // WINDOW_UPDATE; returns how many bytes went. Stops early (no error) when
  // the server has reset the stream or sent GOAWAY, or grants no more
  // window; a closed connection is an error (kUnavailable).
  absl::StatusOr<size_t> SendWithinWindow(uint32_t id, absl::string_view data) {
    size_t sent = 0;
    while (sent < data.size()) {
      if (resets_.count(id) != 0 || goaway_.has_value()) break;
      const int64_t room =
          std::min<int64_t>({connection_window_, windows_[id], kMaxFramePayload,
                             static_cast<int64_t>(data.size() - sent)});
      if (room <= 0) {
        absl::Status s = ReadOneFrame(kSocketWaitMs);
        if (absl::IsDeadlineExceeded(s)) break;  // no more window granted
        if (!s.ok()) return s;
        continue;
      }
      if (absl::Status s = WriteFrame(
              kData, 0, id, data.substr(sent, static_cast<size_t>(room)));
          !s.ok()) {
        return s;
      }
      connection_window_ -= room;
      windows_[id] -= room;
      sent += static_cast<size_t>(room);
      // Take whatever the server has sent meanwhile, without waiting.
      while (true) {
        absl::Status s = ReadOneFrame(0);
        if (absl::IsDeadlineExceeded(s)) break;
        if (!s.ok()) return s;
      }
    }
    return sent;
  }

  // Reads frames for up to `wait_ms` after the last one (0: only what is
  // already there). kUnavailable when the server closed the connection.
  absl::Status Drain(int wait_ms) {
    while (true) {
      absl::Status s = ReadOneFrame(wait_ms);
      if (absl::IsDeadlineExceeded(s)) return absl::OkStatus();
      if (!s.ok()) return s;
    }
  }

  // RST_STREAM error codes the server sent, by stream (RFC 9113 §7).
  const std::map<uint32_t, uint32_t>& resets() const { return resets_; }
  // The GOAWAY error code, if the server sent one.
  std::optional<uint32_t> goaway() const { return goaway_; }
  // Streams on which the server sent trailers (HEADERS with END_STREAM): a
  // gRPC status; its text is HPACK-encoded and not decoded here.
  size_t ended_streams() const { return ended_streams_; }

 private:
  static constexpr uint8_t kData = 0x0;
  static constexpr uint8_t kHeaders = 0x1;
  static constexpr uint8_t kRstStream = 0x3;
  static constexpr uint8_t kSettingsFrame = 0x4;
  static constexpr uint8_t kPing = 0x6;
  static constexpr uint8_t kGoAway = 0x7;
  static constexpr uint8_t kWindowUpdate = 0x8;
  static constexpr uint8_t kEndStream = 0x1;
  static constexpr uint8_t kEndHeaders = 0x4;
  static constexpr uint8_t kAckFlag = 0x1;
  static constexpr int64_t kMaxFramePayload = 16384;  // §6.5.2 default

  explicit RawHttp2Client(int fd) : fd_(fd) {}

  static void AppendString(std::string& out, absl::string_view s) {
    // 7-bit prefix integer (RFC 7541 §5.1), H = 0.
    size_t n = s.size();
    if (n < 127) {
      out.push_back(static_cast<char>(n));
    } else {
      out.push_back(static_cast<char>(127));
      n -= 127;
      while (n >= 128) {
        out.push_back(static_cast<char>((n % 128) | 128));
        n /= 128;
      }
      out.push_back(static_cast<char>(n));
    }
    out.append(s.data(), s.size());
  }

  absl::Status WriteFrame(uint8_t type, uint8_t flags, uint32_t stream,
                          absl::string_view payload) {
    std::string f;
    const size_t n = payload.size();
    f.push_back(static_cast<char>((n >> 16) & 0xff));
    f.push_back(static_cast<char>((n >> 8) & 0xff));
    f.push_back(static_cast<char>(n & 0xff));
    f.push_back(static_cast<char>(type));
    f.push_back(static_cast<char>(flags));
    for (int shift = 24; shift >= 0; shift -= 8) {
      f.push_back(static_cast<char>((stream >> shift) & 0xff));
    }
    f.append(payload.data(), payload.size());
    return http2_internal::WriteAll(fd_, f);
  }

  // Reads and handles one frame if one starts within `wait_ms`.
  absl::Status ReadOneFrame(int wait_ms) {
    pollfd p{fd_, POLLIN, 0};
    const int r = poll(&p, 1, wait_ms);
    if (r == 0) return absl::DeadlineExceededError("no frame");
    if (r < 0) {
      if (errno == EINTR) return absl::OkStatus();  // the caller loops
      return absl::InternalError(absl::StrCat("poll: ", strerror(errno)));
    }
    absl::StatusOr<http2_internal::Frame> f = http2_internal::ReadFrame(fd_);
    if (!f.ok()) return f.status();
    using http2_internal::Be32;
    switch (f->type) {
      case kWindowUpdate:
        if (f->payload.size() != 4) {
          return absl::InvalidArgumentError("WINDOW_UPDATE of wrong size");
        }
        if (f->stream == 0) {
          connection_window_ += Be32(f->payload, 0) & 0x7fffffffu;
        } else {
          windows_[f->stream] += Be32(f->payload, 0) & 0x7fffffffu;
        }
        break;
      case kRstStream:
        if (f->payload.size() != 4) {
          return absl::InvalidArgumentError("RST_STREAM of wrong size");
        }
        resets_[f->stream] = Be32(f->payload, 0);
        break;
      case kGoAway:
        if (f->payload.size() < 8) {
          return absl::InvalidArgumentError("GOAWAY too short");
        }
        goaway_ = Be32(f->payload, 4);
        break;
      case kPing:
        if ((f->flags & kAckFlag) == 0) {
          return WriteFrame(kPing, kAckFlag, 0, f->payload);
        }
        break;
      case kSettingsFrame:
        if ((f->flags & kAckFlag) == 0) {
          // A new initial window applies to open streams too (§6.9.2).
          for (size_t i = 0; i + 6 <= f->payload.size(); i += 6) {
            if ((Be32(f->payload, i) >> 16) != kSettingsInitialWindowSize) {
              continue;
            }
            const int64_t now = Be32(f->payload, i + 2);
            for (auto& [id, window] : windows_) {
              window += now - initial_stream_window_;
            }
            initial_stream_window_ = now;
          }
          return WriteFrame(kSettingsFrame, kAckFlag, 0, "");
        }
        break;
      case kHeaders:
        if ((f->flags & kEndStream) != 0) ++ended_streams_;
        break;
      default:
        break;
    }
    return absl::OkStatus();
  }

  int fd_;
  std::map<uint16_t, uint32_t> settings_;
  int64_t initial_stream_window_ = 65535;
  int64_t connection_window_ = 65535;
  std::map<uint32_t, int64_t> windows_;
  std::map<uint32_t, uint32_t> resets_;
  std::optional<uint32_t> goaway_;
  size_t ended_streams_ = 0;
  uint32_t next_stream_ = 1;
};

}  // namespace vigil::testing

#endif  // VIGIL_COMMON_TESTING_HTTP2_CLIENT_H_
