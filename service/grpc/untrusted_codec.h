// File: service/grpc/untrusted_codec.h
// -----------------------------------------------------------------------------
// Messages to and from gRPC's bytes for services registered raw (the
// generated WithRawCallbackMethod_* mixins): gRPC's own decoding of a
// request cannot be checked before it allocates, so the service takes the
// bytes, checks them on the wire (wire_check.h) and only then decodes.
//
//   v1::AgentMessage m;
//   RETURN_IF_ERROR(DecodeUntrusted(&buffer, "agent message", &m));
//   grpc::ByteBuffer out = EncodeMessage(reply);
#ifndef VIGIL_SERVICE_GRPC_UNTRUSTED_CODEC_H_
#define VIGIL_SERVICE_GRPC_UNTRUSTED_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "service/grpc/wire_check.h"

namespace vigil::service {

namespace untrusted_codec_internal {

// Join buffers at most this large are kept by their thread for the next
// message; larger ones are released after use.
inline constexpr size_t kKeptJoinBufferBytes = size_t{1} << 20;

// This thread's buffer for joining a message that arrived in several
// slices. Reused rather than allocated per message: a fresh 45-KB copy of
// every agent's first round, freed microseconds later among long-lived
// allocations, left the heap fragmented (docs/PERFORMANCE.md).
inline std::string& JoinBuffer() {
  thread_local std::string buffer;
  return buffer;
}

}  // namespace untrusted_codec_internal

// Decodes `buffer` into `out` after CheckWire with the default limits, and
// empties `buffer` on the way (its bytes count against the listener's
// transport quota until gRPC's slices are released: server.h,
// LimitTransport). A message that arrived in one slice is read in place;
// one in several is joined into this thread's join buffer first.
// kInvalidArgument "WHAT: REASON" when the bytes are refused on the wire
// ("agent message: offset 130: more than 64 fields unknown to this
// verifier (field 15)") or do not decode as T; `out` is then unspecified.
template <typename T>
absl::Status DecodeUntrusted(grpc::ByteBuffer* buffer, absl::string_view what,
                             T* out) {
  std::vector<grpc::Slice> slices;
  const bool dumped = buffer->Dump(&slices).ok();
  buffer->Clear();
  if (!dumped) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": unreadable message"));
  }
  std::string* joined = nullptr;
  absl::Span<const uint8_t> bytes;
  if (slices.size() == 1) {
    bytes = absl::Span<const uint8_t>(slices[0].begin(), slices[0].size());
  } else {
    joined = &untrusted_codec_internal::JoinBuffer();
    joined->clear();
    size_t total = 0;
    for (const grpc::Slice& s : slices) total += s.size();
    joined->reserve(total);  // exactly, not doubled by appends
    for (const grpc::Slice& s : slices) {
      joined->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    slices.clear();
    bytes = absl::Span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(joined->data()), joined->size());
  }
  absl::Status result = CheckWire(bytes, *T::descriptor());
  if (!result.ok()) {
    result =
        absl::InvalidArgumentError(absl::StrCat(what, ": ", result.message()));
  } else if (!out->ParseFromArray(bytes.data(),
                                  static_cast<int>(bytes.size()))) {
    result = absl::InvalidArgumentError(absl::StrCat(
        what, ": not a valid ", T::descriptor()->full_name(), " encoding"));
  }
  // The decoded message owns copies of what it keeps.
  if (joined != nullptr &&
      joined->capacity() > untrusted_codec_internal::kKeptJoinBufferBytes) {
    std::string().swap(*joined);
  }
  return result;
}

// `m`'s encoding as gRPC's bytes, serialized straight into one slice.
template <typename T>
grpc::ByteBuffer EncodeMessage(const T& m) {
  grpc::Slice slice(m.ByteSizeLong());
  // The slice is ours and not yet shared: writing into it is how gRPC's own
  // ProtoBufferWriter fills slices.
  m.SerializeWithCachedSizesToArray(const_cast<uint8_t*>(slice.begin()));
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_GRPC_UNTRUSTED_CODEC_H_
