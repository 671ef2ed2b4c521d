// RunSubcommand / RunCommand: the shell every command group shares.
#include "tools/vigilctl/args.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/vigilctl/testing/vigilctl_runner.h"

namespace vigil::vigilctl {
namespace {

using testing::CommandOutput;
using ::testing::HasSubstr;
using testing::RunInProcess;

constexpr char kUsage[] = "usage: vigilctl demo run [--n N] [--v]\n";

int Run(const ParsedArgs& args) {
  return args.Has("v") ? 7 : 10 + static_cast<int>(args.positional.size());
}

CommandOutput Demo(std::vector<std::string> args) {
  static const Subcommand kSubcommands[] = {
      {"run", {"n"}, {"v"}, Run},
      {"strict", {}, {}, Run, /*takes_positional=*/false},
  };
  return RunInProcess(
      [&] { return RunSubcommand("demo", kUsage, kSubcommands, args); });
}

TEST(RunSubcommand, RunsTheNamedSubcommandWithItsFlags) {
  EXPECT_EQ(Demo({"run", "a", "--n", "1", "b"}).exit_code, 12);
  EXPECT_EQ(Demo({"run", "--v"}).exit_code, 7);
  EXPECT_EQ(Demo({"strict"}).exit_code, 10);
}

TEST(RunSubcommand, HelpGoesToStdoutWithExit0) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"--help"}, {"-h"}, {"help"}, {"run", "--help"}, {"strict", "-h"}}) {
    CommandOutput r = Demo(args);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, kUsage);
    EXPECT_EQ(r.err, "");
  }
}

TEST(RunSubcommand, UsageErrorsExit2NamingWhatIsWrong) {
  CommandOutput none = Demo({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.err, kUsage);

  CommandOutput unknown = Demo({"walk"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown demo subcommand \"walk\""));

  CommandOutput flag = Demo({"run", "--x"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_THAT(flag.err, HasSubstr("vigilctl: demo run: unknown flag --x"));

  CommandOutput value = Demo({"run", "--n"});
  EXPECT_THAT(value.err, HasSubstr("--n needs a value"));

  CommandOutput positional = Demo({"strict", "extra"});
  EXPECT_EQ(positional.exit_code, 2);
  EXPECT_THAT(positional.err,
              HasSubstr("demo strict: unexpected argument \"extra\""));
}

}  // namespace
}  // namespace vigil::vigilctl
