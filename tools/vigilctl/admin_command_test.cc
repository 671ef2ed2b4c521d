// The parts of the admin commands that need no service: the exit code of
// each gRPC status, --since/--until, and argument errors, which must name
// the flag and stop before anything is sent.
#include "tools/vigilctl/admin_command.h"

#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/vigilctl/testing/vigilctl_runner.h"

namespace vigil::vigilctl {
namespace {

using testing::CommandOutput;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunInProcess;
using testing::ScratchDir;
using vigil::testing::IsOk;
using vigil::testing::StatusIs;

TEST(ExitCodeForServiceStatus, MapsEveryCanonicalCode) {
  using C = absl::StatusCode;
  const std::vector<std::pair<C, int>> table = {
      {C::kOk, 0},
      {C::kPermissionDenied, 3},
      {C::kUnauthenticated, 3},
      {C::kInvalidArgument, 4},
      {C::kFailedPrecondition, 4},
      {C::kAborted, 4},
      {C::kNotFound, 4},
      {C::kAlreadyExists, 4},
      {C::kOutOfRange, 4},
      {C::kResourceExhausted, 4},
      {C::kUnavailable, 69},
      {C::kDeadlineExceeded, 69},
      {C::kUnimplemented, 69},
      {C::kInternal, 1},
      {C::kUnknown, 1},
      {C::kDataLoss, 1},
      {C::kCancelled, 1},
  };
  for (const auto& [code, exit_code] : table) {
    EXPECT_EQ(ExitCodeForServiceStatus(code), exit_code)
        << absl::StatusCodeToString(code);
  }
}

const absl::Time kNow = absl::FromUnixSeconds(1793534400);  // 2026-11-01 12:00Z

TEST(ParseAuditTime, TimeAgoIsBeforeNow) {
  EXPECT_EQ(*ParseAuditTime("--since", "-1h", kNow), kNow - absl::Hours(1));
  EXPECT_EQ(*ParseAuditTime("--since", "-90m", kNow), kNow - absl::Minutes(90));
  EXPECT_EQ(*ParseAuditTime("--since", "-1h30m", kNow),
            kNow - absl::Minutes(90));
  EXPECT_EQ(*ParseAuditTime("--until", "-7d", kNow), kNow - absl::Hours(168));
}

TEST(ParseAuditTime, Rfc3339InUtcOrWithAnOffset) {
  EXPECT_EQ(*ParseAuditTime("--since", "2026-11-01T00:00:00Z", kNow),
            absl::FromUnixSeconds(1793491200));
  EXPECT_EQ(*ParseAuditTime("--since", "2026-11-01T01:00:00+01:00", kNow),
            absl::FromUnixSeconds(1793491200));
  EXPECT_EQ(*ParseAuditTime("--since", "2026-11-01T00:00:00.5Z", kNow),
            absl::FromUnixSeconds(1793491200) + absl::Milliseconds(500));
}

TEST(ParseAuditTime, RefusesAnythingElseNamingTheFlag) {
  for (const char* text :
       {"yesterday", "1h", "+1h", "-0s", "-0d", "-d", "-1.5d", "-1x",
        "2026-11-01", "2026-11-01 00:00:00Z", ""}) {
    EXPECT_THAT(
        ParseAuditTime("--until", text, kNow),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--until")))
        << text;
  }
}

CommandOutput Admin(std::vector<std::string> args) {
  return RunInProcess([&] { return RunPolicyAdminCommand(args); });
}

TEST(AdminCommandArgs, ErrorsNameTheFlagAndSendNothing) {
  ScratchDir dir;
  const std::string policy = dir.Write("p.policy", "version=1.0; x");
  const std::string token = "s3cr3t-t0ken-value";
  const std::string two_line_token =
      dir.Write("token", token + "\n" + token + "\n");
  // An address that would be refused were anything sent: every case must
  // fail before connecting (69 would mean it tried).
  const std::string unused = "unix:" + dir.Join("no.sock");
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  const std::vector<Case> cases = {
      {{"set", policy, "--admin", unused}, "--type is required"},
      {{"set", policy, "--type", "Tpm", "--expected-version", "-1", "--admin",
        unused},
       "--expected-version"},
      {{"set", policy, "--type", "Tpm", "--key", policy, "--admin", unused},
       "--key needs --cert"},
      {{"history", "--type", "T pm", "--admin", unused}, "--type"},
      {{"history", "--type", "Tpm", "--limit", "0", "--admin", unused},
       "--limit"},
      {{"get", "--timeout", "soon", "--admin", unused}, "--timeout"},
      {{"get", "--format", "xml", "--admin", unused}, "--format"},
      {{"get", "--admin", "192.0.2.1:443"}, "--ca"},
      {{"get", "--admin", unused, "--client-cert", policy}, "--client-key"},
      {{"get", "--admin", unused, "--client-cert", policy, "--client-key",
        policy},
       "--client-cert needs --ca"},
      {{"get", "--admin", unused, "--bearer-token-file", two_line_token},
       "--bearer-token-file"},
      {{"get", "--admin", unused, "--bearer-token-file", dir.Join("none")},
       "--bearer-token-file"},
      {{"dry-run", policy, "--admin", unused}, "--claims"},
      {{"dry-run", policy, "--claims", policy, "--device", "ab", "--admin",
        unused},
       "want one of --claims CLAIMS.json or --device ID"},
      {{"get", "extra", "--admin", unused}, "unexpected argument \"extra\""},
  };
  for (const Case& c : cases) {
    CommandOutput r = Admin(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.names << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.names));
    EXPECT_THAT(r.err, Not(HasSubstr(token)));
    EXPECT_EQ(r.out, "");
  }
  CommandOutput audit = RunInProcess([&] {
    return RunAuditCommand({"--since", "-1", "--admin", unused});
  });
  EXPECT_EQ(audit.exit_code, 2);
  EXPECT_THAT(audit.err, HasSubstr("--since"));
}

TEST(AdminCommandArgs, UnreachableServiceIsExit69) {
  ScratchDir dir;
  CommandOutput r = Admin({"get", "--admin", "unix:" + dir.Join("no.sock")});
  EXPECT_EQ(r.exit_code, 69) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no.sock"));
}

}  // namespace
}  // namespace vigil::vigilctl
