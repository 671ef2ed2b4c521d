// vigilctl: the command-line tool for Vigil operators and policy authors.
// Thin: dispatches to one module per command group.
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
    "  policy     check | eval | hash   (Azure Attestation policy language "
    "1.0-1.2)\n"
    "  jmespath   EXPRESSION [JSONFILE|-]   (evaluate a JMESPath query as "
    "policies do)\n"
    "  token      verify   (check a PlatformAttested token as a relying party "
    "does)\n"
    "\n"
    "Run `vigilctl <group> --help` for a group's commands.\n";

// EX_UNAVAILABLE (sysexits.h): a part of vigilctl is not installed.
constexpr int kExitUnavailable = 69;

// `vigilctl tpm ...` runs the sibling executable vigilctl-tpm (see
// tools/vigilctl/tpm_main.cc for why it is separate). Returns only on error.
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
    return args.empty() ? vigil::vigilctl::kExitBadInput : 0;
  }
  const std::string group = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (group == "eventlog") return vigil::vigilctl::RunEventlogCommand(rest);
  if (group == "jmespath") return vigil::vigilctl::RunJmespathCommand(rest);
  if (group == "policy") return vigil::vigilctl::RunPolicyCommand(rest);
  if (group == "tpm") return ExecSibling("vigilctl-tpm", rest);
  if (group == "token") return ExecSibling("vigilctl-admin", args);
  std::cerr << "vigilctl: unknown command group \"" << group << "\"\n"
            << kUsage;
  return vigil::vigilctl::kExitBadInput;
}
