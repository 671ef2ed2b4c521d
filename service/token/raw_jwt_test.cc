#include "service/token/raw_jwt.h"

#include <limits>
#include <string>
#include <utility>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::token {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;

const absl::Time kNow = absl::FromUnixSeconds(1738120398);

RawJwtBuilder Minimal() {
  RawJwtBuilder b;
  b.SetIssuer("https://vigil.example").SetExpiration(kNow + absl::Hours(1));
  return b;
}

TEST(RawJwt, RegisteredClaimsComeFirstThenOthersInOrder) {
  ASSERT_OK_AND_ASSIGN(
      RawJwt jwt,
      Minimal()
          .SetIssuedAt(kNow)
          .SetNotBefore(kNow - absl::Minutes(5))
          .SetJwtId("b53dc14af514ca24b96429f53fc730feac308350")
          .AddClaim("x-ms-ver", "1.0")
          .AddClaim("x-ms-policy",
                    Json{{"secureBootEnabled", true},
                         {"bootApps", Json::array({"a", Json{{"n", 1}}})}})
          .Build());
  EXPECT_EQ(jwt.payload(),
            "{\"iss\":\"https://vigil.example\",\"iat\":1738120398,"
            "\"nbf\":1738120098,\"exp\":1738123998,"
            "\"jti\":\"b53dc14af514ca24b96429f53fc730feac308350\","
            "\"x-ms-ver\":\"1.0\",\"x-ms-policy\":{\"secureBootEnabled\":true,"
            "\"bootApps\":[\"a\",{\"n\":1}]}}");
  EXPECT_EQ(jwt.issuer(), "https://vigil.example");
  EXPECT_EQ(jwt.expiration(), kNow + absl::Hours(1));
  EXPECT_EQ(*jwt.not_before(), kNow - absl::Minutes(5));
}

TEST(RawJwt, BuildingFromAnRvalueGivesTheSameTokenAndKeepsNoCopy) {
  RawJwtBuilder b = Minimal();
  b.SetJwtId("j").AddClaim("x-ms-policy",
                           Json{{"a", Json::array({1, "two"})}, {"b", true}});
  ASSERT_OK_AND_ASSIGN(RawJwt copied, b.Build());
  ASSERT_OK_AND_ASSIGN(RawJwt moved, std::move(b).Build());
  EXPECT_EQ(moved.payload(), copied.payload());
  EXPECT_EQ(moved.claims(), copied.claims());
  // The first Build copied: the builder still had its claims to move.
  EXPECT_EQ(moved.claims()["x-ms-policy"]["a"][1], "two");
  // A rejected builder is rejected either way.
  RawJwtBuilder twice = Minimal();
  twice.AddClaim("sub", "d").AddClaim("sub", "d");
  EXPECT_THAT(std::move(twice).Build(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sub: added twice")));
}

TEST(RawJwt, SubSecondTimesAreFloored) {
  ASSERT_OK_AND_ASSIGN(RawJwt jwt,
                       RawJwtBuilder()
                           .SetIssuer("i")
                           .SetExpiration(kNow + absl::Milliseconds(1500))
                           .Build());
  EXPECT_EQ(jwt.expiration(), kNow + absl::Seconds(1));
  EXPECT_EQ(jwt.claims()["exp"], 1738120399);
}

TEST(RawJwt, IssuerAndExpiryAreRequired) {
  EXPECT_THAT(RawJwtBuilder().SetExpiration(kNow).Build(),
              StatusIs(absl::StatusCode::kInvalidArgument, "iss: missing"));
  EXPECT_THAT(RawJwtBuilder().SetIssuer("").SetExpiration(kNow).Build(),
              StatusIs(absl::StatusCode::kInvalidArgument, "iss: empty"));
  EXPECT_THAT(RawJwtBuilder().SetIssuer("i").Build(),
              StatusIs(absl::StatusCode::kInvalidArgument, "exp: missing"));
}

TEST(RawJwt, ExpiryMustFollowNotBeforeAndIssuedAt) {
  EXPECT_THAT(
      Minimal().SetNotBefore(kNow + absl::Hours(1)).Build(),
      StatusIs(absl::StatusCode::kInvalidArgument, "exp: not after nbf"));
  EXPECT_THAT(
      Minimal().SetIssuedAt(kNow + absl::Hours(2)).Build(),
      StatusIs(absl::StatusCode::kInvalidArgument, "exp: not after iat"));
}

TEST(RawJwt, TimesOutsideNumericDateRangeAreRefused) {
  EXPECT_THAT(
      Minimal().SetIssuedAt(absl::UnixEpoch() - absl::Seconds(1)).Build(),
      StatusIs(absl::StatusCode::kInvalidArgument, "iat: out of range"));
  EXPECT_THAT(
      RawJwtBuilder()
          .SetIssuer("i")
          .SetExpiration(absl::InfiniteFuture())
          .Build(),
      StatusIs(absl::StatusCode::kInvalidArgument, "exp: out of range"));
}

TEST(RawJwt, RegisteredClaimsCannotBeAddedAsPlainClaims) {
  for (const char* name : {"iss", "exp", "nbf", "iat", "jti"}) {
    EXPECT_THAT(Minimal().AddClaim(name, 1).Build(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("registered claim, use its setter")))
        << name;
  }
}

TEST(RawJwt, ClaimAddedTwiceIsRefused) {
  EXPECT_THAT(
      Minimal().AddClaim("nonce", "a").AddClaim("nonce", "b").Build(),
      StatusIs(absl::StatusCode::kInvalidArgument, "nonce: added twice"));
}

TEST(RawJwt, AudienceAndSubjectMustHaveTheirTypes) {
  EXPECT_THAT(Minimal().AddClaim("aud", 5).Build(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("aud")));
  EXPECT_THAT(Minimal().AddClaim("sub", Json::array()).Build(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sub")));
  EXPECT_THAT(Minimal().AddClaim("aud", Json::array({"a", "b"})).Build(),
              IsOk());
}

TEST(RawJwt, InvalidUtf8IsRefusedWithItsPath) {
  EXPECT_THAT(Minimal()
                  .AddClaim("x-ms-policy",
                            Json{{"events", Json::array({"ok", "\xC3\x28"})}})
                  .Build(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "x-ms-policy.events[1]: invalid UTF-8"));
  EXPECT_THAT(
      Minimal().AddClaim("\xFF", 1).Build(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid UTF-8")));
  // Overlong encodings and surrogates are not UTF-8 either (RFC 3629 §3).
  EXPECT_THAT(Minimal().AddClaim("a", "\xC0\xAF").Build(), Not(IsOk()));
  EXPECT_THAT(Minimal().AddClaim("a", "\xED\xA0\x80").Build(), Not(IsOk()));
  EXPECT_THAT(Minimal().AddClaim("a", "\xF0\x9F\x94\x92 ok").Build(), IsOk());
}

TEST(RawJwt, NonFiniteNumbersAreRefused) {
  EXPECT_THAT(
      Minimal().AddClaim("x", std::numeric_limits<double>::infinity()).Build(),
      StatusIs(absl::StatusCode::kInvalidArgument, "x: number is not finite"));
}

TEST(RawJwt, DeepNestingIsRefused) {
  Json deep = 1;
  for (int i = 0; i < kMaxClaimDepth + 1; ++i) deep = Json::array({deep});
  EXPECT_THAT(Minimal().AddClaim("deep", deep).Build(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nesting deeper")));
}

}  // namespace
}  // namespace vigil::token
