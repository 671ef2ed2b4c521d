#include "service/control/jws_writer.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/control/certificate_change.h"
#include "service/control/policy_document.h"
#include "service/control/testing/test_pki.h"
#include "service/token/testing/independent_verifier.h"

namespace vigil::control {
namespace {

using ::testing::HasSubstr;
using testing::TestSigner;
using ::vigil::testing::StatusIs;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr char kPolicy[] =
    "version=1.0; authorizationrules{=> permit();}; issuancerules{};";

std::string DecodedPart(const std::string& jws, int part) {
  std::vector<std::string> parts = absl::StrSplit(jws, '.');
  absl::StatusOr<std::vector<uint8_t>> bytes = Base64UrlDecode(parts.at(part));
  return std::string(bytes->begin(), bytes->end());
}

TEST(JwsWriter, UnsignedPolicyIsTheSdkForm) {
  ASSERT_OK_AND_ASSIGN(const std::string jws, MakeUnsignedPolicyJws(kPolicy));
  EXPECT_EQ(DecodedPart(jws, 0), R"({"alg":"none"})");
  EXPECT_EQ(DecodedPart(jws, 1),
            R"({"AttestationPolicy":")" +
                Base64UrlEncode(AsBytes(std::string(kPolicy))) + R"("})");
  EXPECT_EQ(jws.back(), '.');  // empty signature
  ASSERT_OK_AND_ASSIGN(PolicyDocument doc, DecodePolicyDocument(jws));
  EXPECT_EQ(doc.policy_text(), kPolicy);
}

TEST(JwsWriter, UnsignedResetIsTheDocumentedString) {
  EXPECT_EQ(MakeUnsignedResetJws(), "eyJhbGciOiJub25lIn0..");
}

TEST(JwsWriter, SignedPolicyVerifiesIndependentlyAndCarriesTheChain) {
  TestSigner root = TestSigner::Make("P-256", "root", {.ca = true});
  for (const char* what : {"P-256", "RSA-2048", "RSA-3072"}) {
    TestSigner s = TestSigner::Make(what, "signer", {.issuer = &root});
    ASSERT_OK_AND_ASSIGN(const std::string jws,
                         MakeSignedPolicyJws(kPolicy, s.key));
    // Checked by raw OpenSSL calls, not by this library's verifier.
    EXPECT_EQ(token::testing::IndependentVerify(jws, s.raw.get()), "") << what;
    token::Json header = token::Json::parse(DecodedPart(jws, 0), nullptr,
                                            /*allow_exceptions=*/false);
    EXPECT_EQ(header["alg"], s.key.algorithm() == token::JwsAlgorithm::kEs256
                                 ? "ES256"
                                 : "RS256");
    ASSERT_EQ(header["x5c"].size(), 2u);
    EXPECT_EQ(header["x5c"][0], Base64Encode(AsBytes(s.der)));
    EXPECT_EQ(header["x5c"][1], Base64Encode(AsBytes(root.der)));
    ASSERT_OK_AND_ASSIGN(PolicyDocument doc, DecodePolicyDocument(jws));
    EXPECT_EQ(doc.policy_text(), kPolicy);
    EXPECT_EQ(doc.signer()->certificates().size(), 2u);
  }
}

TEST(JwsWriter, Rs256IsDeterministic) {
  TestSigner s = TestSigner::Make("RSA-2048", "rsa");
  ASSERT_OK_AND_ASSIGN(const std::string a,
                       MakeSignedPolicyJws(kPolicy, s.key));
  ASSERT_OK_AND_ASSIGN(const std::string b,
                       MakeSignedPolicyJws(kPolicy, s.key));
  EXPECT_EQ(a, b);
}

TEST(JwsWriter, SignedResetHasAnEmptyPayload) {
  TestSigner s = TestSigner::Make("RSA-2048", "rsa");
  ASSERT_OK_AND_ASSIGN(const std::string jws, MakeSignedResetJws(s.key));
  EXPECT_NE(jws.find(".."), std::string::npos);
  EXPECT_EQ(token::testing::IndependentVerify(jws, s.raw.get()), "");
  ASSERT_OK_AND_ASSIGN(PolicyDocument doc, DecodePolicyDocument(jws));
  EXPECT_TRUE(doc.is_reset());
  EXPECT_TRUE(doc.is_signed());
}

TEST(JwsWriter, CertificateChangeUsesTheCertificatesRealKty) {
  TestSigner admin = TestSigner::Make("RSA-2048", "admin");
  TestSigner ec = TestSigner::Make("P-256", "ec");
  ASSERT_OK_AND_ASSIGN(const std::string jws,
                       MakeCertificateChangeJws(ec.cert, admin.key));
  EXPECT_EQ(token::testing::IndependentVerify(jws, admin.raw.get()), "");
  EXPECT_EQ(DecodedPart(jws, 1),
            R"({"policyCertificate":{"kty":"EC","x5c":[")" +
                Base64Encode(AsBytes(ec.der)) + R"("]}})");
  ASSERT_OK_AND_ASSIGN(PolicyCertificateChange change,
                       DecodePolicyCertificateChange(jws));
  EXPECT_EQ(change.certificate().der(), ec.der);
}

TEST(JwsWriter, RefusesWhatTheReaderWouldRefuse) {
  TestSigner s = TestSigner::Make("P-256", "s");
  EXPECT_THAT(MakeUnsignedPolicyJws(""),
              StatusIs(kInvalid, HasSubstr("policy text is empty")));
  EXPECT_THAT(MakeSignedPolicyJws("version=1.0;\xC3", s.key),
              StatusIs(kInvalid, "policy text is not valid UTF-8 at byte 12"));
  ASSERT_OK_AND_ASSIGN(token::SigningKey bare, token::SigningKey::Generate());
  EXPECT_THAT(MakeSignedPolicyJws(kPolicy, bare),
              StatusIs(kInvalid, HasSubstr("no certificate chain")));
  EXPECT_THAT(MakeSignedResetJws(bare),
              StatusIs(kInvalid, HasSubstr("no certificate chain")));
  TestSigner p384 = TestSigner::Make("P-384", "p384");
  EXPECT_THAT(MakeCertificateChangeJws(p384.cert, s.key),
              StatusIs(kInvalid, HasSubstr("secp384r1")));
}

}  // namespace
}  // namespace vigil::control
