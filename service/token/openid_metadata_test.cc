#include "service/token/openid_metadata.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/token/json.h"

namespace vigil::token {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;

TEST(OpenIdMetadata, HasTheShapeAzureAttestationServes) {
  ASSERT_OK_AND_ASSIGN(
      std::string text,
      RenderOpenIdConfiguration(
          "https://vigil.example",
          {.signing_algorithms = {JwsAlgorithm::kEs256, JwsAlgorithm::kRs256},
           .claims_supported = {"nonce", "x-ms-ver"}}));
  EXPECT_EQ(text,
            "{\"issuer\":\"https://vigil.example\","
            "\"jwks_uri\":\"https://vigil.example/certs\","
            "\"response_types_supported\":[\"token\",\"none\"],"
            "\"id_token_signing_alg_values_supported\":[\"ES256\",\"RS256\"],"
            "\"claims_supported\":[\"nonce\",\"x-ms-ver\"]}");
}

TEST(OpenIdMetadata, DefaultsListEs256AndTheTpmClaims) {
  ASSERT_OK_AND_ASSIGN(
      std::string text,
      RenderOpenIdConfiguration("https://vigil.example:8443/tenant"));
  Json doc = Json::parse(text);
  EXPECT_EQ(doc["jwks_uri"], "https://vigil.example:8443/tenant/certs");
  EXPECT_EQ(doc["id_token_signing_alg_values_supported"],
            Json::array({"ES256"}));
  EXPECT_EQ(doc["claims_supported"], Json(DefaultClaimsSupported()));
}

TEST(OpenIdMetadata, IssuerUrlMustBeHttpsWithoutQueryOrTrailingSlash) {
  EXPECT_THAT(
      RenderOpenIdConfiguration("ftp://x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want an https")));
  EXPECT_THAT(RenderOpenIdConfiguration("http://vigil.example"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("localhost only")));
  EXPECT_THAT(
      RenderOpenIdConfiguration("https://vigil.example/"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ends with '/'")));
  EXPECT_THAT(RenderOpenIdConfiguration("https://vigil.example?a=b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("query")));
  EXPECT_THAT(
      RenderOpenIdConfiguration("https://"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no host")));
  EXPECT_THAT(RenderOpenIdConfiguration("https://a b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("space")));
  EXPECT_THAT(RenderOpenIdConfiguration("http://localhost:8080"), IsOk());
  EXPECT_THAT(RenderOpenIdConfiguration("http://127.0.0.1:8080"), IsOk());
  EXPECT_THAT(RenderOpenIdConfiguration("http://[::1]:8080"), IsOk());
  EXPECT_THAT(RenderOpenIdConfiguration("https://vigil.example",
                                        {.signing_algorithms = {}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "signing_algorithms: empty"));
}

}  // namespace
}  // namespace vigil::token
