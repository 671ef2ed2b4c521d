#include "policy/jmespath/error.h"

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace vigil::jmespath {
namespace {

// Payload: "<kind-name> <column>".
constexpr absl::string_view kPayloadUrl = "type.vigil.dev/vigil.jmespath.Error";

constexpr ErrorKind kAllKinds[] = {
    ErrorKind::kSyntax,        ErrorKind::kInvalidType,
    ErrorKind::kInvalidValue,  ErrorKind::kInvalidArity,
    ErrorKind::kUnknownFunction, ErrorKind::kLimitExceeded,
};

}  // namespace

absl::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kSyntax:
      return "syntax";
    case ErrorKind::kInvalidType:
      return "invalid-type";
    case ErrorKind::kInvalidValue:
      return "invalid-value";
    case ErrorKind::kInvalidArity:
      return "invalid-arity";
    case ErrorKind::kUnknownFunction:
      return "unknown-function";
    case ErrorKind::kLimitExceeded:
      return "limit-exceeded";
  }
  return "unknown";
}

std::optional<ErrorInfo> GetErrorInfo(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  std::string text(*payload);
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(text, absl::MaxSplits(' ', 1));
  int column = 0;
  if (!absl::SimpleAtoi(parts.second, &column)) return std::nullopt;
  for (ErrorKind kind : kAllKinds) {
    if (ErrorKindName(kind) == parts.first) return ErrorInfo{kind, column};
  }
  return std::nullopt;
}

namespace internal {

absl::Status MakeError(ErrorKind kind, int column, absl::string_view detail) {
  absl::StatusCode code = kind == ErrorKind::kLimitExceeded
                              ? absl::StatusCode::kResourceExhausted
                              : absl::StatusCode::kInvalidArgument;
  std::string message =
      column > 0 ? absl::StrCat(ErrorKindName(kind), " error at column ",
                                column, ": ", detail)
                 : absl::StrCat(ErrorKindName(kind), " error: ", detail);
  absl::Status status(code, message);
  status.SetPayload(kPayloadUrl,
                    absl::Cord(absl::StrCat(ErrorKindName(kind), " ", column)));
  return status;
}

}  // namespace internal
}  // namespace vigil::jmespath
