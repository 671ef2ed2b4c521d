#include "service/control/certificate_change.h"

#include <string>

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/control/certificate_jwk.h"
#include "service/control/jws_writer.h"
#include "service/control/testing/test_pki.h"

namespace vigil::control {
namespace {

using ::testing::HasSubstr;
using testing::RawJws;
using testing::SignedRawJws;
using testing::TestSigner;
using testing::X5cJson;
using ::vigil::testing::StatusIs;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

std::string CertB64(const TestSigner& s) {
  return Base64Encode(AsBytes(s.der));
}

class CertificateChangeTest : public ::testing::Test {
 protected:
  // The body of a request signed by admin_, with `payload` as given.
  std::string Body(const std::string& payload) {
    return SignedRawJws(
        admin_, R"({"alg":"RS256","x5c":)" + X5cJson(admin_) + "}", payload);
  }

  TestSigner admin_ = TestSigner::Make("RSA-2048", "admin");
  TestSigner added_ = TestSigner::Make("P-256", "new signer");
};

TEST_F(CertificateChangeTest, AcceptsAllThreeClaimNames) {
  for (const char* claim : {"policyCertificate", "maa-policyCertificate",
                            "x-ms-policyCertificate"}) {
    const std::string payload = std::string(R"({")") + claim +
                                R"(":{"kty":"EC","x5c":[")" + CertB64(added_) +
                                R"("]}})";
    ASSERT_OK_AND_ASSIGN(PolicyCertificateChange change,
                         DecodePolicyCertificateChange(Body(payload)));
    EXPECT_EQ(change.claim_name(), claim);
    EXPECT_EQ(change.certificate().der(), added_.der);
    EXPECT_EQ(change.thumbprint(), CertificateThumbprint(added_.cert));
    EXPECT_EQ(change.signer().leaf().der(), admin_.der);
  }
}

TEST_F(CertificateChangeTest, MissingClaimNamesEveryAcceptedName) {
  EXPECT_THAT(
      DecodePolicyCertificateChange(Body(R"({"certificate":{}})")),
      StatusIs(kInvalid,
               "payload: no \"policyCertificate\" claim (accepted names: "
               "\"policyCertificate\", \"maa-policyCertificate\", "
               "\"x-ms-policyCertificate\"; maa-spec §5.3)"));
}

TEST_F(CertificateChangeTest, TwoClaimNamesAreAmbiguous) {
  const std::string jwk = R"({"x5c":[")" + CertB64(added_) + R"("]})";
  EXPECT_THAT(DecodePolicyCertificateChange(
                  Body(R"({"policyCertificate":)" + jwk +
                       R"(,"maa-policyCertificate":)" + jwk + "}")),
              StatusIs(kInvalid, HasSubstr("both \"policyCertificate\" and "
                                           "\"maa-policyCertificate\"")));
}

TEST_F(CertificateChangeTest, KtyIsNotCheckedBecauseTheSdkAlwaysSendsRsa) {
  // azure-security-attestation (Python) sends kty "RSA" for every key type.
  ASSERT_OK_AND_ASSIGN(PolicyCertificateChange change,
                       DecodePolicyCertificateChange(Body(
                           R"({"policyCertificate":{"kty":"RSA","x5c":[")" +
                           CertB64(added_) + R"("]}})")));
  ASSERT_OK_AND_ASSIGN(token::JwsAlgorithm alg,
                       change.certificate().Algorithm());
  EXPECT_EQ(alg, token::JwsAlgorithm::kEs256);
}

TEST_F(CertificateChangeTest, JwkProblemsNameTheMember) {
  auto decode = [&](const std::string& jwk) {
    return DecodePolicyCertificateChange(
        Body(R"({"policyCertificate":)" + jwk + "}"));
  };
  EXPECT_THAT(decode("\"x\""),
              StatusIs(kInvalid, HasSubstr("not a JSON Web Key object")));
  EXPECT_THAT(decode(R"({"kty":"RSA"})"),
              StatusIs(kInvalid, HasSubstr("\"policyCertificate\": no "
                                           "\"x5c\"")));
  EXPECT_THAT(decode(R"({"x5c":[]})"),
              StatusIs(kInvalid, HasSubstr("exactly one certificate")));
  EXPECT_THAT(decode(R"({"x5c":[")" + CertB64(added_) + R"(",")" +
                     CertB64(admin_) + R"("]})"),
              StatusIs(kInvalid, HasSubstr("exactly one certificate")));
  EXPECT_THAT(decode(R"({"x5c":["AAAA"]})"),
              StatusIs(kInvalid,
                       "payload: \"policyCertificate\".x5c[0]: not a "
                       "DER X.509 certificate"));
  TestSigner p384 = TestSigner::Make("P-384", "p384");
  EXPECT_THAT(decode(R"({"x5c":[")" + CertB64(p384) + R"("]})"),
              StatusIs(kInvalid, HasSubstr("must be able to sign policies")));
}

TEST_F(CertificateChangeTest, UnsignedOrEmptyBodiesAreRefused) {
  EXPECT_THAT(
      DecodePolicyCertificateChange(RawJws(
          R"({"alg":"none"})",
          R"({"policyCertificate":{"x5c":[")" + CertB64(added_) + R"("]}})")),
      StatusIs(kInvalid, HasSubstr("a certificate change must be signed")));
  ASSERT_OK_AND_ASSIGN(const std::string reset, MakeSignedResetJws(admin_.key));
  EXPECT_THAT(DecodePolicyCertificateChange(reset),
              StatusIs(kInvalid, HasSubstr("payload: empty")));
}

TEST_F(CertificateChangeTest, WriterRoundTrip) {
  ASSERT_OK_AND_ASSIGN(const std::string jws,
                       MakeCertificateChangeJws(added_.cert, admin_.key));
  ASSERT_OK_AND_ASSIGN(PolicyCertificateChange change,
                       DecodePolicyCertificateChange(jws));
  EXPECT_EQ(change.claim_name(), "policyCertificate");
  EXPECT_EQ(change.certificate().der(), added_.der);
  EXPECT_EQ(change.jws(), jws);
  EXPECT_EQ(change.token_hash(), PolicyTokenHash(jws));
}

}  // namespace
}  // namespace vigil::control
