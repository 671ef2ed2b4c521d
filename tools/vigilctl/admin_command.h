// File: tools/vigilctl/admin_command.h
// -----------------------------------------------------------------------------
// The vigilctl commands that manage a running verifier through its admin
// service, vigil.v1.PolicyAdmin (issue #6 §6; admin_client.h), in
// vigilctl-admin:
//
//   vigilctl policy get [--type Tpm] [--jws]
//   vigilctl policy set FILE --type T [--key K.pem --cert C.pem]
//       [--expected-version N]
//   vigilctl policy reset --type T [--key K.pem --cert C.pem]
//   vigilctl policy history --type T [--limit N]
//   vigilctl policy dry-run FILE --claims CLAIMS.json [--type Tpm] [--explain]
//   vigilctl policy export [--out FILE]
//   vigilctl policy import FILE [--dry-run] [--trust-dir DIR]
//   vigilctl policy-certs list
//   vigilctl policy-certs add|remove (CERT.pem --key K.pem --cert C.pem |
//       --jws FILE)
//   vigilctl audit [--since T] [--until T] [--actor ID] [--action A]
//       [--type T] [--result R] [--limit N] [--after-id ID] [--oldest-first]
//       [--all]
//
// Every command takes --admin ADDR (default $VIGIL_ADMIN, else
// unix:/run/vigil-verifier/admin.sock), --ca PEM, --client-cert PEM --client-key PEM,
// --bearer-token-file FILE (never printed), --timeout 30s and
// --format yaml|json (default yaml). `set` sends FILE as it is when it holds
// a JWS (`vigilctl policy sign`'s output), else wraps its text: signed with
// --key/--cert, else unsigned. `add`/`remove` sign the change of
// policy_signing.h, or send a ready one (--jws). `import` checks FILE
// (service/admin/policy_archive.h) before sending it (exit 2 naming the
// field) and, with --trust-dir, writes the archive's trust certificates
// into DIR (new or empty) once the import has been applied.
//
// Exit codes (exit_codes.h): 0 done; 2 usage or a bad input file (nothing
// was sent); 3 the service refused the caller (PERMISSION_DENIED,
// UNAUTHENTICATED); 4 the service says the request is invalid
// (INVALID_ARGUMENT, FAILED_PRECONDITION, ABORTED, NOT_FOUND,
// ALREADY_EXISTS, OUT_OF_RANGE, RESOURCE_EXHAUSTED); 69 the service cannot
// be reached (UNAVAILABLE, DEADLINE_EXCEEDED) or does not serve PolicyAdmin
// (UNIMPLEMENTED); 1 anything else (INTERNAL, UNKNOWN, ...). A failure is
// one line on stderr with the service's message (a refused policy: the
// compiler's LINE:COL lines).

#ifndef VIGIL_TOOLS_VIGILCTL_ADMIN_COMMAND_H_
#define VIGIL_TOOLS_VIGILCTL_ADMIN_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/vigilctl/exit_codes.h"

namespace vigil::vigilctl {

// The online subcommands of the `policy` group (get, set, reset, history,
// dry-run, export, import); args[0] is the subcommand.
int RunPolicyAdminCommand(const std::vector<std::string>& args);
// `policy-certs list|add|remove`.
int RunPolicyCertsAdminCommand(const std::vector<std::string>& args);
// `audit [flags]` (no subcommand).
int RunAuditCommand(const std::vector<std::string>& args);

// ExitCodeForServiceStatus: the exit code of a call that failed with `code`
// (the table in the file comment); kExitOk for kOk.
int ExitCodeForServiceStatus(absl::StatusCode code);

// ParseAuditTime: the time `text` names, for --since/--until: an RFC 3339
// time ("2026-11-01T00:00:00Z", "2026-11-01T01:00:00+01:00") or a time ago,
// relative to `now` ("-1h", "-90m", "-1h30m", "-7d"). Fails with
// kInvalidArgument naming `flag` and what it wants, for anything else, a
// time ago that is not negative, or a time before 1970.
absl::StatusOr<absl::Time> ParseAuditTime(absl::string_view flag,
                                          absl::string_view text,
                                          absl::Time now);

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_ADMIN_COMMAND_H_
