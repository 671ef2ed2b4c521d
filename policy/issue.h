// File: policy/issue.h
// -----------------------------------------------------------------------------
// A problem found while compiling a policy, as data (style.md rule 4): compile
// problems are never an absl::Status. Shaped like cel-cpp's TypeCheckIssue.
//
//   for (const Issue& issue : result.issues())
//     std::cerr << issue.ToDisplayString(result.source()) << "\n";
//
//   policy.txt:3:5: error: expected ']' (to close '[' at 3:5)
//       c:[type=="x", value==true => permit();
//         ^

#ifndef VIGIL_POLICY_ISSUE_H_
#define VIGIL_POLICY_ISSUE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "policy/source.h"

namespace vigil::policy {

class Issue {
 public:
  enum class Severity { kError, kWarning };

  Issue(Severity severity, size_t offset, SourceLocation location,
        std::string message)
      : severity_(severity),
        offset_(offset),
        location_(location),
        message_(std::move(message)) {}

  Severity severity() const { return severity_; }
  bool is_error() const { return severity_ == Severity::kError; }
  // Byte offset in the source text the issue points at.
  size_t offset() const { return offset_; }
  SourceLocation location() const { return location_; }
  const std::string& message() const { return message_; }

  // Issue::ToDisplayString(): "NAME:LINE:COL: error: MESSAGE" (or "warning:"),
  // then the source line and a caret line under the offending character,
  // joined by '\n' without a trailing newline. `source` must be the text the
  // issue was found in.
  std::string ToDisplayString(const Source& source) const;

 private:
  Severity severity_;
  size_t offset_;
  SourceLocation location_;
  std::string message_;
};

// FormatIssues(): every issue's ToDisplayString(), each followed by '\n'.
std::string FormatIssues(const Source& source, const std::vector<Issue>& issues);

// HasErrors(): whether any issue is an error (warnings do not count).
bool HasErrors(const std::vector<Issue>& issues);

}  // namespace vigil::policy

#endif  // VIGIL_POLICY_ISSUE_H_
