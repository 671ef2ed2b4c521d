#include "service/token/jwt_signer.h"

#include <openssl/sha.h>

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/token/testing/independent_verifier.h"

namespace vigil::token {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

const absl::Time kNow = absl::FromUnixSeconds(1738120398);

RawJwt SampleJwt() {
  return *RawJwtBuilder()
              .SetIssuer("https://vigil.example")
              .SetIssuedAt(kNow)
              .SetExpiration(kNow + absl::Hours(8))
              .AddClaim("x-ms-policy", Json{{"secureBootEnabled", true}})
              .Build();
}

Json Segment(const std::string& token, int i) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  return Json::parse(
      testing::RawBase64UrlDecode(parts[static_cast<size_t>(i)]));
}

class JwtSignerRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(JwtSignerRoundTrip, IndependentEvpVerifierAcceptsTheToken) {
  testing::PkeyPtr raw = testing::RawGenerate(GetParam());
  ASSERT_OK_AND_ASSIGN(
      SigningKey key,
      SigningKey::ParsePem(testing::RawPrivatePem(raw.get(), true)));
  ASSERT_OK_AND_ASSIGN(OpenSslJwtSigner signer, OpenSslJwtSigner::Create(key));
  ASSERT_OK_AND_ASSIGN(std::string token, signer.SignAndEncode(SampleJwt()));
  EXPECT_EQ(testing::IndependentVerify(token, raw.get()), "");
  EXPECT_EQ(Segment(token, 0),
            (Json{{"alg", std::string(JwsAlgorithmName(key.algorithm()))},
                  {"typ", "JWT"},
                  {"kid", key.kid()}}));
  EXPECT_EQ(Segment(token, 1), SampleJwt().claims());
  // Another key's public half does not verify it.
  testing::PkeyPtr other = testing::RawGenerate(GetParam());
  EXPECT_NE(testing::IndependentVerify(token, other.get()), "");
}

INSTANTIATE_TEST_SUITE_P(Algorithms, JwtSignerRoundTrip,
                         ::testing::Values("P-256", "RSA-2048"));

TEST(JwtSigner, X5cCarriesTheChainInStandardBase64) {
  testing::PkeyPtr raw = testing::RawGenerate("P-256");
  ASSERT_OK_AND_ASSIGN(
      SigningKey key,
      SigningKey::ParsePem(testing::RawPrivatePem(raw.get(), true)));
  const std::string der = testing::RawSelfSignedCertDer(raw.get(), "vigil");
  ASSERT_OK_AND_ASSIGN(key, key.WithCertificateChain({der}));
  ASSERT_OK_AND_ASSIGN(
      OpenSslJwtSigner x5c,
      OpenSslJwtSigner::Create(key, {CertificateHeader::kX5c}));
  ASSERT_OK_AND_ASSIGN(std::string token, x5c.SignAndEncode(SampleJwt()));
  EXPECT_EQ(Segment(token, 0)["x5c"],
            Json::array({Base64Encode(AsBytes(der))}));
  EXPECT_EQ(testing::IndependentVerify(token, raw.get()), "");

  ASSERT_OK_AND_ASSIGN(
      OpenSslJwtSigner x5t,
      OpenSslJwtSigner::Create(key, {CertificateHeader::kX5t}));
  ASSERT_OK_AND_ASSIGN(token, x5t.SignAndEncode(SampleJwt()));
  unsigned char sha1[20];
  SHA1(reinterpret_cast<const unsigned char*>(der.data()), der.size(), sha1);
  EXPECT_EQ(Segment(token, 0)["x5t"],
            Base64UrlEncode(absl::MakeConstSpan(sha1, 20)));
  EXPECT_FALSE(Segment(token, 0).contains("x5c"));
}

TEST(JwtSigner, CertificateHeaderNeedsAChain) {
  ASSERT_OK_AND_ASSIGN(SigningKey key, SigningKey::Generate());
  EXPECT_THAT(OpenSslJwtSigner::Create(key, {CertificateHeader::kX5c}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no certificate chain")));
}

}  // namespace
}  // namespace vigil::token
