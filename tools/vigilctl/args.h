// File: tools/vigilctl/args.h
// -----------------------------------------------------------------------------
// A small command-line parser for vigilctl: positional arguments plus
// `--flag value`, `--flag=value` and boolean `--flag`. Unknown flags and
// missing values are usage errors (exit 2), reported in one line.

#ifndef VIGIL_TOOLS_VIGILCTL_ARGS_H_
#define VIGIL_TOOLS_VIGILCTL_ARGS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vigil::vigilctl {

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // flag -> value
  std::set<std::string> switches;             // boolean flags present

  std::optional<std::string> Value(const std::string& flag) const {
    auto it = values.find(flag);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  bool Has(const std::string& flag) const { return switches.count(flag) > 0; }
};

// Parses `args` (without the program and subcommand names). `value_flags`
// take a value; `bool_flags` take none. Flags are given without "--".
// Fails with kInvalidArgument naming the offending argument.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::set<std::string>& value_flags,
                                     const std::set<std::string>& bool_flags);

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_ARGS_H_
