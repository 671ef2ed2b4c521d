// File: tools/vigilctl/policy_command.h
// `vigilctl policy ...` and `vigilctl policy-certs make-change` for policy
// authors, offline (a stable contract):
//
//   vigilctl policy check FILE [--compat]
//   vigilctl policy eval --policy FILE --claims CLAIMS.json [--compat]
//   [--explain] vigilctl policy hash FILE vigilctl policy sign FILE (--key
//   KEY.pem --cert CHAIN.pem | --unsigned) [--out OUT] vigilctl policy sign
//   --reset [--key KEY.pem --cert CHAIN.pem] [--out OUT] vigilctl policy-certs
//   make-change CERT.pem --key SIGNER.key
//       --cert SIGNER_CHAIN.pem [--out OUT]
//
// Files without a `version=...;` header are compiled as rule lists. `sign`
// and `make-change` write the JWS of Azure Attestation's policy API
// (policy_signing.h) to OUT or stdout. The commands that talk to a running
// verifier (policy get|set|reset|history|dry-run, policy-certs
// list|add|remove) are admin_command.h's, in vigilctl-admin.
// Exit codes: 0 valid / evaluation ran (permit or deny) / hash or JWS
// written; 2 usage, policy errors (`FILE:LINE:COL: error: ...` with the
// source line and a caret, on stderr), unreadable files, malformed claims,
// a key or certificate that cannot sign; 4 an evaluation error (one line
// naming the rule's line:col and why); 1 internal error.

#ifndef VIGIL_TOOLS_VIGILCTL_POLICY_COMMAND_H_
#define VIGIL_TOOLS_VIGILCTL_POLICY_COMMAND_H_

#include <string>
#include <vector>

#include "tools/vigilctl/exit_codes.h"

namespace vigil::vigilctl {

int RunPolicyCommand(const std::vector<std::string>& args);
// The offline part of the `policy-certs` group: make-change.
int RunPolicyCertsCommand(const std::vector<std::string>& args);

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_POLICY_COMMAND_H_
