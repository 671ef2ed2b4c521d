#include "service/http/https_fetch.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::http {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

TEST(ParseUrl, SplitsSchemeHostPortAndPath) {
  ASSERT_OK_AND_ASSIGN(SplitUrl u,
                       ParseUrl("https://verifier.example:8444/certs?x=1"));
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "verifier.example");
  EXPECT_EQ(u.port, 8444);
  EXPECT_EQ(u.path, "/certs?x=1");
  ASSERT_OK_AND_ASSIGN(u, ParseUrl("https://v.example"));
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.path, "/");
  ASSERT_OK_AND_ASSIGN(u, ParseUrl("http://[::1]:8080/x"));
  EXPECT_EQ(u.host, "[::1]");
  EXPECT_EQ(u.port, 8080);
}

TEST(ParseUrl, NamesWhatIsWrong) {
  EXPECT_THAT(ParseUrl("ftp://a/b"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("want https://HOST[:PORT][/PATH]")));
  EXPECT_THAT(
      ParseUrl("https://:443/"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty host")));
  EXPECT_THAT(ParseUrl("https://a:99999/"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("port out of range")));
  EXPECT_THAT(
      ParseUrl("https://a:x/"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad port")));
  EXPECT_THAT(
      ParseUrl("https://user:pw@a/"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user info")));
}

TEST(HttpsGet, RefusesPlainHttpExceptToAllowedLoopback) {
  EXPECT_THAT(HttpsGet("http://verifier.example/certs", {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("plain http is refused")));
  FetchOptions o;
  o.allow_plain_loopback = true;
  EXPECT_THAT(HttpsGet("http://verifier.example/certs", o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("plain http is refused")));
  // Allowed on loopback: fails only because nothing listens on port 1.
  o.timeout = absl::Seconds(2);
  EXPECT_THAT(
      HttpsGet("http://127.0.0.1:1/certs", o),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("127.0.0.1:1")));
}

}  // namespace
}  // namespace vigil::http
