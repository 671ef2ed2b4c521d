#include "service/control/responses.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/control/certificate_jwk.h"
#include "service/control/jws_writer.h"
#include "service/control/testing/test_pki.h"

namespace vigil::control {
namespace {

using testing::TestSigner;

TEST(PolicyResultClaims, UnsignedHasNoSigner) {
  ASSERT_OK_AND_ASSIGN(const std::string jws,
                       MakeUnsignedPolicyJws("version=1.0;"));
  ASSERT_OK_AND_ASSIGN(PolicyDocument doc, DecodePolicyDocument(jws));
  EXPECT_EQ(
      token::DumpJson(PolicyResultClaims(PolicyModification::kUpdated, doc)),
      R"({"x-ms-policy-result":"Updated","x-ms-policy-token-hash":")" +
          PolicyTokenHash(jws) + R"("})");
}

TEST(PolicyResultClaims, SignedCarriesTheSignerJwk) {
  TestSigner s = TestSigner::Make("RSA-2048", "signer");
  ASSERT_OK_AND_ASSIGN(const std::string jws, MakeSignedResetJws(s.key));
  ASSERT_OK_AND_ASSIGN(PolicyDocument doc, DecodePolicyDocument(jws));
  const token::Json claims =
      PolicyResultClaims(PolicyModification::kRemoved, doc);
  EXPECT_EQ(claims["x-ms-policy-result"], "Removed");
  EXPECT_EQ(claims["x-ms-policy-token-hash"], PolicyTokenHash(jws));
  ASSERT_OK_AND_ASSIGN(token::Json jwk,
                       CertificateJwk(absl::MakeConstSpan(&s.cert, 1)));
  EXPECT_EQ(claims["x-ms-policy-signer"], jwk);
}

TEST(GetPolicyClaims, ReturnsTheStoredJwsVerbatim) {
  const std::string stored = "eyJhbGciOiJub25lIn0.e30.";
  EXPECT_EQ(token::DumpJson(GetPolicyClaims(stored)),
            R"({"x-ms-policy":"eyJhbGciOiJub25lIn0.e30."})");
}

TEST(PolicyCertificatesClaims, IsAJwkSetInOrder) {
  TestSigner a = TestSigner::Make("RSA-2048", "a");
  TestSigner b = TestSigner::Make("P-256", "b");
  const token::X509Certificate certs[] = {a.cert, b.cert};
  const token::Json claims = PolicyCertificatesClaims(certs);
  const token::Json& keys = claims["x-ms-policy-certificates"]["keys"];
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0]["kty"], "RSA");
  EXPECT_EQ(keys[0]["use"], "sig");
  EXPECT_EQ(keys[1]["alg"], "ES256");
  EXPECT_EQ(token::DumpJson(PolicyCertificatesClaims({})),
            R"({"x-ms-policy-certificates":{"keys":[]}})");
}

TEST(CertificateModificationClaims, NamesThumbprintAndResult) {
  EXPECT_EQ(
      token::DumpJson(CertificateModificationClaims(
          "374664A1E7A90041C74284EDD704F5C1DA8899AF",
          CertificateModification::kIsPresent)),
      R"({"x-ms-certificate-thumbprint":"374664A1E7A90041C74284EDD704F5C1DA8899AF",)"
      R"("x-ms-policycertificates-result":"IsPresent"})");
  EXPECT_EQ(
      CertificateModificationClaims(
          "AB",
          CertificateModification::kIsAbsent)["x-ms-policycertificates-result"],
      "IsAbsent");
}

}  // namespace
}  // namespace vigil::control
