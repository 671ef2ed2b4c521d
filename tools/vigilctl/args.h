// File: tools/vigilctl/args.h
// -----------------------------------------------------------------------------
// A small command-line parser for vigilctl: positional arguments plus
// `--flag value`, `--flag=value` and boolean `--flag`. Unknown flags and
// missing values are usage errors (exit 2), reported in one line. Also the
// shell every command group shares (RunSubcommand) and reading the files a
// command names.

#ifndef VIGIL_TOOLS_VIGILCTL_ARGS_H_
#define VIGIL_TOOLS_VIGILCTL_ARGS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tools/vigilctl/exit_codes.h"

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

// One subcommand of a command group, for RunSubcommand.
struct Subcommand {
  std::string name;
  std::set<std::string> value_flags;  // without "--"
  std::set<std::string> bool_flags;
  // Runs the parsed subcommand; returns the exit code (exit_codes.h).
  int (*run)(const ParsedArgs& args) = nullptr;
  // When false, a positional argument is a usage error.
  bool takes_positional = true;
};

// RunCommand: `args` parsed with `command`'s flags and handed to its `run`,
// whose exit code is returned. "--help" or "-h" anywhere (before "--"): the
// usage on stdout, exit 0. An unknown flag, a missing value or an unexpected
// positional argument: one line "vigilctl: NAME: ..." naming it, then the
// usage, on stderr; exit 2.
int RunCommand(absl::string_view name, absl::string_view usage,
               const Subcommand& command, const std::vector<std::string>& args);

// RunSubcommand: the shell every vigilctl command group shares. args[0]
// names the subcommand, whose RunCommand (named "GROUP SUB") runs the rest.
// Without arguments: the usage on stderr, exit 2. "--help", "-h" or "help":
// the usage on stdout, exit 0. An unknown subcommand: "vigilctl: unknown
// GROUP subcommand ..." and the usage on stderr, exit 2.
int RunSubcommand(absl::string_view group, absl::string_view usage,
                  absl::Span<const Subcommand> subcommands,
                  const std::vector<std::string>& args);

// ReadInputFile: the exact bytes of `path`, or of stdin for "-". Fails with
// kInvalidArgument "PATH: cannot open" or "PATH: read error".
absl::StatusOr<std::string> ReadInputFile(const std::string& path);

// WriteOutput: `text` to `path` (replaced), or to stdout when `path` is empty
// or "-". Fails with kInvalidArgument "PATH: cannot write".
absl::Status WriteOutput(const std::string& path, absl::string_view text);

// FailWith: prints "vigilctl: MESSAGE" on stderr; returns `exit_code`.
int FailWith(int exit_code, absl::string_view message);

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_ARGS_H_
