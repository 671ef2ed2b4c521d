#include "service/token/jwt_verifier.h"

#include <openssl/hmac.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/encoding.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/token/jwt_signer.h"

namespace vigil::token {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::FakeClock;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;

constexpr char kIssuer[] = "https://vigil.example";
const absl::Time kNow = absl::FromUnixSeconds(1738120398);
constexpr absl::StatusCode kRefused = absl::StatusCode::kUnauthenticated;
constexpr absl::StatusCode kMalformed = absl::StatusCode::kInvalidArgument;

std::string B64(absl::string_view s) { return Base64UrlEncode(AsBytes(s)); }

class JwtVerifierTest : public ::testing::Test {
 protected:
  // Key generation (RSA above all) dominates the run time; one pair serves
  // every test.
  static void SetUpTestSuite() {
    es_ = new SigningKey(*SigningKey::Generate());
    rs_ = new SigningKey(*SigningKey::Generate(JwsAlgorithm::kRs256));
    jwks_ = new Jwks(
        *Jwks::Parse(RenderJwks({*PublicJwk(*es_), *PublicJwk(*rs_)})));
  }
  static void TearDownTestSuite() {
    delete es_;
    delete rs_;
    delete jwks_;
  }

  JwtVerifierBuilder Builder() {
    JwtVerifierBuilder b;
    b.SetJwks(*jwks_).ExpectIssuer(kIssuer).SetClock(clock_);
    return b;
  }
  absl::StatusOr<VerifiedJwt> Verify(const std::string& token) {
    absl::StatusOr<JwtVerifier> v = Builder().Build();
    if (!v.ok()) return v.status();
    return v->Verify(token);
  }

  static RawJwtBuilder Claims() {
    RawJwtBuilder b;
    b.SetIssuer(kIssuer)
        .SetIssuedAt(kNow)
        .SetNotBefore(kNow - absl::Minutes(5))
        .SetExpiration(kNow + absl::Hours(1))
        .SetJwtId("jti-1")
        .AddClaim("x-ms-policy", Json{{"secureBootEnabled", true}});
    return b;
  }
  static std::string Sign(const SigningKey& key,
                          RawJwtBuilder claims = Claims()) {
    return *OpenSslJwtSigner::Create(key)->SignAndEncode(*claims.Build());
  }
  // A token with exactly this header and payload text, validly signed by
  // `key`: what an attacker holding no key cannot make, used to show each
  // check stands on its own and not on a signature failure.
  static std::string Forge(const SigningKey& key, absl::string_view header,
                           absl::string_view payload) {
    const std::string input = B64(header) + "." + B64(payload);
    return input + "." + B64(*key.Sign(input));
  }
  std::string EsHeader() const {
    return R"({"alg":"ES256","typ":"JWT","kid":")" + es_->kid() + "\"}";
  }
  static std::string Payload(absl::string_view extra = "") {
    return absl::StrCat(R"({"iss":"https://vigil.example","exp":)",
                        absl::ToUnixSeconds(kNow + absl::Hours(1)), extra, "}");
  }

  FakeClock clock_{kNow};
  static SigningKey* es_;
  static SigningKey* rs_;
  static Jwks* jwks_;
};

SigningKey* JwtVerifierTest::es_ = nullptr;
SigningKey* JwtVerifierTest::rs_ = nullptr;
Jwks* JwtVerifierTest::jwks_ = nullptr;

TEST_F(JwtVerifierTest, Es256AndRs256TokensVerifyAndYieldTheirClaims) {
  for (const SigningKey* key : {es_, rs_}) {
    ASSERT_OK_AND_ASSIGN(VerifiedJwt jwt, Verify(Sign(*key)));
    EXPECT_EQ(jwt.issuer(), kIssuer);
    EXPECT_EQ(jwt.expiration(), kNow + absl::Hours(1));
    EXPECT_EQ(*jwt.not_before(), kNow - absl::Minutes(5));
    EXPECT_EQ(*jwt.issued_at(), kNow);
    EXPECT_EQ(*jwt.jwt_id(), "jti-1");
    EXPECT_EQ(jwt.claims()["x-ms-policy"]["secureBootEnabled"], true);
    EXPECT_EQ(jwt.algorithm(), key->algorithm());
    EXPECT_EQ(jwt.kid(), key->kid());
  }
}

TEST_F(JwtVerifierTest, TamperedHeaderPayloadOrSignatureIsRefused) {
  const std::string token = Sign(*es_);
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  // Header: same alg and kid, one member added.
  const std::string header =
      B64(R"({"alg":"ES256","typ":"JWT","kid":")" + es_->kid() + R"(","x":1})");
  EXPECT_THAT(Verify(header + "." + parts[1] + "." + parts[2]),
              StatusIs(kRefused, "signature: ES256 signature does not verify"));
  // Payload: a later expiry.
  const std::string payload =
      B64(absl::StrCat(R"({"iss":"https://vigil.example","exp":)",
                       absl::ToUnixSeconds(kNow + absl::Hours(99)), "}"));
  EXPECT_THAT(Verify(parts[0] + "." + payload + "." + parts[2]),
              StatusIs(kRefused, "signature: ES256 signature does not verify"));
  // Signature: one bit flipped, truncated, or DER-encoded.
  std::string sig = parts[2];
  sig[5] = sig[5] == 'A' ? 'B' : 'A';
  EXPECT_THAT(Verify(parts[0] + "." + parts[1] + "." + sig),
              StatusIs(kRefused, "signature: ES256 signature does not verify"));
  EXPECT_THAT(
      Verify(parts[0] + "." + parts[1] + "." + parts[2].substr(0, 40)),
      StatusIs(kRefused,
               HasSubstr("signature: ES256 signature is 30 bytes, want 64")));
}

TEST_F(JwtVerifierTest, RsaSignatureTamperingIsRefused) {
  std::vector<std::string> parts = absl::StrSplit(Sign(*rs_), '.');
  std::string sig = parts[2];
  sig[10] = sig[10] == 'A' ? 'B' : 'A';
  EXPECT_THAT(Verify(parts[0] + "." + parts[1] + "." + sig),
              StatusIs(kRefused, "signature: RS256 signature does not verify"));
}

TEST_F(JwtVerifierTest, AlgNoneIsNeverAccepted) {
  for (const char* alg : {"none", "None", "NONE"}) {
    const std::string header =
        absl::StrCat(R"({"alg":")", alg, R"(","kid":")", es_->kid(), "\"}");
    EXPECT_THAT(
        Verify(B64(header) + "." + B64(Payload()) + "."),
        StatusIs(kMalformed, HasSubstr("signature: empty (unsecured JWS")));
    EXPECT_THAT(Verify(B64(header) + "." + B64(Payload()) + ".AAAA"),
                StatusIs(kRefused,
                         absl::StrCat("header: alg \"", alg,
                                      "\" (unsecured JWS) is never accepted")));
  }
}

TEST_F(JwtVerifierTest, HmacWithThePublicKeyAsSecretIsRefused) {
  // The classic confusion: HS256 keyed with the public key's bytes.
  const std::string header = R"({"alg":"HS256","kid":")" + es_->kid() + "\"}";
  const std::string input = B64(header) + "." + B64(Payload());
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), es_->public_key_der().data(),
       static_cast<int>(es_->public_key_der().size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
       &len);
  EXPECT_THAT(
      Verify(input + "." + Base64UrlEncode(absl::MakeConstSpan(mac, len))),
      StatusIs(kRefused,
               "header: alg \"HS256\" is not allowed (allowed: ES256, RS256)"));
}

TEST_F(JwtVerifierTest, AlgorithmThatDoesNotFitTheKeyIsRefused) {
  // RS256 header naming the EC key, signed by the RSA key.
  const std::string header = R"({"alg":"RS256","kid":")" + es_->kid() + "\"}";
  EXPECT_THAT(
      Verify(Forge(*rs_, header, Payload())),
      StatusIs(kRefused,
               absl::StrCat("header: alg RS256 does not fit key \"", es_->kid(),
                            "\" (kty EC, verifies ES256 only)")));
  const std::string header2 = R"({"alg":"ES256","kid":")" + rs_->kid() + "\"}";
  EXPECT_THAT(Verify(Forge(*es_, header2, Payload())),
              StatusIs(kRefused, HasSubstr("(kty RSA, verifies RS256 only)")));
}

TEST_F(JwtVerifierTest, AlgorithmOutsideTheAllowListIsRefused) {
  ASSERT_OK_AND_ASSIGN(
      JwtVerifier v, Builder().AllowAlgorithms({JwsAlgorithm::kEs256}).Build());
  EXPECT_THAT(
      v.Verify(Sign(*rs_)),
      StatusIs(kRefused,
               "header: alg \"RS256\" is not allowed (allowed: ES256)"));
  EXPECT_THAT(v.Verify(Sign(*es_)), IsOk());
}

TEST_F(JwtVerifierTest, UnknownOrMissingKidIsRefused) {
  EXPECT_THAT(
      Verify(Forge(*es_, R"({"alg":"ES256","kid":"zzz"})", Payload())),
      StatusIs(kRefused,
               HasSubstr("header: kid \"zzz\" is not in the JWKS (keys: ")));
  EXPECT_THAT(
      Verify(Forge(*es_, R"({"alg":"ES256"})", Payload())),
      StatusIs(kRefused,
               "header: \"kid\" is missing; keys are chosen by kid only"));
  // A key carried in the token itself is not used.
  EXPECT_THAT(
      Verify(Forge(*es_, R"({"alg":"ES256","kid":"zzz","jwk":{}})", Payload())),
      StatusIs(kRefused, HasSubstr("is not in the JWKS")));
}

TEST_F(JwtVerifierTest, CritAndForeignTypAreRefused) {
  EXPECT_THAT(
      Verify(Forge(*es_,
                   R"({"alg":"ES256","kid":")" + es_->kid() +
                       R"(","b64":false,"crit":["b64"]})",
                   Payload())),
      StatusIs(kRefused, HasSubstr("\"crit\" lists extensions this verifier "
                                   "does not understand: b64")));
  EXPECT_THAT(
      Verify(Forge(
          *es_, R"({"alg":"ES256","typ":"at+jwt","kid":")" + es_->kid() + "\"}",
          Payload())),
      StatusIs(kRefused, "header: typ \"at+jwt\" is not \"JWT\""));
  EXPECT_THAT(Verify(Forge(*es_,
                           R"({"alg":"ES256","typ":"application/jwt","kid":")" +
                               es_->kid() + "\"}",
                           Payload())),
              IsOk());
}

TEST_F(JwtVerifierTest, ExpiryHonoursTheClockSkewExactly) {
  const std::string token = Sign(*es_);
  const absl::Time exp = kNow + absl::Hours(1);
  clock_.Set(exp + absl::Seconds(59));
  EXPECT_THAT(Verify(token), IsOk());
  clock_.Set(exp + absl::Minutes(1));
  EXPECT_THAT(Verify(token),
              StatusIs(kRefused,
                       "payload: token expired at 2025-01-29T04:13:18+00:00 "
                       "(now 2025-01-29T04:14:18+00:00, clock skew 1m)"));
  ASSERT_OK_AND_ASSIGN(JwtVerifier strict,
                       Builder().SetClockSkew(absl::ZeroDuration()).Build());
  clock_.Set(exp);
  EXPECT_THAT(strict.Verify(token),
              StatusIs(kRefused, HasSubstr("token expired at")));
}

TEST_F(JwtVerifierTest, NotYetValidAndFutureIssuedAtAreRefused) {
  RawJwtBuilder future = Claims();
  future.SetNotBefore(kNow + absl::Minutes(2));
  EXPECT_THAT(Verify(Sign(*es_, future)),
              StatusIs(kRefused, HasSubstr("payload: token not valid before "
                                           "2025-01-29T03:15:18+00:00")));
  RawJwtBuilder within_skew = Claims();
  within_skew.SetNotBefore(kNow + absl::Seconds(30));
  EXPECT_THAT(Verify(Sign(*es_, within_skew)), IsOk());
  RawJwtBuilder iat = Claims();
  iat.SetIssuedAt(kNow + absl::Minutes(10));
  EXPECT_THAT(
      Verify(Sign(*es_, iat)),
      StatusIs(kRefused, HasSubstr("payload: \"iat\" 2025-01-29T03:23:18+00:00 "
                                   "is in the future")));
}

TEST_F(JwtVerifierTest, WrongOrMissingIssuerIsRefused) {
  RawJwtBuilder other = Claims();
  other.SetIssuer("https://evil.example");
  EXPECT_THAT(Verify(Sign(*es_, other)),
              StatusIs(kRefused,
                       "payload: issuer \"https://evil.example\" is not the "
                       "expected \"https://vigil.example\""));
  EXPECT_THAT(Verify(Forge(*es_, EsHeader(), R"({"exp":1738123998})")),
              StatusIs(kRefused, "payload: \"iss\" is missing"));
  EXPECT_THAT(
      Verify(Forge(*es_, EsHeader(), R"({"iss":"https://vigil.example"})")),
      StatusIs(kRefused, "payload: \"exp\" is missing"));
}

TEST_F(JwtVerifierTest, AudienceRules) {
  RawJwtBuilder with_aud = Claims();
  with_aud.AddClaim("aud", Json::array({"rp-1", "rp-2"}));
  const std::string token = Sign(*es_, with_aud);
  EXPECT_THAT(Verify(token),
              StatusIs(kRefused, HasSubstr("expects no audience")));
  ASSERT_OK_AND_ASSIGN(JwtVerifier rp2,
                       Builder().ExpectAudience("rp-2").Build());
  EXPECT_THAT(rp2.Verify(token), IsOk());
  ASSERT_OK_AND_ASSIGN(JwtVerifier rp3,
                       Builder().ExpectAudience("rp-3").Build());
  EXPECT_THAT(rp3.Verify(token),
              StatusIs(kRefused, "payload: \"aud\" does not contain \"rp-3\""));
  EXPECT_THAT(rp3.Verify(Sign(*es_)),
              StatusIs(kRefused, HasSubstr("does not contain")));
}

TEST_F(JwtVerifierTest, SignedButMalformedPayloadIsRefusedAfterTheSignature) {
  EXPECT_THAT(Verify(Forge(*es_, EsHeader(), Payload(R"(,"exp":1)"))),
              StatusIs(kMalformed, "payload: duplicate member \"exp\""));
  EXPECT_THAT(Verify(Forge(*es_, EsHeader(), "[]")),
              StatusIs(kMalformed, "payload: not a JSON object"));
  // Unsigned garbage in the payload never reaches the JSON parser.
  std::vector<std::string> parts = absl::StrSplit(Sign(*es_), '.');
  EXPECT_THAT(Verify(parts[0] + "." + B64("{{{") + "." + parts[2]),
              StatusIs(kRefused, HasSubstr("does not verify")));
}

TEST_F(JwtVerifierTest, BuilderRefusesUnsafeConfigurations) {
  EXPECT_THAT(JwtVerifierBuilder().ExpectIssuer(kIssuer).Build(),
              StatusIs(kMalformed, "jwks: not set"));
  EXPECT_THAT(JwtVerifierBuilder().SetJwks(*jwks_).Build(),
              StatusIs(kMalformed, "issuer: not set"));
  EXPECT_THAT(Builder().SetClockSkew(absl::Minutes(11)).Build(),
              StatusIs(kMalformed, HasSubstr("clock skew")));
  EXPECT_THAT(Builder().SetClockSkew(absl::Seconds(-1)).Build(),
              StatusIs(kMalformed, HasSubstr("clock skew")));
  EXPECT_THAT(Builder().AllowAlgorithms({}).Build(),
              StatusIs(kMalformed, "algorithms: empty"));
  EXPECT_THAT(
      Builder().SetJwks(*Jwks::Parse(R"({"keys":[{"kty":"oct"}]})")).Build(),
      StatusIs(kMalformed, HasSubstr("jwks: no usable key (keys[0]: kty")));
  EXPECT_THAT(Builder().SetLimits({.max_token_size = 0}).Build(),
              StatusIs(kMalformed, HasSubstr("limits")));
}

std::string ReadSeed(const std::string& name) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) +
                   "/service/token/fuzz/corpus/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The fuzz seeds were signed by Python's `cryptography` (a separate ES256
// implementation, R || S made by hand from its DER output); the verifier
// must accept the valid one and refuse the others for the stated reason.
TEST(JwtVerifierInterop, TokensSignedByAnotherImplementationVerify) {
  FakeClock clock(kNow);
  ASSERT_OK_AND_ASSIGN(Jwks jwks, Jwks::Parse(ReadSeed("jwks_p256.json")));
  ASSERT_OK_AND_ASSIGN(JwtVerifier verifier,
                       JwtVerifierBuilder()
                           .SetJwks(jwks)
                           .ExpectIssuer(kIssuer)
                           .ExpectAudience("rp")
                           .SetClockSkew(absl::ZeroDuration())
                           .SetClock(clock)
                           .Build());
  ASSERT_OK_AND_ASSIGN(VerifiedJwt jwt,
                       verifier.Verify(ReadSeed("valid_es256")));
  EXPECT_EQ(*jwt.jwt_id(), "seed");
  // Expired 10 s ago: refused without skew (a 1-minute skew would accept it).
  EXPECT_THAT(verifier.Verify(ReadSeed("expired")),
              StatusIs(kRefused, HasSubstr("token expired")));
  EXPECT_THAT(verifier.Verify(ReadSeed("wrong_issuer")),
              StatusIs(kRefused, HasSubstr("issuer \"https://evil.example\"")));
  EXPECT_THAT(verifier.Verify(ReadSeed("dup_claim")),
              StatusIs(kMalformed, "payload: duplicate member \"exp\""));
  EXPECT_THAT(verifier.Verify(ReadSeed("crit")),
              StatusIs(kRefused, HasSubstr("crit")));
  EXPECT_THAT(verifier.Verify(ReadSeed("alg_hs256")),
              StatusIs(kRefused, HasSubstr("\"HS256\" is not allowed")));
}

}  // namespace
}  // namespace vigil::token
