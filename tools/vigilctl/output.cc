#include "tools/vigilctl/output.h"

#include <cctype>
#include <string>

#include "common/encoding.h"

namespace vigil::vigilctl {
namespace {

bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  static const char* kReserved[] = {"true", "false", "null", "yes",  "no",
                                    "on",   "off",   "~",    "True", "False",
                                    "Null", "NULL",  "TRUE", "FALSE"};
  for (const char* r : kReserved) {
    if (s == r) return true;
  }
  if (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' ||
      s[0] == '+' || s[0] == '.' || s[0] == ' ' || s.back() == ' ') {
    return true;
  }
  for (unsigned char c : s) {
    if (c < 0x20 || c == ':' || c == '#' || c == '"' || c == '\'' || c == '{' ||
        c == '}' || c == '[' || c == ']' || c == ',' || c == '&' || c == '*' ||
        c == '!' || c == '|' || c == '>' || c == '%' || c == '@' || c == '`' ||
        c == '\\' || c >= 0x7f) {
      return true;
    }
  }
  return false;
}

std::string Scalar(const nlohmann::ordered_json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    // JSON string escaping is valid YAML double-quoted escaping.
    return NeedsQuotes(s)
               ? v.dump(-1, ' ', false,
                        nlohmann::ordered_json::error_handler_t::replace)
               : s;
  }
  return v.dump();
}

void Emit(const nlohmann::ordered_json& v, int indent, std::string* out);

// A multi-line string as a literal block scalar (YAML 1.2 §8.1.2), so a
// policy text reads as itself: only when every character can stand in one
// (valid UTF-8, no control characters but tab and newline) and a line has
// text. The header's chomping indicator keeps the trailing newlines exact;
// an indentation indicator is needed when the first text line starts with a
// space.
bool EmitLiteralBlock(const std::string& s, int indent, std::string* out) {
  if (s.find('\n') == std::string::npos ||
      FindInvalidUtf8(s) != std::string::npos) {
    return false;
  }
  bool has_text = false;
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
    has_text = has_text || c != '\n';
  }
  if (!has_text) return false;
  const size_t last_text = s.find_last_not_of('\n');
  const size_t trailing = s.size() - 1 - last_text;
  const size_t first_text = s.find_first_not_of('\n');
  out->append(" |");
  if (s[first_text] == ' ' || s[first_text] == '\t') out->append("2");
  out->append(trailing == 0 ? "-" : trailing == 1 ? "" : "+");
  out->append("\n");
  const std::string pad(indent + 2, ' ');
  // The lines of the text up to its last text line; the trailing newlines
  // follow as empty lines (kept by "+").
  size_t start = 0;
  const std::string body = s.substr(0, last_text + 1);
  while (start <= body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    if (end > start) out->append(pad).append(body, start, end - start);
    out->append("\n");
    start = end + 1;
  }
  for (size_t i = 1; i < trailing; ++i) out->append("\n");
  return true;
}

// The value after "key:" or "-": a non-empty container on the next lines,
// indented; anything else on the same line.
void EmitChild(const nlohmann::ordered_json& child, int indent,
               std::string* out) {
  if ((child.is_object() || child.is_array()) && !child.empty()) {
    out->append("\n");
    Emit(child, indent + 2, out);
    return;
  }
  if (child.is_string() &&
      EmitLiteralBlock(child.get_ref<const std::string&>(), indent, out)) {
    return;
  }
  out->append(" ");
  if (child.is_object()) {
    out->append("{}\n");
  } else if (child.is_array()) {
    out->append("[]\n");
  } else {
    out->append(Scalar(child));
    out->append("\n");
  }
}

void Emit(const nlohmann::ordered_json& v, int indent, std::string* out) {
  const std::string pad(indent, ' ');
  if (v.is_object()) {
    if (v.empty()) {
      out->append("{}\n");
      return;
    }
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first || indent > 0) out->append(pad);
      first = false;
      // Quoted keys are dumped like string values: invalid UTF-8 is replaced,
      // never thrown.
      out->append(NeedsQuotes(it.key())
                      ? Scalar(nlohmann::ordered_json(it.key()))
                      : it.key());
      out->append(":");
      const auto& child = it.value();
      EmitChild(child, indent, out);
    }
    return;
  }
  if (v.is_array()) {
    if (v.empty()) {
      out->append("[]\n");
      return;
    }
    for (const auto& child : v) {
      out->append(pad);
      out->append("-");
      EmitChild(child, indent, out);
    }
    return;
  }
  out->append(Scalar(v));
  out->append("\n");
}

}  // namespace

std::string ToJson(const nlohmann::ordered_json& value) {
  return value.dump(2, ' ', false,
                    nlohmann::ordered_json::error_handler_t::replace) +
         "\n";
}

std::string ToYaml(const nlohmann::ordered_json& value) {
  std::string out = "---\n";
  Emit(value, 0, &out);
  return out;
}

}  // namespace vigil::vigilctl
