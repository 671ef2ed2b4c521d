// vigilctl-admin: the vigilctl commands that talk to a running service over
// the network (`token` now; the control plane's policy management next). A
// separate, dynamically linked executable like vigilctl-tpm: it links
// cpp-httplib (and gRPC), which use the shared OpenSSL, while vigilctl is
// linked statically for start-up speed and must not hold a second OpenSSL.
// vigilctl execs it for these groups; it can also be run directly.
#include <iostream>
#include <string>
#include <vector>

#include "tools/vigilctl/eventlog_command.h"
#include "tools/vigilctl/token_command.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << "usage: vigilctl-admin token ...\n";
    return vigil::vigilctl::kExitBadInput;
  }
  const std::string group = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (group == "token") return vigil::vigilctl::RunTokenCommand(rest);
  std::cerr << "vigilctl-admin: unknown command group \"" << group << "\"\n";
  return vigil::vigilctl::kExitBadInput;
}
