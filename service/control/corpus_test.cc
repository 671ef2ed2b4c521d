// Real Azure Attestation policy-management traffic and documentation samples
// (testdata/README.md): what MAA accepted must decode, and what MAA answered
// (token hashes, signer JWK, thumbprint) must be what this library computes.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/control/certificate_change.h"
#include "service/control/certificate_jwk.h"
#include "service/control/policy_document.h"
#include "service/control/responses.h"
#include "service/control/signer_trust.h"
#include "service/token/compact_jws.h"

namespace vigil::control {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::vigil::testing::ReadFileText;
using ::vigil::testing::SourcePath;
using ::vigil::testing::StatusIs;

std::string Testdata(const std::string& name) {
  const std::string text =
      ReadFileText(SourcePath("service/control/testdata/" + name));
  EXPECT_FALSE(text.empty()) << name;
  return text;
}

// A JWS file: the text before trailing white space (testdata/README.md).
std::string JwsFile(const std::string& name) {
  return std::string(absl::StripTrailingAsciiWhitespace(Testdata(name)));
}

token::Json ClaimsFile(const std::string& name) {
  return token::Json::parse(Testdata(name), nullptr,
                            /*allow_exceptions=*/false);
}

token::X509Certificate PemFile(const std::string& name) {
  absl::StatusOr<std::vector<token::X509Certificate>> certs =
      token::X509Certificate::ParsePem(Testdata(name));
  EXPECT_TRUE(certs.ok() && certs->size() == 1) << name;
  return certs->front();
}

// Issue date of the recordings; the certificates in them expired in 2021.
const absl::Time k2020 = absl::FromUnixSeconds(1606256222);
const absl::Time k2025 = absl::FromUnixSeconds(1750000000);

TEST(Corpus, NetSdkUnsignedTpmPolicyHashesToTheServiceAnswer) {
  const std::string request =
      JwsFile("sdk-net-attesttpmminimalaad--policy-set-request.jwt");
  ASSERT_OK_AND_ASSIGN(PolicyDocument doc, DecodePolicyDocument(request));
  EXPECT_EQ(doc.policy_text(),
            "version=1.0; authorizationrules{=> permit();}; issuancerules{};");
  EXPECT_FALSE(doc.is_signed());
  ASSERT_OK_AND_ASSIGN(
      token::UnverifiedJwt response,
      token::ParseUnverifiedJwt(
          JwsFile("sdk-net-attesttpmminimalaad--policy-set-response.jwt")));
  EXPECT_EQ(response.claims["x-ms-policy-token-hash"], doc.token_hash());
  EXPECT_EQ(doc.token_hash(), "c6sEJQItV50OeP9IrP_bzywAMOVvj5uDPbklA_bwdYQ");
  EXPECT_EQ(PolicyResultClaims(PolicyModification::kUpdated, doc),
            (token::Json{
                {"x-ms-policy-result", response.claims["x-ms-policy-result"]},
                {"x-ms-policy-token-hash",
                 response.claims["x-ms-policy-token-hash"]}}));
}

TEST(Corpus, DocumentationUnsignedPolicyDecodesToItsText) {
  ASSERT_OK_AND_ASSIGN(PolicyDocument doc,
                       DecodePolicyDocument(JwsFile("policy-examples--4.jwt")));
  EXPECT_EQ(doc.policy_text(), Testdata("policy-examples--4.decoded.policy"));
  EXPECT_EQ(doc.text_encoding(), PolicyTextEncoding::kBase64Url);
}

TEST(Corpus, DocumentationSignedRsa256PolicyVerifies) {
  const std::string jws = JwsFile("policy-examples--5.jwt");
  ASSERT_OK_AND_ASSIGN(PolicyDocument doc, DecodePolicyDocument(jws));
  EXPECT_EQ(doc.policy_text(), Testdata("policy-examples--5.decoded.policy"));
  ASSERT_TRUE(doc.is_signed());
  EXPECT_EQ(doc.signer()->algorithm(), token::JwsAlgorithm::kRs256);
  const token::X509Certificate cert =
      PemFile("policy-examples--5.signer.cert.pem");
  EXPECT_EQ(doc.signer()->leaf().der(), cert.der());
  EXPECT_EQ(doc.signer()->thumbprint(),
            "68DFD1012ECDF6626D549CADDAB75441BD5FADE0");  // fingerprints.txt
  // The same document with one policy character changed fails.
  std::string tampered = jws;
  const size_t payload = tampered.find('.') + 20;
  tampered[payload] = tampered[payload] == 'A' ? 'B' : 'A';
  EXPECT_THAT(DecodePolicyDocument(tampered),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("does not verify")));
}

TEST(Corpus, IsolatedSignedSetMatchesTheRecordedPolicyResult) {
  const std::string request =
      JwsFile("sdk-net-setpolicysecuredisolated--set-request.jws");
  ASSERT_THAT(request, SizeIs(2921));  // Content-Length of the recording
  ASSERT_OK_AND_ASSIGN(PolicyDocument doc, DecodePolicyDocument(request));
  ASSERT_TRUE(doc.is_signed());
  token::Json recorded =
      ClaimsFile("sdk-net-setpolicysecuredisolated--set-response.claims.json");
  for (const char* time_claim : {"exp", "iat", "iss", "nbf"}) {
    recorded.erase(time_claim);
  }
  // Hash, result and the signer JWK, member for member and in MAA's order.
  EXPECT_EQ(PolicyResultClaims(PolicyModification::kUpdated, doc), recorded);
  EXPECT_EQ(doc.token_hash(), "LGa47cK2Gj1BwKWxEWmdlVKrvkduIDEhBnI-LhRO4pI");
}

TEST(Corpus, IsolatedSignedResetIsARemovalBySameSigner) {
  ASSERT_OK_AND_ASSIGN(
      PolicyDocument reset,
      DecodePolicyDocument(
          JwsFile("sdk-net-setpolicysecuredisolated--reset-request.jws")));
  EXPECT_TRUE(reset.is_reset());
  ASSERT_TRUE(reset.is_signed());
  const token::X509Certificate admin =
      PemFile("sdk-net-setpolicysecuredisolated--signer.cert.pem");
  EXPECT_EQ(reset.signer()->leaf().der(), admin.der());
  // Isolated mode: the instance's policy-management certificate is trusted
  // (pinned: it expired in 2021 and still is); the documentation's signer
  // is not.
  ASSERT_OK_AND_ASSIGN(TrustedSigners trusted, TrustedSigners::Create({admin}));
  ASSERT_OK_AND_ASSIGN(SignerTrust yes, trusted.Check(*reset.signer(), k2025));
  EXPECT_TRUE(yes.trusted);
  EXPECT_EQ(yes.thumbprint, "FA1EC3AABA7F9307A83F6EB9E2C6D8A5DEE3C2C8");
  ASSERT_OK_AND_ASSIGN(PolicyDocument docs_sample,
                       DecodePolicyDocument(JwsFile("policy-examples--5.jwt")));
  ASSERT_OK_AND_ASSIGN(SignerTrust no,
                       trusted.Check(*docs_sample.signer(), k2020));
  EXPECT_FALSE(no.trusted);
  EXPECT_THAT(no.reason, HasSubstr("CN=AttestationCertificate0"));
}

TEST(Corpus, CertificateAddBodyGivesTheRecordedThumbprint) {
  const std::string request =
      JwsFile("sdk-net-addremovepolicymanagementcertificate--add-request.jws");
  ASSERT_THAT(request, SizeIs(3325));  // 3327 with the JSON string's quotes
  ASSERT_OK_AND_ASSIGN(PolicyCertificateChange change,
                       DecodePolicyCertificateChange(request));
  EXPECT_EQ(change.claim_name(), "policyCertificate");
  EXPECT_EQ(
      change.certificate().der(),
      PemFile("sdk-net-addremovepolicymanagementcertificate--added.cert.pem")
          .der());
  EXPECT_EQ(change.signer().leaf().der(),
            PemFile("sdk-net-addremovepolicymanagementcertificate--signer."
                    "cert.pem")
                .der());
  token::Json recorded = ClaimsFile(
      "sdk-net-addremovepolicymanagementcertificate--add-response.claims.json");
  for (const char* time_claim : {"exp", "iat", "iss", "nbf"}) {
    recorded.erase(time_claim);
  }
  EXPECT_EQ(CertificateModificationClaims(change.thumbprint(),
                                          CertificateModification::kIsPresent),
            recorded);
  EXPECT_EQ(change.thumbprint(), "374664A1E7A90041C74284EDD704F5C1DA8899AF");
}

}  // namespace
}  // namespace vigil::control
