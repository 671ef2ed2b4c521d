// File: service/grpc/server.h
// -----------------------------------------------------------------------------
// Puts a Verifier on a gRPC listener: TLS (gRPC's minimum is TLS 1.2) from
// PEM files, or plaintext for loopback/unix listeners when configured;
// 32 MiB message limit; keepalive enforcement so dead agents are reaped.
#ifndef VIGIL_SERVICE_GRPC_SERVER_H_
#define VIGIL_SERVICE_GRPC_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "service/grpc/attestation_service_impl.h"

namespace vigil::service {

struct ListenerOptions {
  std::string address;  // host:port (port 0: any free port) or unix:/path
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM CA bundle; when set, clients must present a certificate chaining to
  // it (mutual TLS).
  std::string tls_client_ca_file;
  bool insecure = false;
  // For a unix:/path address: the group (by name) that may connect, e.g.
  // the TLS front's (docs/VERIFIER.md, "Large fleets"). The socket is then
  // mode 0660 with this group; empty: mode 0600 (the verifier's user only).
  std::string unix_socket_group;
};

struct RunningServer {
  std::unique_ptr<AttestationServiceImpl> service;
  std::unique_ptr<grpc::Server> server;
  std::string address;  // with the chosen port ("127.0.0.1:40123")

  // Closes agent streams (UNAVAILABLE: reconnect), then stops the server,
  // waiting up to `grace` for calls in flight.
  void Shutdown(absl::Duration grace);
};

// TLS credentials for a listener from PEM files: the certificate chain and
// key, and when `client_ca_file` is set, client certificates verified
// against it — required (`require_client_certificate`) or verified only when
// sent. Fails with kInvalidArgument naming the unreadable file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(
    const std::string& cert_file, const std::string& key_file,
    const std::string& client_ca_file, bool require_client_certificate);

// For a unix:/path listener: kUnavailable when a process already serves on
// that socket. gRPC unlinks the path and binds anew, which would silently
// take the socket from a running verifier; a stale socket file (nobody
// accepting) is fine. OK for other addresses.
absl::Status CheckUnixSocketFree(const std::string& address);

// For a unix:/path address, once bound: makes the socket mode 0600, or 0660
// and of `group` (a group name) when it is not empty, so that only this
// user, or that group's members, can connect. The verifier's user must be
// a member of `group` (or have CAP_CHOWN). Fails with kFailedPrecondition
// naming the socket, the group and the cause: no such group, or chown or
// chmod refused (a configuration problem a restart does not fix). OK and
// nothing done for other addresses.
absl::Status RestrictUnixSocket(const std::string& address,
                                const std::string& group);

// Applies `limits` to `builder`'s listener: above the quota gRPC cancels
// streams with RESOURCE_EXHAUSTED; connections that stall in their
// handshake are closed, stream-less ones sent GOAWAY and closed (gRPC 1.51
// sends INTERNAL_ERROR in that GOAWAY).
// Clients cannot fail this; it cannot fail.
void LimitTransport(grpc::ServerBuilder& builder,
                    const TransportLimits& limits);

// Starts serving `verifier` (which must outlive the result). Fails with
// kInvalidArgument when TLS files cannot be read (naming them) or the
// address is malformed, kUnavailable when it cannot bind (a TCP port in
// use: no SO_REUSEPORT; a unix socket served by another process), and as
// RestrictUnixSocket when a unix socket's access cannot be set (the server
// is then stopped).
absl::StatusOr<RunningServer> StartServer(Verifier* verifier,
                                          const ListenerOptions& listener,
                                          const ServiceOptions& options);

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_GRPC_SERVER_H_
