// vigilctl: the command-line tool for Vigil operators and policy authors.
// Thin: dispatches to one module per command group. The offline commands run
// here (linked statically); `tpm` runs the sibling vigilctl-tpm, and the
// commands that talk to a running service (`token`, `audit`, `policy
// get|set|reset|history|dry-run`, `policy-certs list|add|remove`) run the
// sibling vigilctl-admin. Exit codes: tools/vigilctl/exit_codes.h (0 ok,
// 1 internal, 2 usage or bad input, 3 refused, 4 invalid request,
// 69 unavailable).
#include <unistd.h>

#include <cerrno>
#include <cstring>
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
    "  eventlog   show | replay | claims | events-json | summary   (TCG boot "
    "event logs)\n"
    "  tpm        info | ek-cert | ak | pcrs | quote | activate   (this "
    "machine's TPM)\n"
    "  policy     check | eval | hash | sign   (Azure Attestation policy "
    "language\n"
    "             1.0-1.2, offline)\n"
    "             get | set | reset | history | dry-run   (a verifier's "
    "policies)\n"
    "  policy-certs  make-change   (offline) | list | add | remove   (a "
    "verifier's\n"
    "             policy-management certificates)\n"
    "  audit      [--since ...] [--action ...] [--all] ...   (a verifier's "
    "audit trail)\n"
    "  jmespath   EXPRESSION [JSONFILE|-]   (evaluate a JMESPath query as "
    "policies do)\n"
    "  token      verify   (check a PlatformAttested token as a relying party "
    "does)\n"
    "\n"
    "Run `vigilctl <group> --help` for a group's commands.\n"
    "exit: 0 ok, 1 internal, 2 usage or bad input, 3 refused, 4 invalid\n"
    "      request, 69 unavailable (tools/vigilctl/exit_codes.h)\n";

using vigil::vigilctl::kExitBadInput;
using vigil::vigilctl::kExitUnavailable;

// The subcommands that talk to a running verifier's admin service, run by
// vigilctl-admin (admin_main.cc says why it is separate).
bool IsAdminSubcommand(const std::string& group,
                       const std::vector<std::string>& rest) {
  if (group == "token" || group == "audit") return true;
  if (rest.empty()) return false;
  const std::string& sub = rest[0];
  if (group == "policy") {
    return sub == "get" || sub == "set" || sub == "reset" || sub == "history" ||
           sub == "dry-run" || sub == "export" || sub == "import";
  }
  if (group == "policy-certs") {
    return sub == "list" || sub == "add" || sub == "remove";
  }
  return false;
}

// Runs the sibling executable `name` (vigilctl-tpm, vigilctl-admin) from
// vigilctl's own directory with `args`. Returns only on error: exit 69.
int ExecSibling(const std::string& name, const std::vector<std::string>& args) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string dir = ".";
  if (n > 0) {
    self[n] = '\0';
    dir = std::string(self);
    dir = dir.substr(0, dir.rfind('/'));
  }
  const std::string path = dir + "/" + name;
  std::vector<char*> argv;
  std::string argv0 = name;
  argv.push_back(argv0.data());
  std::vector<std::string> copy = args;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(path.c_str(), argv.data());
  std::cerr << "vigilctl: cannot run " << path << ": " << std::strerror(errno)
            << "\n";
  return kExitUnavailable;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" ||
      args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? kExitBadInput : 0;
  }
  const std::string group = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (IsAdminSubcommand(group, rest))
    return ExecSibling("vigilctl-admin", args);
  if (group == "eventlog") return vigil::vigilctl::RunEventlogCommand(rest);
  if (group == "jmespath") return vigil::vigilctl::RunJmespathCommand(rest);
  if (group == "policy") return vigil::vigilctl::RunPolicyCommand(rest);
  if (group == "policy-certs") {
    return vigil::vigilctl::RunPolicyCertsCommand(rest);
  }
  if (group == "tpm") return ExecSibling("vigilctl-tpm", rest);
  std::cerr << "vigilctl: unknown command group \"" << group << "\"\n"
            << kUsage;
  return kExitBadInput;
}
