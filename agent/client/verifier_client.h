// File: agent/client/verifier_client.h
// -----------------------------------------------------------------------------
// The agent's side of vigil.v1.AttestationService/Connect over gRPC. This
// header does not include grpcpp (the implementation does), so the daemon's
// translation units stay cheap to compile and the state machine can be driven
// by fakes of VerifierStream / VerifierConnector.
//
//   ASSIGN_OR_RETURN(auto client, VerifierClient::Create(options));
//   ASSIGN_OR_RETURN(auto stream, client->Connect());
//   RETURN_IF_ERROR(stream->Send(hello));
//   ASSIGN_OR_RETURN(v1::VerifierMessage m,
//   stream->Receive(absl::Seconds(60)));
//
// Transport (attestation_service.proto): messages up to 32 MiB each way; TLS
// 1.2 or newer with the configured CA bundle (and a client certificate for
// mutual TLS); plaintext only to unix: sockets and loopback addresses, and
// only when asked for; HTTP/2 keepalive pings so a dead verifier or a dropped
// NAT mapping is noticed without waiting for the next attestation.

#ifndef VIGIL_AGENT_CLIENT_VERIFIER_CLIENT_H_
#define VIGIL_AGENT_CLIENT_VERIFIER_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/grpc_target.h"
#include "vigil/v1/attestation_service.pb.h"

namespace vigil::agent {

// The transport's cap on one message (attestation_service.proto).
inline constexpr int kMaxMessageSize = 32 * 1024 * 1024;

// One Connect stream. Send and Receive are called by one thread (the state
// machine); Cancel may be called from any thread at any time.
class VerifierStream {
 public:
  virtual ~VerifierStream() = default;
  // Send(message): queues one message. Fails with the stream's final status
  // (kUnavailable when the verifier went away, kCancelled after Cancel).
  virtual absl::Status Send(const v1::AgentMessage& message) = 0;
  // Receive(timeout): the next verifier message. Fails with
  // kDeadlineExceeded when none arrived within `timeout` (the stream stays
  // usable), and otherwise with the status the stream ended with: the
  // verifier's error (its one-line message), kUnavailable when it closed the
  // stream without one or the connection broke, kCancelled after Cancel.
  // The message is UNTRUSTED input from the network.
  virtual absl::StatusOr<v1::VerifierMessage> Receive(
      absl::Duration timeout) = 0;
  // Cancel(): ends the stream; blocked and later calls return kCancelled.
  virtual void Cancel() = 0;
};

// Opens Connect streams. Thread-safe.
class VerifierConnector {
 public:
  virtual ~VerifierConnector() = default;
  // Connect(): a new stream. Fails with kUnavailable when the verifier cannot
  // be reached within the connect timeout.
  virtual absl::StatusOr<std::unique_ptr<VerifierStream>> Connect() = 0;
};

struct VerifierClientOptions {
  // "host:port", "dns:///host:port", "ipv4:127.0.0.1:port",
  // "unix:/path/to/socket" (gRPC target syntax).
  std::string target;
  // PEM contents (not paths: the daemon reads them before dropping
  // privileges). ca_bundle_pem is required unless insecure.
  std::string ca_bundle_pem;
  std::string client_cert_pem;  // mutual TLS: both or neither
  std::string client_key_pem;   // SECRET
  // Plaintext. Refused unless the target is a unix: socket or a loopback
  // address, so a misconfiguration cannot send evidence and tokens in clear
  // over a network.
  bool insecure = false;
  absl::Duration connect_timeout = absl::Seconds(10);
  // HTTP/2 keepalive. 5 minutes by default because a gRPC server's default
  // policy (GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS = 5 min)
  // answers more frequent pings on an idle stream with GOAWAY
  // ENHANCE_YOUR_CALM; a verifier that allows more may be pinged more often.
  absl::Duration keepalive_time = absl::Minutes(5);
  absl::Duration keepalive_timeout = absl::Seconds(20);
};

// IsLoopbackTarget lives in common/grpc_target.h (vigilctl-admin uses it
// too); named here for the agent's callers.
using ::vigil::IsLoopbackTarget;

// The gRPC implementation of VerifierConnector.
class VerifierClient final : public VerifierConnector {
 public:
  // Create(options): builds the channel (no I/O yet). Fails with
  // kInvalidArgument for an empty target, insecure with a non-loopback
  // target, TLS without a CA bundle, or half a client key pair.
  static absl::StatusOr<std::unique_ptr<VerifierClient>> Create(
      const VerifierClientOptions& options);
  ~VerifierClient() override;

  absl::StatusOr<std::unique_ptr<VerifierStream>> Connect() override;

 private:
  struct Impl;
  explicit VerifierClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_CLIENT_VERIFIER_CLIENT_H_
