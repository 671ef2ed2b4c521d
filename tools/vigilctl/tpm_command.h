// File: tools/vigilctl/tpm_command.h
// `vigilctl tpm ...`: operator commands on a machine's TPM (issue #4 §4).
//
//   vigilctl tpm info [--format json|yaml]
//   vigilctl tpm ek-cert [--kind rsa2048|ecc-p256|ecc-p384] [--out FILE]
//   [--check-key] vigilctl tpm ak create [--alg ecc-p256|rsa2048] [--handle
//   0x81010002] [--replace] vigilctl tpm ak show [--handle 0x81010002]
//   [--format json|yaml] vigilctl tpm pcrs [--banks sha1,sha256] [--format
//   json|yaml] vigilctl tpm quote --nonce HEX --out DIR [--pcrs 0,1,7] [--banks
//   sha256] [--handle H] vigilctl tpm activate --in FILE [--handle H] [--ek
//   rsa2048|ecc-p256|ecc-p384]
// Every subcommand takes --tcti (default device:/dev/tpmrm0; also tabrmd,
// swtpm:path=SOCKET, swtpm:host=H,port=P).
//
// Exit codes: 0 success; 2 bad input or a TPM state the request cannot use
// (malformed flag or file, no AK at the handle, handle taken, unknown TCTI);
// 69 (EX_UNAVAILABLE, sysexits.h) the TPM cannot be reached or asked to
// retry; 1 internal error. Diagnostics are one line on stderr.

#ifndef VIGIL_TOOLS_VIGILCTL_TPM_COMMAND_H_
#define VIGIL_TOOLS_VIGILCTL_TPM_COMMAND_H_

#include <string>
#include <vector>

#include "tools/vigilctl/exit_codes.h"

namespace vigil::vigilctl {

// Runs the subcommand in args[0] with the remaining arguments; returns the
// exit code.
int RunTpmCommand(const std::vector<std::string>& args);

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_TPM_COMMAND_H_
