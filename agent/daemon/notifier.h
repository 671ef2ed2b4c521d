// File: agent/daemon/notifier.h
// -----------------------------------------------------------------------------
// Telling the service manager how the agent is doing (sd_notify(3)):
// READY=1 once resources are open and privileges dropped, STATUS=<one line>
// on every state change, WATCHDOG=1 while the main loop runs, STOPPING=1 on
// shutdown.

#ifndef VIGIL_AGENT_DAEMON_NOTIFIER_H_
#define VIGIL_AGENT_DAEMON_NOTIFIER_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vigil::agent {

// Thread-safe.
class Notifier {
 public:
  virtual ~Notifier() = default;
  // Notify(state): sends one sd_notify state string, e.g. "READY=1".
  // Best effort: failures (no service manager) are ignored.
  virtual void Notify(absl::string_view state) = 0;
};

// sd_notify(0, state). Without NOTIFY_SOCKET (not under systemd) a no-op.
class SystemdNotifier final : public Notifier {
 public:
  void Notify(absl::string_view state) override;
  // How often to send WATCHDOG=1: half of WatchdogSec (sd_watchdog_enabled),
  // or zero when the unit has no watchdog.
  static absl::Duration WatchdogPeriod();
};

// Discards everything (tests, --once).
class NullNotifier final : public Notifier {
 public:
  void Notify(absl::string_view) override {}
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_DAEMON_NOTIFIER_H_
