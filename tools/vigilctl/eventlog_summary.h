// File: tools/vigilctl/eventlog_summary.h
// The human-readable report of `vigilctl eventlog summary LOG`: what was
// verified and how, integrity findings, quirks, the Secure Boot state, boot
// applications and the derived claims with the reason for each one that could
// not be derived. For people; scripts use replay / claims / events-json.

#ifndef VIGIL_TOOLS_VIGILCTL_EVENTLOG_SUMMARY_H_
#define VIGIL_TOOLS_VIGILCTL_EVENTLOG_SUMMARY_H_

#include <string>

#include "eventlog/replayed_log.h"

namespace vigil::vigilctl {

// Renders the report for `log` (read from `path`). Never fails: sections
// whose data cannot be extracted say why.
std::string RenderEventlogSummary(const std::string& path,
                                  const eventlog::ReplayedLog& log);

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_EVENTLOG_SUMMARY_H_
