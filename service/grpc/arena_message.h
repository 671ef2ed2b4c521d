// File: service/grpc/arena_message.h
// -----------------------------------------------------------------------------
// One agent message in a protobuf arena of its own: an Evidence's PCR
// values (~25–70 PcrValue messages) and their strings' headers are carved
// from a few blocks and released at once when the holder drops it, instead
// of allocated and freed one by one. The verifier decodes each agent
// message into one (attestation_service_impl.cc); the load generator's
// simulated agents build theirs in one.
#ifndef VIGIL_SERVICE_GRPC_ARENA_MESSAGE_H_
#define VIGIL_SERVICE_GRPC_ARENA_MESSAGE_H_

#include "google/protobuf/arena.h"
#include "vigil/v1/attestation_service.pb.h"

namespace vigil::service {

struct ArenaAgentMessage {
  static google::protobuf::ArenaOptions Options() {
    google::protobuf::ArenaOptions o;
    // An Evidence without its log: one or two blocks.
    o.start_block_size = 4096;
    return o;
  }
  google::protobuf::Arena arena{Options()};
  v1::AgentMessage* const message =
      google::protobuf::Arena::CreateMessage<v1::AgentMessage>(&arena);
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_GRPC_ARENA_MESSAGE_H_
