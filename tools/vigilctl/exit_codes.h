// File: tools/vigilctl/exit_codes.h
// -----------------------------------------------------------------------------
// vigilctl's exit codes, one table for every command group (each group's
// usage text and header say which of them it uses):
//
//   0   success (an evaluation that denies is a success too)
//   1   internal error (a bug, or OpenSSL failing)
//   2   usage error or bad input: an unknown flag, a missing value, a file
//       that cannot be read or does not parse, a key that cannot sign
//   3   refused: a replay mismatch (eventlog --expect); a token that does not
//       verify (token verify); the admin service refused the caller
//       (PERMISSION_DENIED, UNAUTHENTICATED)
//   4   the input is well formed but cannot be applied: a policy evaluation
//       error (policy eval); the admin service says the request is invalid
//       (INVALID_ARGUMENT, FAILED_PRECONDITION, ABORTED, NOT_FOUND,
//       ALREADY_EXISTS, OUT_OF_RANGE)
//   69  EX_UNAVAILABLE (sysexits.h): something vigilctl needs cannot be
//       reached: the TPM, an OIDC issuer, the admin service (UNAVAILABLE,
//       DEADLINE_EXCEEDED), or a sibling executable that is not installed

#ifndef VIGIL_TOOLS_VIGILCTL_EXIT_CODES_H_
#define VIGIL_TOOLS_VIGILCTL_EXIT_CODES_H_

namespace vigil::vigilctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitMismatch = 3;
inline constexpr int kExitRefused = 3;
inline constexpr int kExitEvaluationError = 4;
inline constexpr int kExitRequestInvalid = 4;
inline constexpr int kExitUnavailable = 69;

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_EXIT_CODES_H_
