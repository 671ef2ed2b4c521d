#include "service/token/json.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"

namespace vigil::token {
namespace {

bool IsValidUtf8(absl::string_view s) {
  return FindInvalidUtf8(s) == absl::string_view::npos;
}

absl::Status Invalid(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(path.empty() ? "value" : path, ": ", what));
}

absl::Status Validate(const Json& v, const std::string& path, int depth,
                      int max_depth) {
  if (v.is_structured() && depth > max_depth) {
    return Invalid(path, absl::StrCat("nesting deeper than ", max_depth));
  }
  if (v.is_string()) {
    if (!IsValidUtf8(v.get_ref<const std::string&>())) {
      return Invalid(path, "invalid UTF-8");
    }
  } else if (v.is_number_float()) {
    if (!std::isfinite(v.get<double>())) {
      return Invalid(path, "number is not finite");
    }
  } else if (v.is_array()) {
    size_t i = 0;
    for (const Json& e : v) {
      RETURN_IF_ERROR(
          Validate(e, absl::StrCat(path, "[", i++, "]"), depth + 1, max_depth));
    }
  } else if (v.is_object()) {
    for (const auto& [name, e] : v.items()) {
      const std::string child =
          path.empty() ? std::string(name) : absl::StrCat(path, ".", name);
      if (!IsValidUtf8(name))
        return Invalid(path, "member name is invalid UTF-8");
      RETURN_IF_ERROR(Validate(e, child, depth + 1, max_depth));
    }
  }
  return absl::OkStatus();
}

// Records the parser's message ("parse error at line 1, column 7: ...")
// without exceptions: nlohmann hands the error to the SAX handler, which
// decides whether to throw. sax_parse is a template over the handler type,
// so this parse_error hides the acceptor's.
struct SyntaxErrorSax final : nlohmann::detail::json_sax_acceptor<Json> {
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) {
    message = ex.what();
    // Drop the "[json.exception.parse_error.101] " prefix.
    if (const size_t end = message.find("] "); end != std::string::npos) {
      message.erase(0, end + 2);
    }
    return false;
  }
  std::string message = "malformed";
};

}  // namespace

std::string DumpJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<Json> ParseJsonObject(absl::string_view text, int max_depth) {
  // The parser callback sees every member name in document order; a stack of
  // name sets (one per open object) finds repeats. The callback cannot stop
  // the parse, so the first problem is recorded and reported afterwards.
  std::vector<absl::flat_hash_set<std::string>> names;
  std::string problem;
  auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (!problem.empty()) return true;
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth > max_depth) {
          problem = absl::StrCat("nesting deeper than ", max_depth);
        }
        if (event == Json::parse_event_t::object_start) names.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!names.empty()) names.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!names.empty() && parsed.is_string() &&
            !names.back().insert(parsed.get_ref<const std::string&>()).second) {
          problem = absl::StrCat("duplicate member ", DumpJson(parsed));
        }
        break;
      default:
        break;
    }
    return true;
  };
  Json value = Json::parse(text.begin(), text.end(), callback,
                           /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    SyntaxErrorSax sax;
    Json::sax_parse(text.begin(), text.end(), &sax);
    return absl::InvalidArgumentError(absl::StrCat("not JSON: ", sax.message));
  }
  if (!problem.empty()) return absl::InvalidArgumentError(problem);
  if (!value.is_object())
    return absl::InvalidArgumentError("not a JSON object");
  return value;
}

absl::Status ValidateJsonForSigning(const Json& value, int max_depth) {
  return Validate(value, "", 0, max_depth);
}

}  // namespace vigil::token
