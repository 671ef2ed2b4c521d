#include "policy/issue.h"

#include "absl/strings/str_cat.h"

namespace vigil::policy {

std::string Issue::ToDisplayString(const Source& source) const {
  std::string out = absl::StrCat(
      source.name(), ":", location_.ToString(), ": ",
      severity_ == Severity::kError ? "error" : "warning", ": ", message_);
  if (location_.line > 0) {
    absl::StrAppend(&out, "\n", source.LineText(location_.line), "\n",
                    source.CaretLine(offset_));
  }
  return out;
}

std::string FormatIssues(const Source& source, const std::vector<Issue>& issues) {
  std::string out;
  for (const Issue& issue : issues) {
    absl::StrAppend(&out, issue.ToDisplayString(source), "\n");
  }
  return out;
}

bool HasErrors(const std::vector<Issue>& issues) {
  for (const Issue& issue : issues) {
    if (issue.is_error()) return true;
  }
  return false;
}

}  // namespace vigil::policy
