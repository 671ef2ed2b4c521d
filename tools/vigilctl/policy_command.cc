#include "tools/vigilctl/policy_command.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

#include "absl/strings/str_cat.h"
#include "policy/claim.h"
#include "policy/compiler.h"
#include "policy/evaluator.h"
#include "policy/policy_hash.h"
#include "tools/vigilctl/args.h"
#include "tools/vigilctl/eventlog_command.h"

namespace vigil::vigilctl {
namespace {

constexpr char kUsage[] =
    "usage: vigilctl policy check FILE [--compat]\n"
    "       vigilctl policy eval --policy FILE --claims CLAIMS.json [--compat] "
    "[--explain]\n"
    "       vigilctl policy hash FILE\n";

int Fail(int code, const std::string& message) {
  std::cerr << "vigilctl: " << message << "\n";
  return code;
}

// The exact bytes of a file: the policy hash covers them byte for byte.
std::optional<std::string> ReadText(const std::string& path, int* code) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *code = Fail(kExitBadInput, absl::StrCat(path, ": cannot open"));
    return std::nullopt;
  }
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

// Compiles FILE; prints every issue (errors and warnings) to stderr.
std::optional<policy::CompiledPolicy> CompileFile(const std::string& path,
                                                  bool compat, int* code) {
  std::optional<std::string> text = ReadText(path, code);
  if (!text) return std::nullopt;
  policy::CompileOptions options;
  options.mode = compat ? policy::Mode::kCompat : policy::Mode::kStrict;
  options.source_name = path;
  options.form = policy::CompileOptions::Form::kAuto;
  policy::CompileResult result = policy::Compile(*text, options);
  std::cerr << result.FormatIssues();
  if (!result.ok()) {
    *code = kExitBadInput;
    return std::nullopt;
  }
  return result.policy();
}

int RunCheck(const ParsedArgs& args) {
  if (args.positional.size() != 1) {
    std::cerr << kUsage;
    return kExitBadInput;
  }
  int code = kExitOk;
  std::optional<policy::CompiledPolicy> p =
      CompileFile(args.positional[0], args.Has("compat"), &code);
  return p ? kExitOk : code;
}

int RunEval(const ParsedArgs& args) {
  std::optional<std::string> policy_path = args.Value("policy");
  std::optional<std::string> claims_path = args.Value("claims");
  if (!policy_path || !claims_path || !args.positional.empty()) {
    std::cerr << kUsage;
    return kExitBadInput;
  }
  int code = kExitOk;
  std::optional<policy::CompiledPolicy> p =
      CompileFile(*policy_path, args.Has("compat"), &code);
  if (!p) return code;
  std::optional<std::string> claims_text = ReadText(*claims_path, &code);
  if (!claims_text) return code;
  absl::StatusOr<policy::ClaimSet> claims = policy::ParseClaimsJson(*claims_text);
  if (!claims.ok()) {
    return Fail(kExitBadInput, absl::StrCat(*claims_path, ": ", claims.status().message()));
  }
  policy::EvaluateOptions options;
  options.explain = args.Has("explain");
  absl::StatusOr<policy::EvaluationResult> result =
      policy::Evaluate(*p, *claims, options);
  if (!result.ok()) {
    return Fail(kExitEvaluationError,
                absl::StrCat(*policy_path, ": evaluation error: ",
                             result.status().message()));
  }
  std::cout << result->ToJson().dump(2, ' ', false,
                                     jmespath::Json::error_handler_t::replace)
            << "\n";
  return kExitOk;
}

int RunHash(const ParsedArgs& args) {
  if (args.positional.size() != 1) {
    std::cerr << kUsage;
    return kExitBadInput;
  }
  int code = kExitOk;
  std::optional<std::string> text = ReadText(args.positional[0], &code);
  if (!text) return code;
  absl::StatusOr<std::string> hash = policy::PolicyHash(*text);
  if (!hash.ok()) return Fail(kExitInternal, std::string(hash.status().message()));
  std::cout << *hash << "\n";
  return kExitOk;
}

}  // namespace

int RunPolicyCommand(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "help") {
    std::cerr << kUsage;
    return args.empty() ? kExitBadInput : kExitOk;
  }
  const std::string& sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  absl::StatusOr<ParsedArgs> parsed =
      ParseArgs(rest, {"policy", "claims"}, {"compat", "explain"});
  if (!parsed.ok()) {
    std::cerr << "vigilctl: " << parsed.status().message() << "\n" << kUsage;
    return kExitBadInput;
  }
  if (sub == "check") return RunCheck(*parsed);
  if (sub == "eval") return RunEval(*parsed);
  if (sub == "hash") return RunHash(*parsed);
  std::cerr << "vigilctl: unknown policy subcommand \"" << sub << "\"\n" << kUsage;
  return kExitBadInput;
}

}  // namespace vigil::vigilctl
