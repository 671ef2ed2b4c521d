// libFuzzer target: compiles the input as a JMESPath expression and evaluates
// it on a fixed document. Any input must give a result or an error status:
// no crash, no unbounded recursion, no exception (seed corpus:
// fuzz/corpus/).

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/jmespath/jmespath.h"

namespace {

using vigil::jmespath::Json;

const Json& Document() {
  static const Json* const kDocument = [] {
    absl::StatusOr<Json> parsed = vigil::jmespath::ParseJson(R"json({
      "foo": {"bar": [1, 2.5, -3, 9223372036854775808, 6075990659671082565],
              "baz": "Qux", "empty": [], "obj": {}},
      "people": [{"name": "a", "age": 30, "tags": ["x", "y"]},
                 {"name": "B", "age": 20.5, "tags": []},
                 {"name": null, "age": -1, "nested": {"k": [[1], [2, [3]]]}}],
      "events": [{"EventSeq": 36, "EVENT_FILEPATH": "\\Windows\\System32\\x.sys",
                  "EVENT_IMAGEVALIDATED": true}],
      "s": "\u00e9t\u00e9", "t": true, "f": false, "n": null, "z": 0
    })json");
    return new Json(parsed.ok() ? *std::move(parsed) : Json());
  }();
  return *kDocument;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<vigil::jmespath::Expression> expression =
      vigil::jmespath::Compile(text);
  if (!expression.ok()) return 0;
  vigil::jmespath::EvaluateOptions options;
  options.max_cost = 1'000'000;
  absl::StatusOr<Json> result = expression->Evaluate(Document(), options);
  if (result.ok()) {
    absl::StatusOr<std::string> serialized =
        vigil::jmespath::SerializeJson(*result);
    (void)serialized;
  }
  return 0;
}
