#include "common/kv_config.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

const std::vector<std::string> kKeys = {"listen", "debug", "count", "ttl", "mode"};

TEST(KvConfig, ParsesValuesCommentsAndDefaults) {
  ASSERT_OK_AND_ASSIGN(KvConfig c, KvConfig::Parse("# a comment\n\n listen = 127.0.0.1:0 \n"
                                                   "debug = yes\ncount = 0x10\nttl = 90s\n"
                                                   "mode = open\n",
                                                   "v.conf", kKeys));
  std::string listen = "unset";
  bool debug = false;
  int64_t count = 0;
  absl::Duration ttl;
  std::string mode;
  EXPECT_OK(c.GetString("listen", &listen));
  EXPECT_OK(c.GetBool("debug", &debug));
  EXPECT_OK(c.GetInt("count", 0, 100, &count));
  EXPECT_OK(c.GetDuration("ttl", absl::Seconds(1), absl::Hours(1), &ttl));
  EXPECT_OK(c.GetChoice("mode", {"open", "isolated"}, &mode));
  EXPECT_EQ(listen, "127.0.0.1:0");
  EXPECT_TRUE(debug);
  EXPECT_EQ(count, 16);
  EXPECT_EQ(ttl, absl::Seconds(90));
  EXPECT_EQ(mode, "open");
}

TEST(KvConfig, AbsentKeysKeepTheDefault) {
  ASSERT_OK_AND_ASSIGN(KvConfig c, KvConfig::Parse("", "v.conf", kKeys));
  std::string listen = "default";
  EXPECT_OK(c.GetString("listen", &listen));
  EXPECT_EQ(listen, "default");
  EXPECT_FALSE(c.Has("listen"));
  EXPECT_THAT(c.Error("listen", "required"),
              StatusIs(absl::StatusCode::kInvalidArgument, "v.conf: listen: required"));
}

TEST(KvConfig, EveryErrorNamesFileAndLine) {
  EXPECT_THAT(KvConfig::Parse("listen = a\nnonsense\n", "v.conf", kKeys),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("v.conf:2: want `key = value`")));
  EXPECT_THAT(KvConfig::Parse("lisen = a\n", "v.conf", kKeys),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("v.conf:1: unknown key \"lisen\"")));
  EXPECT_THAT(KvConfig::Parse("listen = a\nlisten = b\n", "v.conf", kKeys),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("v.conf:2: listen: given twice (first on line 1)")));
  EXPECT_THAT(KvConfig::Parse(" = a\n", "v.conf", kKeys),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("v.conf:1: empty key")));
  ASSERT_OK_AND_ASSIGN(KvConfig c, KvConfig::Parse("\ndebug = maybe\ncount = 500\nttl = soon\n"
                                                   "mode = shared\n",
                                                   "v.conf", kKeys));
  bool b = false;
  int64_t n = 0;
  absl::Duration d;
  std::string m;
  EXPECT_THAT(c.GetBool("debug", &b), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("v.conf:2: debug: want true or false")));
  EXPECT_THAT(c.GetInt("count", 0, 100, &n),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("v.conf:3: count: want an integer in 0..100, got \"500\"")));
  EXPECT_THAT(c.GetDuration("ttl", absl::Seconds(1), absl::Hours(1), &d),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("v.conf:4: ttl: want a duration")));
  EXPECT_THAT(c.GetChoice("mode", {"open", "isolated"}, &m),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("v.conf:5: mode: want one of open, isolated, got \"shared\"")));
  EXPECT_EQ(n, 0);  // unchanged on error
}

TEST(KvConfig, LoadNamesAMissingFile) {
  EXPECT_THAT(KvConfig::Load("/nonexistent/v.conf", kKeys),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/v.conf: cannot read")));
}

}  // namespace
}  // namespace vigil
