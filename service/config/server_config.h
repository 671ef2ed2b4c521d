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
#include "service/admin/policy_manager.h"
#include "service/auth/oidc_authenticator.h"
#include "service/grpc/service_options.h"
#include "service/http/connection_limits.h"
#include "service/verifier/verifier.h"

namespace vigil::service {

// The control plane (issue #6; docs/VERIFIER.md "Control plane"). Off
// unless `store` is set.
struct ControlPlaneConfig {
  // "sqlite:/var/lib/vigil-verifier/store.db" or "postgres:<libpq conninfo>"
  // (several replicas share one PostgreSQL database).
  std::string store;
  admin::Mode mode = admin::Mode::kAuthenticated;
  // The admin API: unix:/path (mode 0600: local administrators) or
  // host:port (TLS with the gRPC certificate; callers by client
  // certificate, mapped to roles below).
  std::string admin_listen = "unix:/run/vigil-verifier/admin.sock";
  std::string admin_client_ca;  // PEM bundle for admin client certs
  std::string admin_readers;    // role rules (service/auth/access.h)
  std::string admin_contributors;
  // PEM file of policy-management certificates: seeds the store's set when
  // it has none (required for isolated mode).
  std::string policy_signers;
  // OIDC bearer tokens on the admin listener (service/auth/
  // oidc_authenticator.h): off unless oidc_issuer is set. The provider's
  // keys come from oidc_jwks_url, or from the jwks_uri of its
  // /.well-known/openid-configuration; oidc_ca is the CA bundle for its
  // HTTPS (empty: the system's).
  auth::OidcOptions oidc;
  std::string oidc_jwks_url;
  std::string oidc_ca;
  // Audit events older than this are pruned (hourly); zero keeps them all.
  absl::Duration audit_retention = absl::Hours(24 * 365);
};

struct ServerConfig {
  // gRPC listener: host:port (port 0 picks one) or unix:/path.
  std::string listen;
  // For a unix:/path listener: the group whose members may connect (the
  // socket is made 0660 with it; without it 0600). For a TLS front on this
  // host (`listen_tls = front`), the front's group, so that only the front
  // reaches the plaintext listener.
  std::string listen_socket_group;
  // TLS for gRPC and HTTPS (PEM). Required unless `insecure`.
  std::string tls_cert;
  std::string tls_key;
  // Mutual TLS on the gRPC listener: when set, every agent must present a
  // client certificate that chains to one of these CAs (PEM bundle), or the
  // handshake fails. Empty: server-authenticated TLS only.
  std::string tls_client_ca;
  // Plaintext, only for unix: and loopback listeners (tests, demos).
  bool insecure = false;
  // `listen_tls = front`: the gRPC listener is plaintext because a TLS
  // front on this host (HAProxy: systemd/haproxy-vigil-agents.cfg.example)
  // ends the agents' mutual TLS and forwards their streams; only on unix:
  // or loopback, and without tls_client_ca (the front checks client
  // certificates). The other listeners keep their TLS.
  bool listen_behind_front = false;
  // HTTPS endpoint for relying parties (OpenID metadata, JWKS, health);
  // empty: none.
  std::string http_listen;
  // Prometheus endpoint (GET /metrics; service/http/metrics_endpoint.h):
  // host:port, empty: none. TLS like the others; with metrics_client_ca
  // (PEM bundle) a scraper must present a certificate from it.
  std::string metrics_listen;
  std::string metrics_client_ca;
  // Threads of the HTTPS and metrics listeners, and what one client or a
  // slow one may hold of them (http_threads, http_connections_per_client,
  // http_request_timeout).
  ConnectionLimits http_limits;
  VerifierOptions verifier;
  ServiceOptions service;
  ControlPlaneConfig control;
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
