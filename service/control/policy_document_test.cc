#include "service/control/policy_document.h"

#include <string>

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/control/jws_writer.h"
#include "service/control/testing/test_pki.h"

namespace vigil::control {
namespace {

using testing::B64Url;
using ::testing::HasSubstr;
using testing::RawJws;
using testing::SignedRawJws;
using ::testing::StartsWith;
using testing::TestSigner;
using testing::X5cJson;
using ::vigil::testing::StatusIs;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

// maa-spec §5.1: the unsigned TPM policy the Python SDK sent with
// PUT /policies/Tpm (recorded), and §5.2: the x-ms-policy-token-hash the
// service answered.
constexpr char kSpecExample[] =
    "eyJhbGciOiJub25lIn0.eyJBdHRlc3RhdGlvblBvbGljeSI6ICJkbVZ5YzJsdmJqMHhMak"
    "E3SUdGMWRHaHZjbWw2WVhScGIyNXlkV3hsYzNzOVBpQndaWEp0YVhRb0tUdDlPeUJwYzNO"
    "MVlXNWpaWEoxYkdWemUzMDcifQ.";

TEST(DecodePolicyDocument, SpecExampleDecodesWithTheRecordedHash) {
  ASSERT_OK_AND_ASSIGN(PolicyDocument doc, DecodePolicyDocument(kSpecExample));
  EXPECT_EQ(doc.policy_text(),
            "version=1.0; authorizationrules{=> permit();}; issuancerules{};");
  EXPECT_EQ(doc.text_encoding(), PolicyTextEncoding::kBase64Url);
  EXPECT_FALSE(doc.is_reset());
  EXPECT_FALSE(doc.is_signed());
  EXPECT_EQ(doc.token_hash(), "pyhI2FKMjRkvpvwS07hLclAyvsi5O4TrnzL5OPsIxzM");
  EXPECT_EQ(doc.jws(), kSpecExample);
}

TEST(DecodePolicyDocument, UnsignedResetHasNoText) {
  ASSERT_OK_AND_ASSIGN(PolicyDocument doc,
                       DecodePolicyDocument("eyJhbGciOiJub25lIn0.."));
  EXPECT_TRUE(doc.is_reset());
  EXPECT_EQ(doc.text_encoding(), PolicyTextEncoding::kNone);
  EXPECT_EQ(doc.policy_text(), "");
  EXPECT_FALSE(doc.is_signed());
  EXPECT_EQ(doc.token_hash(), PolicyTokenHash("eyJhbGciOiJub25lIn0.."));
}

TEST(DecodePolicyDocument, SignedResetNamesItsSigner) {
  TestSigner s = TestSigner::Make("P-256", "isolated-admin");
  ASSERT_OK_AND_ASSIGN(const std::string jws, MakeSignedResetJws(s.key));
  ASSERT_OK_AND_ASSIGN(PolicyDocument doc, DecodePolicyDocument(jws));
  EXPECT_TRUE(doc.is_reset());
  ASSERT_TRUE(doc.is_signed());
  EXPECT_EQ(doc.signer()->leaf().der(), s.der);
}

TEST(DecodePolicyDocument, RawTextIsTheFallbackForThePreviewForm) {
  const std::string text = "version=1.0; authorizationrules{=> permit();};";
  token::Json payload = {{"AttestationPolicy", text}};
  ASSERT_OK_AND_ASSIGN(PolicyDocument doc,
                       DecodePolicyDocument(RawJws(R"({"alg":"none"})",
                                                   token::DumpJson(payload))));
  EXPECT_EQ(doc.policy_text(), text);
  EXPECT_EQ(doc.text_encoding(), PolicyTextEncoding::kRawText);
}

TEST(DecodePolicyDocument, Base64UrlThatIsNotUtf8IsRefusedNotReadAsText) {
  // B64URL of "v=\xC0\xAF" (an overlong '/'), and of a lone surrogate.
  for (const std::string& bad :
       {std::string("v=\xC0\xAF"), std::string("ab\xED\xA0\x80")}) {
    token::Json payload = {{"AttestationPolicy", B64Url(bad)}};
    EXPECT_THAT(
        DecodePolicyDocument(
            RawJws(R"({"alg":"none"})", token::DumpJson(payload))),
        StatusIs(kInvalid, HasSubstr("base64url decodes to invalid UTF-8 at "
                                     "byte 2")));
  }
}

TEST(DecodePolicyDocument, PayloadProblemsNameTheClaim) {
  auto decode = [](const std::string& payload) {
    return DecodePolicyDocument(RawJws(R"({"alg":"none"})", payload));
  };
  EXPECT_THAT(decode(R"({"Policy":"x"})"),
              StatusIs(kInvalid, StartsWith("payload: \"AttestationPolicy\" "
                                            "is missing")));
  EXPECT_THAT(decode(R"({"AttestationPolicy":1})"),
              StatusIs(kInvalid,
                       "payload: \"AttestationPolicy\": not a "
                       "string"));
  EXPECT_THAT(decode(R"({"AttestationPolicy":""})"),
              StatusIs(kInvalid, HasSubstr("\"AttestationPolicy\" is empty")));
  EXPECT_THAT(decode("{}"), StatusIs(kInvalid, HasSubstr("is missing")));
}

TEST(DecodePolicyDocument, SignedRoundTripKeepsTextSignerAndHash) {
  const std::string text =
      "version=1.2;\nauthorizationrules{\n=> permit();\n};\n"
      "issuancerules{}; // \xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80";
  for (const char* what : {"P-256", "RSA-2048"}) {
    TestSigner s = TestSigner::Make(what, "signer");
    ASSERT_OK_AND_ASSIGN(const std::string jws,
                         MakeSignedPolicyJws(text, s.key));
    ASSERT_OK_AND_ASSIGN(PolicyDocument doc, DecodePolicyDocument(jws));
    EXPECT_EQ(doc.policy_text(), text) << what;
    ASSERT_TRUE(doc.is_signed());
    EXPECT_EQ(doc.signer()->leaf().der(), s.der);
    EXPECT_EQ(doc.token_hash(), PolicyTokenHash(jws));
    EXPECT_EQ(doc.jws(), jws);
  }
}

TEST(DecodePolicyDocument, EnvelopeErrorsComeThrough) {
  TestSigner s = TestSigner::Make("P-256", "s");
  EXPECT_THAT(DecodePolicyDocument(RawJws(
                  R"({"alg":"none"})", R"({"AttestationPolicy":"eA"})", "x")),
              StatusIs(kInvalid, HasSubstr("signature: alg \"none\"")));
  EXPECT_THAT(DecodePolicyDocument(SignedRawJws(
                  s, R"({"alg":"HS256"})", R"({"AttestationPolicy":"eA"})")),
              StatusIs(kInvalid, HasSubstr("alg \"HS256\" is not accepted")));
}

}  // namespace
}  // namespace vigil::control
