#include "tools/vigilctl/json_util.h"

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace vigil::vigilctl {
namespace {

// Records the byte position of the first syntax error; returning false from
// parse_error stops the parser without throwing.
class ErrorCollector
    : public nlohmann::json_sax<nlohmann::ordered_json> {
 public:
  using Base = nlohmann::json_sax<nlohmann::ordered_json>;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception&) override {
    position_ = position;
    return false;
  }
  size_t position_ = 0;
};

}  // namespace

absl::StatusOr<nlohmann::ordered_json> ParseJson(absl::string_view text) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(
      text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (!doc.is_discarded()) return doc;
  ErrorCollector collector;
  nlohmann::ordered_json::sax_parse(text.begin(), text.end(), &collector,
                                    nlohmann::detail::input_format_t::json,
                                    /*strict=*/true);
  size_t line = 1, col = 1;
  const size_t pos = collector.position_ == 0 ? 0 : collector.position_ - 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("line ", line, ":", col, ": invalid JSON"));
}

}  // namespace vigil::vigilctl
