#include "tools/vigilctl/args.h"

#include <fstream>
#include <iostream>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace vigil::vigilctl {

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::set<std::string>& value_flags,
                                     const std::set<std::string>& bool_flags) {
  ParsedArgs out;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_positional || a.size() < 2 || a.rfind("--", 0) != 0) {
      if (a == "--") {
        only_positional = true;
        continue;
      }
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> inline_value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (bool_flags.count(name)) {
      if (inline_value) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " takes no value"));
      }
      out.switches.insert(name);
    } else if (value_flags.count(name)) {
      if (inline_value) {
        out.values[name] = *inline_value;
      } else if (i + 1 < args.size()) {
        out.values[name] = args[++i];
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value"));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
  }
  return out;
}

int RunCommand(absl::string_view name, absl::string_view usage,
               const Subcommand& command,
               const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--") break;
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      return kExitOk;
    }
  }
  absl::StatusOr<ParsedArgs> parsed =
      ParseArgs(args, command.value_flags, command.bool_flags);
  if (parsed.ok() && !command.takes_positional && !parsed->positional.empty()) {
    parsed = absl::InvalidArgumentError(
        absl::StrCat("unexpected argument \"", parsed->positional[0], "\""));
  }
  if (!parsed.ok()) {
    std::cerr << "vigilctl: " << name << ": " << parsed.status().message()
              << "\n"
              << usage;
    return kExitBadInput;
  }
  return command.run(*parsed);
}

int RunSubcommand(absl::string_view group, absl::string_view usage,
                  absl::Span<const Subcommand> subcommands,
                  const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << usage;
    return kExitBadInput;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << usage;
    return kExitOk;
  }
  for (const Subcommand& sub : subcommands) {
    if (sub.name != args[0]) continue;
    return RunCommand(absl::StrCat(group, " ", sub.name), usage, sub,
                      std::vector<std::string>(args.begin() + 1, args.end()));
  }
  std::cerr << "vigilctl: unknown " << group << " subcommand \"" << args[0]
            << "\"\n"
            << usage;
  return kExitBadInput;
}

absl::StatusOr<std::string> ReadInputFile(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin),
                std::istreambuf_iterator<char>());
    return text;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot open"));
  text.assign(std::istreambuf_iterator<char>(in),
              std::istreambuf_iterator<char>());
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": read error"));
  }
  return text;
}

absl::Status WriteOutput(const std::string& path, absl::string_view text) {
  if (path.empty() || path == "-") {
    std::cout << text;
    return std::cout.good()
               ? absl::OkStatus()
               : absl::InvalidArgumentError("stdout: cannot write");
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot write"));
  return absl::OkStatus();
}

int FailWith(int exit_code, absl::string_view message) {
  std::cerr << "vigilctl: " << message << "\n";
  return exit_code;
}

}  // namespace vigil::vigilctl
