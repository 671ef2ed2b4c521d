#include "common/kv_config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace vigil {

absl::StatusOr<KvConfig> KvConfig::Parse(
    absl::string_view text, absl::string_view filename,
    const std::vector<std::string>& known_keys) {
  KvConfig c;
  c.filename_ = std::string(filename);
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          filename, ":", line_no, ": want `key = value`, got \"", line, "\""));
    }
    const std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    const std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    if (key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(filename, ":", line_no, ": empty key"));
    }
    if (std::find(known_keys.begin(), known_keys.end(), key) ==
        known_keys.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(filename, ":", line_no, ": unknown key \"", key,
                       "\" (known: ", absl::StrJoin(known_keys, ", "), ")"));
    }
    auto [it, inserted] = c.entries_.emplace(key, Entry{value, line_no});
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(filename, ":", line_no, ": ", key,
                       ": given twice (first on line ", it->second.line, ")"));
    }
  }
  return c;
}

absl::StatusOr<KvConfig> KvConfig::Load(
    const std::string& path, const std::vector<std::string>& known_keys) {
  std::ifstream in(path);
  if (!in) {
    const int err = errno;
    const std::string why =
        absl::StrCat(path, ": cannot read: ", std::strerror(err));
    return err == EACCES ? absl::PermissionDeniedError(why)
                         : absl::NotFoundError(why);
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return Parse(buf.str(), path, known_keys);
}

bool KvConfig::Has(absl::string_view key) const {
  return entries_.find(key) != entries_.end();
}

absl::Status KvConfig::Error(absl::string_view key,
                             absl::string_view message) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(filename_, ": ", key, ": ", message));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(filename_, ":", it->second.line, ": ", key, ": ", message));
}

absl::Status KvConfig::GetString(absl::string_view key,
                                 std::string* out) const {
  auto it = entries_.find(key);
  if (it != entries_.end()) *out = it->second.value;
  return absl::OkStatus();
}

absl::Status KvConfig::GetBool(absl::string_view key, bool* out) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return absl::OkStatus();
  const std::string v = absl::AsciiStrToLower(it->second.value);
  if (v == "true" || v == "yes" || v == "on") {
    *out = true;
  } else if (v == "false" || v == "no" || v == "off") {
    *out = false;
  } else {
    return Error(key, absl::StrCat("want true or false, got \"",
                                   it->second.value, "\""));
  }
  return absl::OkStatus();
}

absl::Status KvConfig::GetInt(absl::string_view key, int64_t min, int64_t max,
                              int64_t* out) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return absl::OkStatus();
  int64_t v = 0;
  absl::string_view s = it->second.value;
  bool ok = false;
  if (absl::StartsWith(s, "0x") || absl::StartsWith(s, "0X")) {
    uint64_t u = 0;
    ok = absl::SimpleHexAtoi(s.substr(2), &u) &&
         u <= static_cast<uint64_t>(INT64_MAX);
    v = static_cast<int64_t>(u);
  } else {
    ok = absl::SimpleAtoi(s, &v);
  }
  if (!ok || v < min || v > max) {
    return Error(key, absl::StrCat("want an integer in ", min, "..", max,
                                   ", got \"", it->second.value, "\""));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status KvConfig::GetDuration(absl::string_view key, absl::Duration min,
                                   absl::Duration max,
                                   absl::Duration* out) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return absl::OkStatus();
  absl::Duration d;
  if (!absl::ParseDuration(it->second.value, &d) || d < min || d > max) {
    return Error(key,
                 absl::StrCat("want a duration such as 30s, 5m or 1h between ",
                              absl::FormatDuration(min), " and ",
                              absl::FormatDuration(max), ", got \"",
                              it->second.value, "\""));
  }
  *out = d;
  return absl::OkStatus();
}

absl::Status KvConfig::GetChoice(absl::string_view key,
                                 const std::vector<std::string>& choices,
                                 std::string* out) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return absl::OkStatus();
  if (std::find(choices.begin(), choices.end(), it->second.value) ==
      choices.end()) {
    return Error(key, absl::StrCat("want one of ", absl::StrJoin(choices, ", "),
                                   ", got \"", it->second.value, "\""));
  }
  *out = it->second.value;
  return absl::OkStatus();
}

}  // namespace vigil
