// File: policy/source.h
// -----------------------------------------------------------------------------
// The text of a policy and the mapping from byte offsets to line:column, used
// by every compiler phase to report where a problem is (style.md rule 18).
//
//   Source source("policy.txt", text);
//   SourceLocation loc = source.Location(token.offset);   // 3:5
//   std::string caret = source.CaretLine(token.offset);   // "    ^"

#ifndef VIGIL_POLICY_SOURCE_H_
#define VIGIL_POLICY_SOURCE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace vigil::policy {

// A position in a policy text. Lines and columns are 1-based; columns count
// Unicode code points (UTF-8 lead bytes), so a caret lines up under the
// character on a UTF-8 terminal. line == 0 means "no position".
struct SourceLocation {
  int line = 0;
  int column = 0;

  // "3:5", or "?" when there is no position.
  std::string ToString() const;
  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

// Immutable policy text plus its name (a file name in messages). Cheap to
// query: line starts are computed once. Thread-compatible (const use only).
class Source {
 public:
  Source(std::string name, std::string text);

  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }

  // Source::Location(): line and column of byte `offset` (clamped to the end
  // of the text).
  SourceLocation Location(size_t offset) const;

  // Source::LineText(): the text of 1-based `line` without its line ending;
  // empty for lines out of range.
  absl::string_view LineText(int line) const;

  // Source::CaretLine(): a line that puts '^' under byte `offset` when printed
  // below LineText(Location(offset).line); tabs in the source line are kept so
  // the caret aligns whatever the tab width.
  std::string CaretLine(size_t offset) const;

 private:
  std::string name_;
  std::string text_;
  std::vector<size_t> line_starts_;  // byte offset of each line's start
};

}  // namespace vigil::policy

#endif  // VIGIL_POLICY_SOURCE_H_
