// File: tools/vigilctl/policy_command.h
// `vigilctl policy ...` for policy authors (a stable contract):
//
//   vigilctl policy check FILE [--compat]
//   vigilctl policy eval --policy FILE --claims CLAIMS.json [--compat] [--explain]
//   vigilctl policy hash FILE
//
// Files without a `version=...;` header are compiled as rule lists.
// Exit codes: 0 valid / evaluation ran (permit or deny) / hash printed;
// 2 policy errors (`FILE:LINE:COL: error: ...` with the source line and a
// caret, on stderr), unreadable files or malformed claims; 4 an evaluation
// error (one line naming the rule's line:col and why); 1 internal error.

#ifndef VIGIL_TOOLS_VIGILCTL_POLICY_COMMAND_H_
#define VIGIL_TOOLS_VIGILCTL_POLICY_COMMAND_H_

#include <string>
#include <vector>

namespace vigil::vigilctl {

inline constexpr int kExitEvaluationError = 4;

int RunPolicyCommand(const std::vector<std::string>& args);

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_POLICY_COMMAND_H_
