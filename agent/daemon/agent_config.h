// File: agent/daemon/agent_config.h
// -----------------------------------------------------------------------------
// The agent's configuration file: `key = value` lines, `#` comments, blank
// lines ignored; every key at most once; unknown keys are errors (a typo must
// not silently fall back to a default). Example: systemd/vigil-agent.conf
// and agent/README.md, which lists every key.
//
//   verifier   = verifier.example.com:8443
//   tls_ca     = /etc/vigil/verifier-ca.pem
//   tcti       = device:/dev/tpmrm0
//   interval   = 1h
//   user       = vigil
//
// Errors name the place: "agent.conf:7: interval: want a duration such as
// 30s, 5m or 1h, got \"soon\"".

#ifndef VIGIL_AGENT_DAEMON_AGENT_CONFIG_H_
#define VIGIL_AGENT_DAEMON_AGENT_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tpm/device/attestation_key.h"
#include "tpm/device/ek.h"

namespace vigil::agent {

struct AgentConfig {
  // Where the verifier is (gRPC target: host:port, unix:/path). Required.
  std::string verifier;
  // TLS: the CA bundle that signs the verifier's certificate (required
  // unless insecure), and optionally a client certificate and key (both or
  // neither) for mutual TLS. PEM files, read before privileges are dropped.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  // Plaintext gRPC; accepted only for unix: and loopback verifiers. Off by
  // default: evidence and tokens must not cross a network in clear.
  bool insecure = false;
  // The TPM (tpm/device/esys_context.h TctiConfig text form).
  std::string tcti = "device:/dev/tpmrm0";
  // The boot event log; empty for none.
  std::string event_log = "/sys/kernel/security/tpm0/binary_bios_measurements";
  uint32_t ak_handle = tpm::kDefaultAkHandle;
  tpm::AkAlg ak_alg = tpm::AkAlg::kEccNistP256;  // for a newly created AK
  tpm::EkKind ek = tpm::EkKind::kRsa2048;
  // Where the latest token is written (atomically, mode 0644).
  std::string token_file = "/run/vigil/token";
  // Re-attest at least this often, even if the verifier does not ask.
  absl::Duration interval = absl::Hours(1);
  // Reconnect delays: jittered exponential between these two.
  absl::Duration backoff_min = absl::Seconds(1);
  absl::Duration backoff_max = absl::Minutes(5);
  // How long the verifier may take to answer one step of the dialogue.
  absl::Duration step_timeout = absl::Seconds(60);
  // HTTP/2 keepalive ping interval (verifier_client.h explains the default).
  absl::Duration keepalive = absl::Minutes(5);
  // The unprivileged account the agent runs as after opening the TPM and
  // the log. "root" keeps root (with a warning). group defaults to the
  // user's primary group.
  std::string user = "vigil";
  std::string group;
};

// ParseAgentConfig(text, filename): the configuration in `text`, defaults
// for keys not given, validated as a whole (TCTI syntax, handle range,
// durations, backoff_min <= backoff_max, TLS file pairs, insecure only for
// loopback/unix verifiers). Does not read the files it names.
// Fails with kInvalidArgument and one line "FILENAME:LINE: key: reason"
// (or "FILENAME: key: reason" for a missing required key).
absl::StatusOr<AgentConfig> ParseAgentConfig(absl::string_view text,
                                             absl::string_view filename);

// LoadAgentConfig(path): reads `path` and parses it. Fails with kNotFound /
// kPermissionDenied ("PATH: reason") when it cannot be read, and as
// ParseAgentConfig.
absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path);

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_DAEMON_AGENT_CONFIG_H_
