// File: service/grpc/wire_check.h
// -----------------------------------------------------------------------------
// Checks the protobuf encoding of an untrusted message against its type
// before it is decoded (style.md trust table: service/grpc; encoding:
// protobuf.dev/programming-guides/encoding).
//
// Why. Decoding allocates per field, not per byte: protobuf keeps every
// unknown field as an object of its own (~36 bytes of heap for a 2-byte
// field) and every element of a repeated message field as a message. A
// message of the size gRPC admits (32 MiB) made of tiny fields decoded into
// about 1 GB in the verifier (measured: 8 MiB of empty unknown fields took
// 257 MiB, 30 MiB took 822 MiB), and the size checks of request_validation.h
// only run after decoding. This walk reads the bytes once, allocates
// nothing, and refuses what no vigil agent sends: more fields than any
// message of the protocol has, many fields this verifier does not know,
// deep nesting, groups, malformed tags, varints and lengths, and proto3
// string fields that are not UTF-8 (which decoding would refuse after
// logging a line about each). What it
// admits decodes into at most ~max_fields small objects plus the bytes
// themselves.
//
//   RETURN_IF_ERROR(CheckWire(bytes, *v1::AgentMessage::descriptor()));
//   message.ParseFromArray(bytes.data(), bytes.size());
//
// Pure: no gRPC, no decoding; thread-safe.
#ifndef VIGIL_SERVICE_GRPC_WIRE_CHECK_H_
#define VIGIL_SERVICE_GRPC_WIRE_CHECK_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "google/protobuf/descriptor.h"

namespace vigil::service {

struct WireLimits {
  // Fields at every depth, known or not (each element of a repeated field,
  // packed ones included, counts). The largest message the protocol allows
  // has ~4,800: an Evidence of 8 quotes of 8 banks of 24 PCR values
  // (protos/vigil/v1/evidence.proto).
  size_t max_fields = 8192;
  // Fields this verifier's protocol does not define (or with a wire type
  // their definition does not have), at every depth: room for a newer
  // agent's additions, not for a flood. Each is kept as one object.
  size_t max_unknown_fields = 64;
  // Messages inside messages; the protocol nests 4 deep.
  int max_depth = 16;
};

// OK when `bytes` is a protobuf encoding of `type` within `limits`.
// Otherwise kInvalidArgument naming the offset and what was wrong, e.g.
// "offset 130: more than 64 fields unknown to this verifier (field 15)",
// "offset 9: field 2: length 4000 runs past the end (12 bytes left)",
// "offset 0: field 3: groups (wire type 3) are not part of this protocol",
// "offset 2: field 2 (vigil.v1.AgentHello.agent_version): not UTF-8".
// Does not check what request_validation.h checks (sizes, required
// fields).
absl::Status CheckWire(absl::Span<const uint8_t> bytes,
                       const google::protobuf::Descriptor& type,
                       const WireLimits& limits = WireLimits());

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_GRPC_WIRE_CHECK_H_
