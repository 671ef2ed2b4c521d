// File: agent/daemon/log.h
// -----------------------------------------------------------------------------
// The agent's log: one line per event on stderr, which systemd hands to the
// journal. Under systemd (JOURNAL_STREAM set) lines start with an
// sd-daemon(3) priority prefix ("<4>" warning) so journald records the level.
// Never pass secrets here: no credential secrets, no keys, and tokens only as
// TokenSummary() describes them.

#ifndef VIGIL_AGENT_DAEMON_LOG_H_
#define VIGIL_AGENT_DAEMON_LOG_H_

#include <string>

#include "absl/strings/string_view.h"

namespace vigil::agent {

void LogInfo(absl::string_view message);
void LogWarning(absl::string_view message);
void LogError(absl::string_view message);

// What may be logged about a token: its length and last 6 characters (part
// of the signature: enough to match it to a file, useless to replay).
std::string TokenSummary(absl::string_view token);

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_DAEMON_LOG_H_
