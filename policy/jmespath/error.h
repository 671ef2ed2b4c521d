// File: policy/jmespath/error.h
// -----------------------------------------------------------------------------
// JMESPath error kinds, as the official compliance suite names them, carried
// on an absl::Status as a payload so callers can branch on them:
//
//   absl::StatusOr<Expression> e = Compile("foo[");
//   std::optional<ErrorInfo> info = GetErrorInfo(e.status());
//   // info->kind == ErrorKind::kSyntax, info->column == 5
//
// The status message reads "<kind> error at column N: <detail>", e.g.
// "syntax error at column 5: expected ']' (to close '[' at column 4), got end
// of expression".

#ifndef VIGIL_POLICY_JMESPATH_ERROR_H_
#define VIGIL_POLICY_JMESPATH_ERROR_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vigil::jmespath {

// The category of a failed compile or evaluation. The first five are the
// categories of the JMESPath compliance suite ("error": "syntax", ...).
enum class ErrorKind {
  kSyntax,           // "syntax": the expression does not parse.
  kInvalidType,      // "invalid-type": a function argument has the wrong type.
  kInvalidValue,     // "invalid-value": e.g. a slice step of 0.
  kInvalidArity,     // "invalid-arity": wrong number of function arguments.
  kUnknownFunction,  // "unknown-function": no function of that name.
  kLimitExceeded,    // "limit-exceeded" (Vigil): a depth or cost limit hit.
};

// ErrorKindName(): the compliance-suite spelling ("syntax", "invalid-type",
// ...; "limit-exceeded" for kLimitExceeded).
absl::string_view ErrorKindName(ErrorKind kind);

// What a JMESPath error status carries besides its message.
struct ErrorInfo {
  ErrorKind kind;
  // 1-based column, in Unicode code points, of the expression token the error
  // is attached to; 0 when the error has no position (e.g. a cost limit).
  int column;
};

// GetErrorInfo(): the kind and column of a status returned by this library;
// std::nullopt for OK statuses and statuses from elsewhere.
std::optional<ErrorInfo> GetErrorInfo(const absl::Status& status);

namespace internal {

// MakeError(): the status for a JMESPath error. Code kInvalidArgument, except
// kResourceExhausted for kLimitExceeded.
absl::Status MakeError(ErrorKind kind, int column, absl::string_view detail);

}  // namespace internal
}  // namespace vigil::jmespath

#endif  // VIGIL_POLICY_JMESPATH_ERROR_H_
