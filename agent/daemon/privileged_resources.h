// File: agent/daemon/privileged_resources.h
// -----------------------------------------------------------------------------
// What the agent needs root (or the tss group) for, opened first, before it
// drops to its service user (rust-keylime's privileged_resources.rs; style.md
// rule 25): the TPM connection, the securityfs event log (root-only) and the
// TLS files (the client key is root-only).
//
//   ASSIGN_OR_RETURN(PrivilegedResources r, OpenPrivilegedResources(config));
//   ASSIGN_OR_RETURN(DropOutcome d, DropPrivileges(config.user, config.group));
//
// After the drop, /dev/tpmrm0 stays usable through the descriptor already
// open; a TCTI that reconnects per command (swtpm:) needs its socket to be
// reachable by the service user.

#ifndef VIGIL_AGENT_DAEMON_PRIVILEGED_RESOURCES_H_
#define VIGIL_AGENT_DAEMON_PRIVILEGED_RESOURCES_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "agent/collect/event_log_source.h"
#include "agent/daemon/agent_config.h"
#include "tpm/device/esys_context.h"

namespace vigil::agent {

struct TlsFiles {
  std::string ca_bundle_pem;
  std::string client_cert_pem;
  std::string client_key_pem;  // SECRET
};

// ReadTlsFiles(config): the PEM files config names (none when insecure).
// Fails with kNotFound / kPermissionDenied / kInvalidArgument (empty file)
// as "config key: PATH: reason".
absl::StatusOr<TlsFiles> ReadTlsFiles(const AgentConfig& config);

// OpenTpm(config): the TPM at config.tcti. Fails as tpm::EsysContext::Open
// (kUnavailable when the device or socket cannot be reached).
absl::StatusOr<tpm::EsysContext> OpenTpm(const AgentConfig& config);

// OpenEventLog(config): the event log through a descriptor opened now
// (SysfsEventLogSource), or null when config.event_log is empty. Fails as
// SysfsEventLogSource::Open.
absl::StatusOr<std::unique_ptr<EventLogSource>> OpenEventLog(
    const AgentConfig& config);

enum class DropOutcome {
  kDropped,     // now running as the service user
  kNotRoot,     // was not root: nothing to drop (a warning is logged)
  kStayedRoot,  // user = root was configured (a warning is logged)
};

// DropPrivileges(user, group): as root, sets the supplementary groups to
// just the target group, then the real/effective/saved gid and uid
// (setgroups, setresgid, setresuid: in that order, since dropping the uid
// first would forbid the rest), then checks that root cannot be regained
// (setuid(0) must fail) and that every id is as asked. `group` empty means
// the user's primary group.
// Fails with kNotFound when the user or group does not exist,
// kPermissionDenied when a call fails or root could be regained (the
// process must then exit: its privileges are in an unknown state).
absl::StatusOr<DropOutcome> DropPrivileges(const std::string& user,
                                           const std::string& group);

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_DAEMON_PRIVILEGED_RESOURCES_H_
