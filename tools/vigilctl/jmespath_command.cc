#include "tools/vigilctl/jmespath_command.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "policy/jmespath/jmespath.h"
#include "tools/vigilctl/args.h"
#include "tools/vigilctl/eventlog_command.h"

namespace vigil::vigilctl {
namespace {

constexpr char kUsage[] = "usage: vigilctl jmespath EXPRESSION [JSONFILE|-]\n";

int Fail(const std::string& message) {
  std::cerr << "vigilctl: jmespath: " << message << "\n";
  return kExitBadInput;
}

}  // namespace

int RunJmespathCommand(const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, {}, {"help"});
  if (!parsed.ok()) return Fail(std::string(parsed.status().message()));
  if (parsed->Has("help")) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (parsed->positional.empty() || parsed->positional.size() > 2) {
    std::cerr << kUsage;
    return kExitBadInput;
  }
  absl::StatusOr<jmespath::Expression> expr =
      jmespath::Compile(parsed->positional[0]);
  if (!expr.ok()) return Fail(std::string(expr.status().message()));

  std::string text;
  const std::string source =
      parsed->positional.size() == 2 ? parsed->positional[1] : "-";
  if (source == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin),
                std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(source, std::ios::binary);
    if (!in) return Fail(absl::StrCat(source, ": cannot open"));
    text.assign(std::istreambuf_iterator<char>(in),
                std::istreambuf_iterator<char>());
  }
  absl::StatusOr<jmespath::Json> doc = jmespath::ParseJson(text);
  if (!doc.ok()) {
    return Fail(absl::StrCat(source == "-" ? "stdin" : source, ": ",
                             doc.status().message()));
  }
  absl::StatusOr<jmespath::Json> result = expr->Evaluate(*doc);
  if (!result.ok()) return Fail(std::string(result.status().message()));
  absl::StatusOr<std::string> out = jmespath::SerializeJson(*result);
  if (!out.ok()) return Fail(std::string(out.status().message()));
  std::cout << *out << "\n";
  return kExitOk;
}

}  // namespace vigil::vigilctl
