// vigilctl-admin: the vigilctl commands that talk to a running service over
// the network: `token verify` (an OIDC issuer over HTTPS) and the control
// plane's `policy get|set|reset|history|dry-run`, `policy-certs
// list|add|remove` and `audit` (the verifier's vigil.v1.PolicyAdmin over
// gRPC; admin_command.h). A separate, dynamically linked executable like
// vigilctl-tpm: it links cpp-httplib and gRPC, which use the shared OpenSSL,
// while vigilctl is linked statically for start-up speed and must not hold a
// second OpenSSL. vigilctl execs it for these commands; it can also be run
// directly. Exit codes: exit_codes.h (0 ok, 1 internal, 2 usage or bad
// input, 3 refused, 4 invalid request, 69 unavailable).
#include <iostream>
#include <string>
#include <vector>

#include "tools/vigilctl/admin_command.h"
#include "tools/vigilctl/exit_codes.h"
#include "tools/vigilctl/token_command.h"

namespace {

constexpr char kUsage[] =
    "usage: vigilctl-admin token verify ...\n"
    "       vigilctl-admin policy get | set | reset | history | dry-run ...\n"
    "       vigilctl-admin policy-certs list | add | remove ...\n"
    "       vigilctl-admin audit ...\n"
    "(run as `vigilctl ...`; `vigilctl <group> <command> --help` for "
    "details)\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return vigil::vigilctl::kExitBadInput;
  }
  const std::string group = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (group == "token") return vigil::vigilctl::RunTokenCommand(rest);
  if (group == "policy") return vigil::vigilctl::RunPolicyAdminCommand(rest);
  if (group == "policy-certs") {
    return vigil::vigilctl::RunPolicyCertsAdminCommand(rest);
  }
  if (group == "audit") return vigil::vigilctl::RunAuditCommand(rest);
  std::cerr << "vigilctl-admin: unknown command group \"" << group << "\"\n"
            << kUsage;
  return vigil::vigilctl::kExitBadInput;
}
