#include "tools/loadgen/haproxy_front.h"

#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::loadgen {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

HaproxyFrontSettings Settings() {
  return {.bind = "127.0.0.1:18443",
          .certificate = "/tmp/run/front.pem",
          .client_ca = "/tmp/run/ca.pem",
          .verifier = "127.0.0.1:18440",
          .max_connections = 1100};
}

std::string Example() {
  const std::string text = vigil::testing::ReadFileText(
      vigil::testing::SourcePath(kHaproxyFrontExample));
  EXPECT_FALSE(text.empty()) << kHaproxyFrontExample;
  return text;
}

// The shipped example with the run's settings: exactly the three lines that
// name addresses, files and the limit differ; every other setting is the
// example's.
TEST(HaproxyFrontConfig, ChangesOnlyTheRunsAddressesFilesAndLimit) {
  const std::string example = Example();
  ASSERT_OK_AND_ASSIGN(std::string cfg,
                       HaproxyFrontConfig(example, Settings()));
  const std::vector<std::string> before = absl::StrSplit(example, '\n');
  const std::vector<std::string> after = absl::StrSplit(cfg, '\n');
  ASSERT_EQ(before.size(), after.size());
  std::vector<std::string> changed;
  for (size_t i = 0; i < before.size(); ++i) {
    if (before[i] != after[i]) changed.push_back(after[i]);
  }
  EXPECT_THAT(changed,
              ::testing::ElementsAre(
                  "    maxconn 1100",
                  "    bind 127.0.0.1:18443 ssl crt /tmp/run/front.pem "
                  "ca-file /tmp/run/ca.pem verify required alpn h2",
                  "    server verifier 127.0.0.1:18440 proto h2"));
}

TEST(HaproxyFrontConfig, PerAddressCapReplacedWhenGiven) {
  HaproxyFrontSettings s = Settings();
  s.max_connections_per_address = 12000;
  ASSERT_OK_AND_ASSIGN(std::string cfg, HaproxyFrontConfig(Example(), s));
  EXPECT_THAT(cfg, HasSubstr("\n    tcp-request connection reject if { "
                             "sc0_conn_cur gt 12000 }\n"));
  EXPECT_THAT(cfg, ::testing::Not(HasSubstr("sc0_conn_cur gt 2000 }")));
}

TEST(HaproxyFrontConfig, KeepIdentityLeavesOutUserGroupAndChroot) {
  HaproxyFrontSettings s = Settings();
  s.keep_identity = true;
  ASSERT_OK_AND_ASSIGN(std::string cfg, HaproxyFrontConfig(Example(), s));
  EXPECT_THAT(cfg, ::testing::Not(HasSubstr("\n    user ")));
  EXPECT_THAT(cfg, ::testing::Not(HasSubstr("\n    chroot ")));
  EXPECT_THAT(cfg, HasSubstr("# (group left out for this run)"));
}

TEST(HaproxyFrontConfig, ToleratingTheDescriptorLimitRelaxesOnlyThat) {
  HaproxyFrontSettings s = Settings();
  ASSERT_OK_AND_ASSIGN(std::string as_shipped,
                       HaproxyFrontConfig(Example(), s));
  EXPECT_THAT(as_shipped, ::testing::Not(HasSubstr("strict-limits")));
  s.tolerate_descriptor_limit = true;
  ASSERT_OK_AND_ASSIGN(std::string cfg, HaproxyFrontConfig(Example(), s));
  EXPECT_THAT(cfg, HasSubstr("global\n    no strict-limits\n"));
  EXPECT_EQ(absl::StrReplaceAll(cfg, {{"\n    no strict-limits", ""}}),
            as_shipped);
}

// An example edited so that a setting the runs replace is gone, or given
// twice, is an error naming it, not a run with the example's own
// addresses.
TEST(HaproxyFrontConfig, AnExampleWithoutTheExpectedLinesIsAnError) {
  const std::string example = Example();
  EXPECT_THAT(
      HaproxyFrontConfig(
          absl::StrReplaceAll(example, {{"server verifier 127.0.0.1:8440",
                                         "server verifier 127.0.0.1:9999"}}),
          Settings()),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("want one line starting \"server verifier "
                         "127.0.0.1:8440 \", found 0")));
  EXPECT_THAT(
      HaproxyFrontConfig(
          absl::StrReplaceAll(example, {{"verify required", "verify none"}}),
          Settings()),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("bind :8443")));
  EXPECT_THAT(HaproxyFrontConfig(absl::StrCat(example, "\n    maxconn 5\n"),
                                 Settings()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("\"maxconn \", found 2")));
}

TEST(HaproxyFrontConfig, EmptySettingsAreRefused) {
  HaproxyFrontSettings s = Settings();
  s.client_ca.clear();
  EXPECT_THAT(
      HaproxyFrontConfig(Example(), s),
      StatusIs(absl::StatusCode::kInvalidArgument, "front: client_ca empty"));
  s = Settings();
  s.max_connections = 0;
  EXPECT_THAT(HaproxyFrontConfig(Example(), s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "front: max_connections < 1"));
}

}  // namespace
}  // namespace vigil::loadgen
