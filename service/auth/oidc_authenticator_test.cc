#include "service/auth/oidc_authenticator.h"

#include <memory>
#include <string>

#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/token/key_ring.h"
#include "service/token/raw_jwt.h"
#include "service/token/signing_key.h"

namespace vigil::service::auth {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

constexpr char kIssuer[] = "https://login.example/tenant";
constexpr char kAudience[] = "api://vigil";

class OidcAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(token::SigningKey key, token::SigningKey::Generate());
    ASSERT_OK_AND_ASSIGN(provider_,
                         token::KeyRing::Create(std::move(key), clock_));
    OidcOptions o;
    o.issuer = kIssuer;
    o.audience = kAudience;
    o.identity_claim = "preferred_username";
    ASSERT_OK_AND_ASSIGN(auth_, OidcAuthenticator::Create(o, clock_));
    ASSERT_OK_AND_ASSIGN(token::Jwks jwks,
                         token::Jwks::Parse(provider_->JwksJson()));
    ASSERT_OK(auth_->SetJwks(std::move(jwks)));
  }

  std::string Token(token::Json roles, const std::string& iss = kIssuer,
                    const std::string& aud = kAudience) {
    const absl::Time now = clock_.Now();
    token::RawJwtBuilder b;
    b.SetIssuer(iss)
        .SetIssuedAt(now)
        .SetExpiration(now + absl::Hours(1))
        .AddClaim("aud", aud)
        .AddClaim("sub", "0f3c")
        .AddClaim("preferred_username", "alice@example.com");
    if (!roles.is_null()) b.AddClaim("roles", roles);
    absl::StatusOr<token::RawJwt> jwt = b.Build();
    EXPECT_TRUE(jwt.ok()) << jwt.status();
    absl::StatusOr<std::string> signed_jwt = provider_->SignAndEncode(*jwt);
    EXPECT_TRUE(signed_jwt.ok()) << signed_jwt.status();
    return "Bearer " + *signed_jwt;
  }

  ::vigil::testing::FakeClock clock_{absl::FromUnixSeconds(1800000000)};
  std::unique_ptr<token::KeyRing> provider_;
  std::unique_ptr<OidcAuthenticator> auth_;
};

TEST_F(OidcAuthenticatorTest, RoleComesFromTheRoleClaim) {
  ASSERT_OK_AND_ASSIGN(
      Caller c,
      auth_->Authenticate(Token(token::Json::array({"x", "vigil.contributor"})),
                          "ipv4:10.0.0.9:4000"));
  EXPECT_EQ(c.role, Role::kContributor);
  EXPECT_EQ(c.identity, "oidc:alice@example.com");
  EXPECT_EQ(c.method, "oidc");
  EXPECT_EQ(c.source, "ipv4:10.0.0.9:4000");
  ASSERT_OK_AND_ASSIGN(c, auth_->Authenticate(Token("vigil.reader"), ""));
  EXPECT_EQ(c.role, Role::kReader);
  // Authenticated, but no role: refused later, not here.
  ASSERT_OK_AND_ASSIGN(c, auth_->Authenticate(Token(nullptr), ""));
  EXPECT_EQ(c.role, Role::kNone);
}

TEST_F(OidcAuthenticatorTest, RefusesWhatIsNotAValidTokenForThisAudience) {
  EXPECT_THAT(
      auth_->Authenticate("", ""),
      StatusIs(absl::StatusCode::kUnauthenticated, "bearer token: missing"));
  EXPECT_THAT(auth_->Authenticate("Basic YTpi", ""),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("want 'Bearer <JWT>'")));
  EXPECT_THAT(auth_->Authenticate(
                  Token("vigil.contributor", kIssuer, "api://other"), ""),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("aud")));
  EXPECT_THAT(
      auth_->Authenticate(Token("vigil.contributor", "https://evil.example"),
                          ""),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("issuer")));
  const std::string valid = Token("vigil.contributor");
  clock_.Advance(absl::Hours(2));
  EXPECT_THAT(
      auth_->Authenticate(valid, ""),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
}

TEST_F(OidcAuthenticatorTest, KeysFromAnotherProviderDoNotVerify) {
  const std::string token = Token("vigil.contributor");
  ASSERT_OK_AND_ASSIGN(token::SigningKey other, token::SigningKey::Generate());
  ASSERT_OK_AND_ASSIGN(auto other_ring,
                       token::KeyRing::Create(std::move(other), clock_));
  ASSERT_OK_AND_ASSIGN(token::Jwks jwks,
                       token::Jwks::Parse(other_ring->JwksJson()));
  ASSERT_OK(auth_->SetJwks(std::move(jwks)));  // the provider rotated away
  EXPECT_THAT(auth_->Authenticate(token, ""),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("kid")));
}

TEST(OidcAuthenticator, NeedsIssuerAudienceAndKeys) {
  EXPECT_THAT(
      OidcAuthenticator::Create({}),
      StatusIs(absl::StatusCode::kInvalidArgument, "oidc_issuer: required"));
  OidcOptions o;
  o.issuer = kIssuer;
  EXPECT_THAT(
      OidcAuthenticator::Create(o),
      StatusIs(absl::StatusCode::kInvalidArgument, "oidc_audience: required"));
  o.audience = kAudience;
  ASSERT_OK_AND_ASSIGN(auto auth, OidcAuthenticator::Create(o));
  EXPECT_FALSE(auth->has_keys());
  EXPECT_THAT(auth->Authenticate("Bearer a.b.c", ""),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("no keys from the identity provider")));
}

}  // namespace
}  // namespace vigil::service::auth
