// File: tools/vigilctl/output.h
// Rendering of vigilctl results: JSON (two-space indent) or YAML (a faithful
// block-style rendering of the same JSON tree, for people reading logs).

#ifndef VIGIL_TOOLS_VIGILCTL_OUTPUT_H_
#define VIGIL_TOOLS_VIGILCTL_OUTPUT_H_

#include <string>

#include "nlohmann/json.hpp"

namespace vigil::vigilctl {

std::string ToJson(const nlohmann::ordered_json& value);
// YAML 1.2 block style. Strings are double-quoted whenever a plain scalar
// could be misread (numbers, booleans, null, special characters); a
// multi-line string of printable text is a literal block ("|"), so a policy
// reads as itself.
std::string ToYaml(const nlohmann::ordered_json& value);

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_OUTPUT_H_
