// vigilctl: the command-line tool for Vigil operators and policy authors.
// Thin: dispatches to one module per command group.
#include <iostream>
#include <string>
#include <vector>

#include "tools/vigilctl/eventlog_command.h"
#include "tools/vigilctl/jmespath_command.h"
#include "tools/vigilctl/policy_command.h"

namespace {

constexpr char kUsage[] =
    "usage: vigilctl <group> <command> [args]\n"
    "\n"
    "groups:\n"
    "  eventlog   show | replay | claims | events-json | summary   (TCG boot event logs)\n"
    "  policy     check | eval | hash   (Azure Attestation policy language 1.0-1.2)\n"
    "  jmespath   EXPRESSION [JSONFILE|-]   (evaluate a JMESPath query as policies do)\n"
    "\n"
    "Run `vigilctl <group> --help` for a group's commands.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" ||
      args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? vigil::vigilctl::kExitBadInput : 0;
  }
  const std::string group = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (group == "eventlog") return vigil::vigilctl::RunEventlogCommand(rest);
  if (group == "jmespath") return vigil::vigilctl::RunJmespathCommand(rest);
  if (group == "policy") return vigil::vigilctl::RunPolicyCommand(rest);
  std::cerr << "vigilctl: unknown command group \"" << group << "\"\n" << kUsage;
  return vigil::vigilctl::kExitBadInput;
}
