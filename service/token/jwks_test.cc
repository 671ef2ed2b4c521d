#include "service/token/jwks.h"

#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/token/testing/independent_verifier.h"

namespace vigil::token {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;

std::vector<std::string> Members(const Json& jwk) {
  std::vector<std::string> names;
  for (const auto& [name, value] : jwk.items()) names.push_back(name);
  return names;
}

TEST(PublicJwk, EcKeyHasRfc7518Members) {
  ASSERT_OK_AND_ASSIGN(SigningKey key, SigningKey::Generate());
  ASSERT_OK_AND_ASSIGN(Json jwk, PublicJwk(key));
  EXPECT_THAT(Members(jwk),
              ElementsAre("kty", "crv", "x", "y", "kid", "use", "alg"));
  EXPECT_EQ(jwk["kty"], "EC");
  EXPECT_EQ(jwk["crv"], "P-256");
  EXPECT_THAT(jwk["x"].get<std::string>(), SizeIs(43));  // 32 bytes, full size
  EXPECT_THAT(jwk["y"].get<std::string>(), SizeIs(43));
  EXPECT_EQ(jwk["kid"], key.kid());
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_EQ(jwk["alg"], "ES256");
}

TEST(PublicJwk, RsaKeyHasRfc7518Members) {
  ASSERT_OK_AND_ASSIGN(SigningKey key,
                       SigningKey::Generate(JwsAlgorithm::kRs256));
  ASSERT_OK_AND_ASSIGN(Json jwk, PublicJwk(key));
  EXPECT_THAT(Members(jwk), ElementsAre("kty", "n", "e", "kid", "use", "alg"));
  EXPECT_EQ(jwk["e"], "AQAB");
  EXPECT_THAT(jwk["n"].get<std::string>(), SizeIs(342));  // 256 bytes
  EXPECT_EQ(jwk["alg"], "RS256");
}

TEST(PublicJwk, ChainIsPublishedAsX5c) {
  testing::PkeyPtr raw = testing::RawGenerate("RSA-2048");
  ASSERT_OK_AND_ASSIGN(
      SigningKey key,
      SigningKey::ParsePem(testing::RawPrivatePem(raw.get(), true)));
  const std::string der = testing::RawSelfSignedCertDer(raw.get(), "vigil");
  ASSERT_OK_AND_ASSIGN(key, key.WithCertificateChain({der}));
  ASSERT_OK_AND_ASSIGN(Json jwk, PublicJwk(key));
  EXPECT_EQ(jwk["x5c"], Json::array({Base64Encode(AsBytes(der))}));
  // And it parses back, with the x5c leaf agreeing with n/e.
  ASSERT_OK_AND_ASSIGN(Jwks set, Jwks::Parse(RenderJwks({jwk})));
  EXPECT_THAT(set.keys(), SizeIs(1));
  EXPECT_THAT(set.skipped(), SizeIs(0));
}

TEST(Jwks, RenderedSetParsesBackAndVerifies) {
  ASSERT_OK_AND_ASSIGN(SigningKey es, SigningKey::Generate());
  ASSERT_OK_AND_ASSIGN(SigningKey rs,
                       SigningKey::Generate(JwsAlgorithm::kRs256));
  ASSERT_OK_AND_ASSIGN(Json es_jwk, PublicJwk(es));
  ASSERT_OK_AND_ASSIGN(Json rs_jwk, PublicJwk(rs));
  const std::string text = RenderJwks({es_jwk, rs_jwk});
  EXPECT_EQ(text.substr(0, 9), "{\"keys\":[");
  ASSERT_OK_AND_ASSIGN(Jwks set, Jwks::Parse(text));
  ASSERT_THAT(set.keys(), SizeIs(2));
  const VerificationKey* k = set.Find(es.kid());
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->kty(), "EC");
  ASSERT_OK_AND_ASSIGN(std::string sig, es.Sign("a.b"));
  EXPECT_THAT(k->Verify(JwsAlgorithm::kEs256, "a.b", sig), IsOk());
  EXPECT_THAT(k->Verify(JwsAlgorithm::kEs256, "a.c", sig),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("does not verify")));
  EXPECT_THAT(k->Verify(JwsAlgorithm::kRs256, "a.b", sig),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("does not fit key")));
  EXPECT_EQ(set.Find("nope"), nullptr);
}

TEST(Jwks, X5cOnlyEntryAsAzureAttestationPublishesIt) {
  testing::PkeyPtr raw = testing::RawGenerate("RSA-2048");
  const std::string der = testing::RawSelfSignedCertDer(raw.get(), "maa");
  const Json jwk = {{"x5c", Json::array({Base64Encode(AsBytes(der))})},
                    {"kid", "sa6F8EVkSXmjU_TXehzdlMmGna8"},
                    {"kty", "RSA"}};
  ASSERT_OK_AND_ASSIGN(Jwks set, Jwks::Parse(RenderJwks({jwk})));
  ASSERT_THAT(set.keys(), SizeIs(1));
  EXPECT_EQ(set.keys()[0].algorithm(), JwsAlgorithm::kRs256);
}

std::string RsaModulus(EVP_PKEY* key) {
  BIGNUM* n = nullptr;
  EVP_PKEY_get_bn_param(key, "n", &n);
  std::vector<uint8_t> bytes(static_cast<size_t>(BN_num_bytes(n)));
  BN_bn2bin(n, bytes.data());
  BN_free(n);
  return Base64UrlEncode(bytes);
}

Json GoodEc() { return *PublicJwk(*SigningKey::Generate()); }

TEST(Jwks, UnusableEntriesAreSkippedWithTheReason) {
  std::vector<Json> entries;
  auto add = [&](Json j) { entries.push_back(std::move(j)); };
  add({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "AAAA"}, {"kid", "okp"}});
  auto with = [](const char* member, Json value) {
    Json jwk = GoodEc();
    jwk[member] = std::move(value);
    return jwk;
  };
  add(with("use", "enc"));
  add(with("alg", "RS256"));
  add(with("alg", "HS256"));
  add(with("crv", "P-384"));
  Json off_curve = GoodEc();
  off_curve["y"] = off_curve["x"];
  add(off_curve);
  add(with("x", "AAAA"));
  Json no_kid = GoodEc();
  no_kid.erase("kid");
  add(no_kid);
  add(with("key_ops", Json::array({"sign"})));
  Json small_rsa = *PublicJwk(*SigningKey::Generate(JwsAlgorithm::kRs256));
  small_rsa["n"] = RsaModulus(testing::RawGenerate("RSA-1024").get());
  add(small_rsa);
  Json mismatched = GoodEc();
  testing::PkeyPtr other = testing::RawGenerate("P-256");
  mismatched["x5c"] = Json::array(
      {Base64Encode(AsBytes(testing::RawSelfSignedCertDer(other.get(), "x")))});
  add(mismatched);
  add(GoodEc());

  ASSERT_OK_AND_ASSIGN(Jwks set, Jwks::Parse(RenderJwks(entries)));
  EXPECT_THAT(set.keys(), SizeIs(1));
  EXPECT_THAT(
      set.skipped(),
      ElementsAre(HasSubstr("keys[0]: kty \"OKP\" is not supported"),
                  HasSubstr("keys[1]: use \"enc\" is not \"sig\""),
                  HasSubstr("keys[2]: alg \"RS256\" does not fit this key"),
                  HasSubstr("keys[3]: alg \"HS256\" does not fit this key"),
                  HasSubstr("keys[4]: crv \"P-384\" is not supported"),
                  HasSubstr("keys[5]: x/y is not a point on P-256"),
                  HasSubstr("keys[6]: x is 3 bytes, want 32"),
                  HasSubstr("keys[7]: kid is missing"),
                  HasSubstr("keys[8]: key_ops lacks \"verify\""),
                  HasSubstr("keys[9]: RSA key of 1024 bits is not supported"),
                  HasSubstr("keys[10]: x5c[0] is for another key")));
}

TEST(Jwks, MalformedSetsAreRefused) {
  EXPECT_THAT(Jwks::Parse("[]"), StatusIs(absl::StatusCode::kInvalidArgument,
                                          "JWKS: not a JSON object"));
  EXPECT_THAT(
      Jwks::Parse("{\"keys\":{}}"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an array")));
  EXPECT_THAT(Jwks::Parse("{\"keys\":[],\"keys\":[]}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "JWKS: duplicate member \"keys\""));
  EXPECT_THAT(Jwks::Parse("{\"keys\":["),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("JWKS: not JSON: ")));
  const Json ec = GoodEc();
  EXPECT_THAT(Jwks::Parse(RenderJwks({ec, ec})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is used by an earlier key")));
}

}  // namespace
}  // namespace vigil::token
