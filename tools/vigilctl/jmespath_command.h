// File: tools/vigilctl/jmespath_command.h
// `vigilctl jmespath EXPRESSION [JSONFILE|-]`: evaluates a JMESPath expression
// (with Azure Attestation's equals_ignore_case) on a JSON document, as a
// policy's JmesPath() call would, and prints the result as JSON.
// Exit codes: 0 evaluated (a miss prints null); 2 a bad expression, bad JSON
// or an evaluation error — one line on stderr: "vigilctl: jmespath: <kind>
// error at column N: ..." (kinds as the JMESPath compliance suite names them:
// syntax, invalid-type, invalid-value, invalid-arity, unknown-function).

#ifndef VIGIL_TOOLS_VIGILCTL_JMESPATH_COMMAND_H_
#define VIGIL_TOOLS_VIGILCTL_JMESPATH_COMMAND_H_

#include <string>
#include <vector>

namespace vigil::vigilctl {

int RunJmespathCommand(const std::vector<std::string>& args);

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_JMESPATH_COMMAND_H_
