#include "tools/vigilctl/output.h"

#include <cctype>

namespace vigil::vigilctl {
namespace {

bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  static const char* kReserved[] = {"true", "false", "null", "yes", "no",
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
    if (c < 0x20 || c == ':' || c == '#' || c == '"' || c == '\'' ||
        c == '{' || c == '}' || c == '[' || c == ']' || c == ',' ||
        c == '&' || c == '*' || c == '!' || c == '|' || c == '>' ||
        c == '%' || c == '@' || c == '`' || c == '\\' || c >= 0x7f) {
      return true;
    }
  }
  return false;
}

std::string Scalar(const nlohmann::ordered_json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    // JSON string escaping is valid YAML double-quoted escaping.
    return NeedsQuotes(s) ? v.dump(-1, ' ', false,
                                   nlohmann::ordered_json::error_handler_t::replace)
                          : s;
  }
  return v.dump();
}

void Emit(const nlohmann::ordered_json& v, int indent, std::string* out);

// The value after "key:" or "-": a non-empty container on the next lines,
// indented; anything else on the same line.
void EmitChild(const nlohmann::ordered_json& child, int indent, std::string* out) {
  if ((child.is_object() || child.is_array()) && !child.empty()) {
    out->append("\n");
    Emit(child, indent + 2, out);
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
      out->append(NeedsQuotes(it.key()) ? Scalar(nlohmann::ordered_json(it.key()))
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
