// vigilctl-tpm: the `vigilctl tpm ...` commands (this machine's TPM). A
// separate, dynamically linked executable: it links tpm2-tss, which links the
// shared libcrypto, while vigilctl itself is linked statically for start-up
// speed (cmake/Dependencies.cmake) and must not hold a second OpenSSL.
// vigilctl execs it for the `tpm` group; it can also be run directly.
#include <string>
#include <vector>

#include "tools/vigilctl/tpm_command.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return vigil::vigilctl::RunTpmCommand(args);
}
