// File: tools/vigilctl/json_util.h
// JSON parsing without exceptions, with a line:column error message.

#ifndef VIGIL_TOOLS_VIGILCTL_JSON_UTIL_H_
#define VIGIL_TOOLS_VIGILCTL_JSON_UTIL_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace vigil::vigilctl {

// Parses `text`. Fails with kInvalidArgument "line L:C: invalid JSON" naming
// the first position where the text stops being valid JSON.
absl::StatusOr<nlohmann::ordered_json> ParseJson(absl::string_view text);

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_JSON_UTIL_H_
