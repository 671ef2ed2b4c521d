// File: service/config/server_config.h
// -----------------------------------------------------------------------------
// vigil-verifier's configuration file (common/kv_config.h format). Every key,
// its default and meaning: docs/VERIFIER.md and systemd/vigil-verifier.conf.
// Validated as a whole at start: a bad file is one clear line and a non-zero
// exit, never a half-started server (issue #5 §2).
#ifndef VIGIL_SERVICE_CONFIG_SERVER_CONFIG_H_
#define VIGIL_SERVICE_CONFIG_SERVER_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "service/grpc/service_options.h"
#include "service/verifier/verifier.h"

namespace vigil::service {

struct ServerConfig {
  // gRPC listener: host:port (port 0 picks one) or unix:/path.
  std::string listen;
  // TLS for gRPC and HTTPS (PEM). Required unless `insecure`.
  std::string tls_cert;
  std::string tls_key;
  // Mutual TLS on the gRPC listener: when set, every agent must present a
  // client certificate that chains to one of these CAs (PEM bundle), or the
  // handshake fails. Empty: server-authenticated TLS only.
  std::string tls_client_ca;
  // Plaintext, only for unix: and loopback listeners (tests, demos).
  bool insecure = false;
  // HTTPS endpoint for relying parties (OpenID metadata, JWKS, health);
  // empty: none.
  std::string http_listen;
  VerifierOptions verifier;
  ServiceOptions service;
};

// Parses and validates. Fails with kInvalidArgument "FILE:LINE: key: why"
// (or "FILE: key: required").
absl::StatusOr<ServerConfig> ParseServerConfig(absl::string_view text,
                                               absl::string_view filename);
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path);

// True for unix:, localhost, 127.0.0.0/8 and [::1] addresses.
bool IsLoopbackAddress(absl::string_view address);

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_CONFIG_SERVER_CONFIG_H_
