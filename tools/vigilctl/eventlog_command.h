// File: tools/vigilctl/eventlog_command.h
// `vigilctl eventlog ...`: a stable contract other tools and checks call.
//
//   vigilctl eventlog show LOG [--format yaml|json]
//   vigilctl eventlog replay LOG [--expect FILE] [--format json|yaml]
//   vigilctl eventlog claims LOG [--expect FILE] [--format json|yaml]
//   vigilctl eventlog events-json LOG [--expect FILE]
//   vigilctl eventlog summary LOG [--expect FILE]     (text for people)
//
// Exit codes: 0 success; 2 malformed input or usage (one line on stderr
// naming the offset/field and the reason); 3 replay mismatch (replay or
// summary with --expect);
// 1 internal error.

#ifndef VIGIL_TOOLS_VIGILCTL_EVENTLOG_COMMAND_H_
#define VIGIL_TOOLS_VIGILCTL_EVENTLOG_COMMAND_H_

#include <string>
#include <vector>

#include "tools/vigilctl/exit_codes.h"

namespace vigil::vigilctl {

// Runs the subcommand in args[0] with the remaining arguments; writes results
// to stdout and diagnostics to stderr; returns the exit code.
int RunEventlogCommand(const std::vector<std::string>& args);

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_EVENTLOG_COMMAND_H_
