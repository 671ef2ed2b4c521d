// The envelope rules of management_jws.h, on JWS written byte by byte here
// (headers the writers never produce) and signed by keys made at test time.
#include "service/control/management_jws.h"

#include <openssl/hmac.h>

#include <string>

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/control/testing/test_pki.h"
#include "service/token/testing/independent_verifier.h"

namespace vigil::control {
namespace {

using testing::B64Url;
using ::testing::HasSubstr;
using testing::RawJws;
using testing::SignedRawJws;
using testing::SigningInput;
using ::testing::SizeIs;
using ::testing::StartsWith;
using testing::TestSigner;
using testing::X5cJson;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr char kPayload[] = R"({"AttestationPolicy":"dmVyc2lvbj0xLjA7"})";

TEST(ManagementJws, UnsignedDocumentHasNoSigner) {
  ASSERT_OK_AND_ASSIGN(
      VerifiedManagementJws v,
      DecodeManagementJws(RawJws(R"({"alg":"none"})", kPayload)));
  EXPECT_FALSE(v.signer().has_value());
  ASSERT_TRUE(v.claims().has_value());
  EXPECT_EQ((*v.claims())["AttestationPolicy"], "dmVyc2lvbj0xLjA7");
}

TEST(ManagementJws, NoneWithASignatureIsRefused) {
  EXPECT_THAT(
      DecodeManagementJws(RawJws(R"({"alg":"none"})", kPayload, "sig")),
      StatusIs(kInvalid, StartsWith("signature: alg \"none\" requires an "
                                    "empty signature (RFC 7518 §3.6)")));
}

TEST(ManagementJws, NoneWithAKeyIsRefused) {
  TestSigner s = TestSigner::Make("P-256", "s");
  EXPECT_THAT(DecodeManagementJws(RawJws(
                  R"({"alg":"none","x5c":)" + X5cJson(s) + "}", kPayload)),
              StatusIs(kInvalid, HasSubstr("alg \"none\" with a signing key")));
  EXPECT_THAT(
      DecodeManagementJws(RawJws(
          R"({"alg":"none","jwk":{"x5c":)" + X5cJson(s) + "}}", kPayload)),
      StatusIs(kInvalid, HasSubstr("alg \"none\" with a signing key")));
}

TEST(ManagementJws, Rs256AndEs256VerifyWithTheX5cLeaf) {
  for (const char* what : {"P-256", "RSA-2048"}) {
    TestSigner s = TestSigner::Make(what, "s");
    const std::string alg =
        std::string(token::JwsAlgorithmName(s.key.algorithm()));
    const std::string jws = SignedRawJws(
        s, R"({"alg":")" + alg + R"(","x5c":)" + X5cJson(s) + "}", kPayload);
    ASSERT_OK_AND_ASSIGN(VerifiedManagementJws v, DecodeManagementJws(jws));
    ASSERT_TRUE(v.signer().has_value()) << what;
    EXPECT_EQ(v.signer()->algorithm(), s.key.algorithm());
    EXPECT_EQ(v.signer()->leaf().der(), s.der);
    EXPECT_EQ(v.compact(), jws);
  }
}

TEST(ManagementJws, JwkX5cIsAcceptedAsTheSdkSendsIt) {
  TestSigner s = TestSigner::Make("RSA-2048", "sdk");
  // The Python SDK's header: {"alg": "RSA256", "jwk": {"x5c": [...]}}.
  const std::string jws = SignedRawJws(
      s, R"({"alg": "RSA256", "jwk": {"x5c": )" + X5cJson(s) + "}}", kPayload);
  ASSERT_OK_AND_ASSIGN(UntrustedManagementJws parsed, ParseManagementJws(jws));
  EXPECT_EQ(parsed.x5c_member, "jwk.x5c");
  EXPECT_EQ(parsed.header.alg, "RSA256");
  EXPECT_EQ(parsed.algorithm, token::JwsAlgorithm::kRs256);
  ASSERT_OK_AND_ASSIGN(VerifiedManagementJws v, DecodeManagementJws(jws));
  EXPECT_EQ(v.signer()->algorithm(), token::JwsAlgorithm::kRs256);
}

TEST(ManagementJws, AliasesMapToTheRegisteredAlgorithms) {
  TestSigner rsa = TestSigner::Make("RSA-2048", "rsa");
  TestSigner ec = TestSigner::Make("P-256", "ec");
  ASSERT_OK_AND_ASSIGN(
      VerifiedManagementJws r,
      DecodeManagementJws(SignedRawJws(
          rsa, R"({"alg":"RSA256","x5c":)" + X5cJson(rsa) + "}", kPayload)));
  EXPECT_EQ(r.signer()->algorithm(), token::JwsAlgorithm::kRs256);
  ASSERT_OK_AND_ASSIGN(
      VerifiedManagementJws e,
      DecodeManagementJws(SignedRawJws(
          ec, R"({"alg":"ECDH256","x5c":)" + X5cJson(ec) + "}", kPayload)));
  EXPECT_EQ(e.signer()->algorithm(), token::JwsAlgorithm::kEs256);
  // Names are case-sensitive (RFC 7515 §4.1.1).
  EXPECT_THAT(
      DecodeManagementJws(SignedRawJws(
          rsa, R"({"alg":"rs256","x5c":)" + X5cJson(rsa) + "}", kPayload)),
      StatusIs(kInvalid, HasSubstr("alg \"rs256\" is not accepted")));
}

TEST(ManagementJws, Ecdh256StillNeedsTheJoseSignatureEncoding) {
  // What Python's `cryptography` returns for an EC key: a DER ECDSA-Sig-Value,
  // not R || S. The alias does not relax RFC 7518 §3.4.
  TestSigner ec = TestSigner::Make("P-256", "ec");
  const std::string input =
      SigningInput(R"({"alg":"ECDH256","x5c":)" + X5cJson(ec) + "}", kPayload);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string der(128, '\0');
  ASSERT_EQ(
      EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, ec.raw.get()), 1);
  len = der.size();
  ASSERT_EQ(
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()),
      1);
  EVP_MD_CTX_free(ctx);
  der.resize(len);
  EXPECT_THAT(DecodeManagementJws(input + "." + B64Url(der)),
              StatusIs(kInvalid, HasSubstr("want 64 (R || S")));
}

TEST(ManagementJws, Hs256WithThePublicKeyAsSecretIsRefused) {
  // Algorithm confusion (RFC 8725 §2.1): HMAC "signed" with bytes anyone has.
  TestSigner s = TestSigner::Make("RSA-2048", "victim");
  const std::string input =
      SigningInput(R"({"alg":"HS256","x5c":)" + X5cJson(s) + "}", kPayload);
  unsigned char mac[32];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), s.der.data(), static_cast<int>(s.der.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
       &mac_len);
  const std::string jws =
      input + "." +
      B64Url(std::string(reinterpret_cast<const char*>(mac), mac_len));
  EXPECT_THAT(DecodeManagementJws(jws),
              StatusIs(kInvalid, StartsWith("header: alg \"HS256\" is not "
                                            "accepted for policy management")));
  for (const char* alg : {"HS384", "PS256", "ES384", "EdDSA", "RS512", ""}) {
    EXPECT_THAT(
        DecodeManagementJws(SignedRawJws(
            s,
            R"({"alg":")" + std::string(alg) + R"(","x5c":)" + X5cJson(s) + "}",
            kPayload)),
        StatusIs(kInvalid, HasSubstr("is not accepted")))
        << alg;
  }
}

TEST(ManagementJws, JwkWithoutX5cIsNotAnX509Certificate) {
  TestSigner s = TestSigner::Make("P-256", "raw");
  const std::string jws = SignedRawJws(
      s,
      R"({"alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}})",
      kPayload);
  EXPECT_THAT(DecodeManagementJws(jws),
              StatusIs(kInvalid, HasSubstr("policy signing key is not an "
                                           "X.509 certificate")));
  EXPECT_THAT(DecodeManagementJws(
                  SignedRawJws(s, R"({"alg":"ES256","jwk":"x"})", kPayload)),
              StatusIs(kInvalid,
                       "header: jwk: not a JSON object (RFC 7515 "
                       "§4.1.3)"));
}

TEST(ManagementJws, SignedWithoutAnyKeyIsRefused) {
  TestSigner s = TestSigner::Make("P-256", "s");
  EXPECT_THAT(
      DecodeManagementJws(
          SignedRawJws(s, R"({"alg":"ES256","kid":"k"})", kPayload)),
      StatusIs(kInvalid, HasSubstr("alg \"ES256\" without a certificate")));
}

TEST(ManagementJws, X5cGarbageNamesTheEntry) {
  TestSigner s = TestSigner::Make("P-256", "s");
  auto decode = [&](const std::string& x5c) {
    return DecodeManagementJws(
        SignedRawJws(s, R"({"alg":"ES256","x5c":)" + x5c + "}", kPayload));
  };
  EXPECT_THAT(decode("[]"),
              StatusIs(kInvalid, HasSubstr("x5c: not a non-empty array")));
  EXPECT_THAT(decode(R"("MIIB")"),
              StatusIs(kInvalid, HasSubstr("x5c: not a non-empty array")));
  EXPECT_THAT(decode("[1]"),
              StatusIs(kInvalid, "header: x5c[0]: not a string"));
  EXPECT_THAT(decode(R"(["***"])"),
              StatusIs(kInvalid, HasSubstr("header: x5c[0]: not standard "
                                           "base64")));
  EXPECT_THAT(decode(R"(["AAAA"])"), StatusIs(kInvalid,
                                              "header: x5c[0]: not a DER X.509 "
                                              "certificate"));
  const std::string good = X5cJson(s);
  EXPECT_THAT(decode(good.substr(0, good.size() - 1) + R"(,"AAAA"])"),
              StatusIs(kInvalid,
                       "header: x5c[1]: not a DER X.509 "
                       "certificate"));
  std::string nine = "[";
  for (int i = 0; i < 9; ++i) {
    nine += (i ? "," : "") + good.substr(1, good.size() - 2);
  }
  EXPECT_THAT(decode(nine + "]"),
              StatusIs(kInvalid, HasSubstr("x5c: 9 certificates, at most 8")));
}

TEST(ManagementJws, X5cAndJwkX5cMustAgree) {
  TestSigner a = TestSigner::Make("P-256", "a");
  TestSigner b = TestSigner::Make("P-256", "b");
  const std::string header = R"({"alg":"ES256","x5c":)" + X5cJson(a) +
                             R"(,"jwk":{"x5c":)" + X5cJson(b) + "}}";
  EXPECT_THAT(DecodeManagementJws(SignedRawJws(a, header, kPayload)),
              StatusIs(kInvalid, HasSubstr("name different certificates")));
  const std::string same = R"({"alg":"ES256","x5c":)" + X5cJson(a) +
                           R"(,"jwk":{"x5c":)" + X5cJson(a) + "}}";
  EXPECT_THAT(DecodeManagementJws(SignedRawJws(a, same, kPayload)), IsOk());
}

TEST(ManagementJws, AlgMustFitTheCertificateKey) {
  TestSigner rsa = TestSigner::Make("RSA-2048", "rsa");
  TestSigner ec = TestSigner::Make("P-256", "ec");
  // Signed correctly with the EC key, but claiming ES256 with an RSA cert.
  EXPECT_THAT(
      DecodeManagementJws(SignedRawJws(
          ec, R"({"alg":"ES256","x5c":)" + X5cJson(rsa) + "}", kPayload)),
      StatusIs(kInvalid,
               "header: alg \"ES256\" does not fit the x5c[0] "
               "certificate's RSA key (it verifies RS256 only; RFC "
               "8725 §3.1)"));
  EXPECT_THAT(
      DecodeManagementJws(SignedRawJws(
          rsa, R"({"alg":"RS256","x5c":)" + X5cJson(ec) + "}", kPayload)),
      StatusIs(kInvalid, HasSubstr("does not fit the x5c[0] certificate's EC "
                                   "P-256 key")));
}

TEST(ManagementJws, WeakOrUnsupportedCertificateKeysAreRefused) {
  TestSigner small = TestSigner::Make("RSA-1024", "small");
  const std::string input =
      SigningInput(R"({"alg":"RS256","x5c":)" + X5cJson(small) + "}", kPayload);
  EXPECT_THAT(DecodeManagementJws(input + "." + B64Url(std::string(128, 'x'))),
              StatusIs(kInvalid, HasSubstr("header: x5c[0]: RSA key of 1024 "
                                           "bits is not supported")));
}

TEST(ManagementJws, TamperingWithAnyPartBreaksTheSignature) {
  TestSigner s = TestSigner::Make("RSA-2048", "s");
  const std::string header = R"({"alg":"RS256","x5c":)" + X5cJson(s) + "}";
  const std::string jws = SignedRawJws(s, header, kPayload);
  ASSERT_THAT(DecodeManagementJws(jws), IsOk());
  const size_t dot1 = jws.find('.');
  const size_t dot2 = jws.rfind('.');
  // Payload: another policy under the same header and signature.
  const std::string other_payload =
      jws.substr(0, dot1 + 1) +
      B64Url(R"({"AttestationPolicy":"dmVyc2lvbj0xLjE7"})") + jws.substr(dot2);
  EXPECT_THAT(DecodeManagementJws(other_payload),
              StatusIs(kInvalid, HasSubstr("signature: RS256 signature does "
                                           "not verify")));
  // Header: the same key, one more member.
  const std::string other_header =
      B64Url(R"({"alg":"RS256","typ":"JWT","x5c":)" + X5cJson(s) + "}") +
      jws.substr(dot1);
  EXPECT_THAT(DecodeManagementJws(other_header),
              StatusIs(kInvalid, HasSubstr("does not verify")));
  // Signature: one bit flipped.
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> sig,
                       Base64UrlDecode(jws.substr(dot2 + 1)));
  sig[10] ^= 1;
  EXPECT_THAT(
      DecodeManagementJws(jws.substr(0, dot2 + 1) + Base64UrlEncode(sig)),
      StatusIs(kInvalid, HasSubstr("does not verify")));
  // Signed with another key, that key's certificate not in the header.
  TestSigner other = TestSigner::Make("RSA-2048", "other");
  EXPECT_THAT(DecodeManagementJws(SignedRawJws(other, header, kPayload)),
              StatusIs(kInvalid, HasSubstr("does not verify")));
}

TEST(ManagementJws, CritIsRefused) {
  TestSigner s = TestSigner::Make("P-256", "s");
  EXPECT_THAT(
      DecodeManagementJws(SignedRawJws(
          s,
          R"({"alg":"ES256","crit":["exp"],"exp":1,"x5c":)" + X5cJson(s) + "}",
          kPayload)),
      StatusIs(kInvalid, HasSubstr("\"crit\" is not supported")));
}

TEST(ManagementJws, JsonIsStrict) {
  EXPECT_THAT(
      DecodeManagementJws(RawJws(R"({"alg":"RS256","alg":"none"})", kPayload)),
      StatusIs(kInvalid, "header: duplicate member \"alg\""));
  EXPECT_THAT(DecodeManagementJws(RawJws(
                  R"({"alg":"none"})",
                  R"({"AttestationPolicy":"a","AttestationPolicy":"b"})")),
              StatusIs(kInvalid,
                       "payload: duplicate member "
                       "\"AttestationPolicy\""));
  EXPECT_THAT(DecodeManagementJws(RawJws(R"({"alg":"none"})", "[1]")),
              StatusIs(kInvalid, "payload: not a JSON object"));
}

TEST(ManagementJws, SplitErrorsNameTheTokenPart) {
  EXPECT_THAT(DecodeManagementJws("abc"),
              StatusIs(kInvalid, HasSubstr("token: 1 segments, want 3")));
  EXPECT_THAT(DecodeManagementJws(""), StatusIs(kInvalid, "token: empty"));
  EXPECT_THAT(DecodeManagementJws("..x"), StatusIs(kInvalid, "header: empty"));
  EXPECT_THAT(DecodeManagementJws("eyJhbGciOiJub25lIn0.e30=."),
              StatusIs(kInvalid, HasSubstr("payload: has '=' padding")));
  // A trailing newline is not part of a JWS; callers pass the exact body.
  EXPECT_THAT(DecodeManagementJws("eyJhbGciOiJub25lIn0..\n"),
              StatusIs(kInvalid, HasSubstr("signature: ")));
}

TEST(ManagementJws, EmptyPayloadIsKeptAsNoClaims) {
  ASSERT_OK_AND_ASSIGN(VerifiedManagementJws v,
                       DecodeManagementJws("eyJhbGciOiJub25lIn0.."));
  EXPECT_FALSE(v.claims().has_value());
  EXPECT_FALSE(v.signer().has_value());
}

TEST(ManagementJws, ParsedFormKeepsEverythingUnverified) {
  TestSigner root = TestSigner::Make("P-256", "root", {.ca = true});
  TestSigner leaf = TestSigner::Make("P-256", "leaf", {.issuer = &root});
  const std::string jws = SignedRawJws(
      leaf, R"({"alg":"ES256","x5c":)" + X5cJson(leaf) + "}", kPayload);
  ASSERT_OK_AND_ASSIGN(UntrustedManagementJws p, ParseManagementJws(jws));
  EXPECT_EQ(p.compact, jws);
  EXPECT_EQ(p.signing_input(), jws.substr(0, jws.rfind('.')));
  ASSERT_THAT(p.untrusted_x5c, SizeIs(2));
  EXPECT_EQ(p.untrusted_x5c[1].der(), root.der);
  ASSERT_OK_AND_ASSIGN(VerifiedManagementJws v,
                       VerifyManagementJws(std::move(p)));
  ASSERT_THAT(v.signer()->certificates(), SizeIs(2));
}

TEST(PolicyTokenHash, IsBase64UrlSha256OfTheExactBytes) {
  // maa-spec §5.1-5.2: the Python SDK's recorded request body and the hash
  // the service answered for it.
  EXPECT_EQ(
      PolicyTokenHash(
          "eyJhbGciOiJub25lIn0.eyJBdHRlc3RhdGlvblBvbGljeSI6ICJkbVZ5YzJsdmJqMH"
          "hMakE3SUdGMWRHaHZjbWw2WVhScGIyNXlkV3hsYzNzOVBpQndaWEp0YVhRb0tUdDlP"
          "eUJwYzNOMVlXNWpaWEoxYkdWemUzMDcifQ."),
      "pyhI2FKMjRkvpvwS07hLclAyvsi5O4TrnzL5OPsIxzM");
  EXPECT_EQ(PolicyTokenHash(""), "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
}

}  // namespace
}  // namespace vigil::control
