// File: service/grpc/untrusted_codec.h
// -----------------------------------------------------------------------------
// Messages to and from gRPC's bytes for services registered raw (the
// generated WithRawCallbackMethod_* mixins): gRPC's own decoding of a
// request cannot be checked before it allocates, so the service takes the
// bytes, checks them on the wire (wire_check.h) and only then decodes.
//
//   v1::AgentMessage m;
//   RETURN_IF_ERROR(DecodeUntrusted(buffer, "agent message", &m));
//   grpc::ByteBuffer out = EncodeMessage(reply);
#ifndef VIGIL_SERVICE_GRPC_UNTRUSTED_CODEC_H_
#define VIGIL_SERVICE_GRPC_UNTRUSTED_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "service/grpc/wire_check.h"

namespace vigil::service {

// Decodes `buffer` into `out` after CheckWire with the default limits.
// kInvalidArgument "WHAT: REASON" when the bytes are refused on the wire
// ("agent message: offset 130: more than 64 fields unknown to this
// verifier (field 15)") or do not decode as T; `out` is then unspecified.
template <typename T>
absl::Status DecodeUntrusted(const grpc::ByteBuffer& buffer,
                             absl::string_view what, T* out) {
  grpc::Slice slice;
  if (!buffer.DumpToSingleSlice(&slice).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": unreadable message"));
  }
  const absl::Span<const uint8_t> bytes(slice.begin(), slice.size());
  if (absl::Status s = CheckWire(bytes, *T::descriptor()); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", s.message()));
  }
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": not a valid ", T::descriptor()->full_name(), " encoding"));
  }
  return absl::OkStatus();
}

// `m`'s encoding as gRPC's bytes (one copy of it).
template <typename T>
grpc::ByteBuffer EncodeMessage(const T& m) {
  const std::string bytes = m.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_GRPC_UNTRUSTED_CODEC_H_
