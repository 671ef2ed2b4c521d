// File: tools/loadgen/transport_echo.h
// -----------------------------------------------------------------------------
// The load generator's transport baseline: a vigil.v1.AttestationService
// whose Connect stream plays the verifier's side of the dialogue
// (protos/vigil/v1/attestation_service.proto) with canned answers of the
// verifier's sizes and checks nothing. Driven by the same simulated agents,
// it measures what gRPC itself costs per attestation round on this machine
// (HTTP/2 framing, the 4 messages of a round, polling, wake-ups), so the
// benchmark can say how much of the verifier's CPU per attestation is the
// verifier's own work and how close the service is to the best this
// transport allows (docs/PERFORMANCE.md).
//
// Never linked into vigil-verifier: it is a measuring instrument, and a
// service that answers without verifying must not exist in the product.
#ifndef VIGIL_TOOLS_LOADGEN_TRANSPORT_ECHO_H_
#define VIGIL_TOOLS_LOADGEN_TRANSPORT_ECHO_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"

namespace vigil::loadgen {

struct EchoShape {
  // The length of the token each AttestationResult carries: the verifier's
  // real token for the same evidence, so the result message is as large.
  size_t token_bytes = 1000;
  // AttestationRequest.pcr_mask, as the verifier's policy asks.
  uint32_t pcr_mask = 0;
};

// What the echo answers, in the verifier's order:
//   AgentHello        -> Enrolled + AttestationRequest ("enrolled")
//   AttestationWanted -> AttestationRequest (a fresh 32-byte random nonce;
//                        known_event_log_sha256 = the log of the stream's
//                        last evidence, as the verifier names a held log)
//   Evidence          -> AttestationResult (permitted, the canned token)
// Other messages end the stream with FAILED_PRECONDITION. Answers are
// written from gRPC's callback thread (no worker pool): the baseline is the
// transport alone.
//
// Starts the server on `address` (e.g. "unix:/tmp/x.sock", or
// "127.0.0.1:0" for any free port) with `credentials` (the verifier's TLS
// setup in a TLS run, else insecure) and the verifier's message-size
// limits. Fails (UNAVAILABLE) when it cannot listen.
class TransportEcho {
 public:
  static absl::StatusOr<std::unique_ptr<TransportEcho>> Start(
      const std::string& address, EchoShape shape,
      std::shared_ptr<grpc::ServerCredentials> credentials);
  ~TransportEcho();
  void Shutdown();
  // The TCP port it listens on (for a TCP address; meaningless for unix).
  int port() const { return port_; }

 private:
  class Service;
  TransportEcho() = default;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  bool shut_down_ = false;
  int port_ = 0;
};

}  // namespace vigil::loadgen

#endif  // VIGIL_TOOLS_LOADGEN_TRANSPORT_ECHO_H_
