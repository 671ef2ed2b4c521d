#include "service/http/https_fetch.h"

#include <memory>
#include <optional>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/http/testing/local_oidc_provider.h"
#include "tests/swtpm/tls_files.h"

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

// Discovery against a real provider over verified TLS: the metadata's
// jwks_uri is fetched, and metadata naming another issuer is refused before
// any key is fetched (OpenID Connect Discovery 1.0 §4.3).
class FetchProviderJwksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(::vigil::testing::TempDir d,
                         ::vigil::testing::TempDir::Create("vigil-oidc"));
    dir_.emplace(std::move(d));
    ASSERT_OK(::vigil::testing::MakeCaFiles(*dir_, "ca"));
    ASSERT_OK(::vigil::testing::IssueFiles(*dir_, "ca", "idp",
                                           ::vigil::testing::kLoopbackSan));
    options_.ca_file = dir_->Join("ca.pem");
  }

  std::unique_ptr<testing::LocalOidcProvider> Provider(
      const std::string& claimed_issuer = "") {
    return testing::LocalOidcProvider::Start(
        dir_->Join("idp.pem"), dir_->Join("idp.key"), kJwks, claimed_issuer);
  }

  static constexpr char kJwks[] = R"({"keys":[]})";
  std::optional<::vigil::testing::TempDir> dir_;
  FetchOptions options_;
};

TEST_F(FetchProviderJwksTest, FollowsTheMetadataToTheKeys) {
  auto idp = Provider();
  ASSERT_NE(idp, nullptr);
  ASSERT_OK_AND_ASSIGN(ProviderJwks keys,
                       FetchProviderJwks(idp->url(), "", options_));
  EXPECT_EQ(keys.uri, idp->url() + "/jwks");
  EXPECT_EQ(keys.json, kJwks);
  EXPECT_EQ(idp->metadata_hits(), 1);
  // A configured jwks_url skips discovery.
  ASSERT_OK_AND_ASSIGN(
      keys, FetchProviderJwks(idp->url(), idp->url() + "/jwks", options_));
  EXPECT_EQ(idp->metadata_hits(), 1);
  EXPECT_EQ(idp->jwks_hits(), 2);
}

TEST_F(FetchProviderJwksTest, RefusesMetadataNamingAnotherIssuer) {
  auto idp = Provider("https://login.attacker.example");
  ASSERT_NE(idp, nullptr);
  EXPECT_THAT(FetchProviderJwks(idp->url(), "", options_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("metadata names issuer "
                                 "\"https://login.attacker.example\"")));
  EXPECT_EQ(idp->metadata_hits(), 1);
  EXPECT_EQ(idp->jwks_hits(), 0);
}

TEST_F(FetchProviderJwksTest, RefusesAProviderOutsideTheTrustedCas) {
  auto idp = Provider();
  ASSERT_NE(idp, nullptr);
  ASSERT_OK(::vigil::testing::MakeCaFiles(*dir_, "other-ca"));
  options_.ca_file = dir_->Join("other-ca.pem");
  EXPECT_THAT(FetchProviderJwks(idp->url(), "", options_),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("does not chain to the trusted CAs")));
  EXPECT_EQ(idp->metadata_hits(), 0);
}

}  // namespace
}  // namespace vigil::http
