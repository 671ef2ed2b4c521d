#include "agent/daemon/notifier.h"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <string>

namespace vigil::agent {

void SystemdNotifier::Notify(absl::string_view state) {
  ::sd_notify(0, std::string(state).c_str());
}

absl::Duration SystemdNotifier::WatchdogPeriod() {
  uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
    return absl::ZeroDuration();
  }
  return absl::Microseconds(static_cast<int64_t>(usec)) / 2;
}

}  // namespace vigil::agent
