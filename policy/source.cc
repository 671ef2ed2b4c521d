#include "policy/source.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace vigil::policy {
namespace {

bool IsContinuationByte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

}  // namespace

std::string SourceLocation::ToString() const {
  if (line == 0) return "?";
  return absl::StrCat(line, ":", column);
}

Source::Source(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

SourceLocation Source::Location(size_t offset) const {
  offset = std::min(offset, text_.size());
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  size_t line_index = static_cast<size_t>(it - line_starts_.begin()) - 1;
  size_t start = line_starts_[line_index];
  int column = 1;
  for (size_t i = start; i < offset; ++i) {
    if (!IsContinuationByte(text_[i])) ++column;
  }
  return SourceLocation{static_cast<int>(line_index) + 1, column};
}

absl::string_view Source::LineText(int line) const {
  if (line < 1 || static_cast<size_t>(line) > line_starts_.size()) return {};
  size_t start = line_starts_[line - 1];
  size_t end = static_cast<size_t>(line) < line_starts_.size()
                   ? line_starts_[line] - 1
                   : text_.size();
  if (end > start && text_[end - 1] == '\r') --end;
  return absl::string_view(text_).substr(start, end - start);
}

std::string Source::CaretLine(size_t offset) const {
  offset = std::min(offset, text_.size());
  SourceLocation loc = Location(offset);
  absl::string_view line = LineText(loc.line);
  std::string out;
  size_t start = line_starts_[loc.line - 1];
  for (size_t i = start; i < offset && i - start < line.size(); ++i) {
    char c = text_[i];
    if (IsContinuationByte(c)) continue;
    out.push_back(c == '\t' ? '\t' : ' ');
  }
  out.push_back('^');
  return out;
}

}  // namespace vigil::policy
