#include "service/control/certificate_jwk.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/control/testing/test_pki.h"

namespace vigil::control {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using testing::TestSigner;
using ::vigil::testing::ReadFileText;
using ::vigil::testing::SourcePath;
using ::vigil::testing::StatusIs;

// fingerprints.txt: "<file> sha1 Fingerprint=AA:BB:..." per line, made by
// `openssl x509 -fingerprint -sha1` (testdata/README.md).
TEST(CertificateThumbprint, EqualsOpensslSha1FingerprintWithoutColons) {
  std::istringstream lines(
      ReadFileText(SourcePath("service/control/testdata/fingerprints.txt")));
  std::string file, algo, fingerprint;
  int checked = 0;
  while (lines >> file >> algo >> fingerprint) {
    ASSERT_EQ(algo, "sha1");
    const std::string expected = absl::StrReplaceAll(
        fingerprint.substr(fingerprint.find('=') + 1), {{":", ""}});
    ASSERT_OK_AND_ASSIGN(std::vector<token::X509Certificate> certs,
                         token::X509Certificate::ParsePem(ReadFileText(
                             SourcePath("service/control/testdata/" + file))));
    ASSERT_THAT(certs, SizeIs(1));
    EXPECT_EQ(CertificateThumbprint(certs[0]), expected) << file;
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

TEST(CertificateThumbprint, IsFortyUpperCaseHexDigits) {
  TestSigner s = TestSigner::Make("P-256", "t");
  const std::string t = CertificateThumbprint(s.cert);
  EXPECT_THAT(t, SizeIs(40));
  EXPECT_EQ(t.find_first_not_of("0123456789ABCDEF"), std::string::npos) << t;
}

TEST(CertificateJwk, CarriesAlgKtyUseAndTheWholeChainInMaaOrder) {
  TestSigner root = TestSigner::Make("P-256", "root", {.ca = true});
  TestSigner leaf = TestSigner::Make("RSA-2048", "leaf", {.issuer = &root});
  ASSERT_OK_AND_ASSIGN(const token::X509Certificate root_cert,
                       token::X509Certificate::ParseDer(root.der));
  const std::vector<token::X509Certificate> chain = {leaf.cert, root_cert};
  ASSERT_OK_AND_ASSIGN(token::Json jwk, CertificateJwk(chain));
  EXPECT_EQ(token::DumpJson(jwk),
            "{\"alg\":\"RS256\",\"kty\":\"RSA\",\"use\":\"sig\",\"x5c\":[\"" +
                Base64Encode(AsBytes(leaf.der)) + "\",\"" +
                Base64Encode(AsBytes(root.der)) + "\"]}");
  ASSERT_OK_AND_ASSIGN(token::Json ec,
                       CertificateJwk(absl::MakeConstSpan(&root_cert, 1)));
  EXPECT_EQ(ec["alg"], "ES256");
  EXPECT_EQ(ec["kty"], "EC");
}

TEST(CertificateJwk, RefusesEmptyChainsAndKeysThatCannotSign) {
  EXPECT_THAT(CertificateJwk({}), StatusIs(absl::StatusCode::kInvalidArgument,
                                           "certificate chain is empty"));
  TestSigner p384 = TestSigner::Make("P-384", "p384");
  EXPECT_THAT(
      CertificateJwk(absl::MakeConstSpan(&p384.cert, 1)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("secp384r1")));
}

TEST(CertificateFromX5c, DecodesStandardBase64DerOnly) {
  TestSigner s = TestSigner::Make("P-256", "x");
  const std::string b64 = Base64Encode(AsBytes(s.der));
  ASSERT_OK_AND_ASSIGN(token::X509Certificate cert,
                       CertificateFromX5c(token::Json(b64)));
  EXPECT_EQ(cert.der(), s.der);
  const auto k = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(CertificateFromX5c(token::Json(5)), StatusIs(k, "not a string"));
  // base64url is not what x5c holds (RFC 7515 §4.1.6).
  EXPECT_THAT(CertificateFromX5c(token::Json("MIIB-_AA")),
              StatusIs(k, HasSubstr("not standard base64")));
  EXPECT_THAT(CertificateFromX5c(token::Json("AAAA")),
              StatusIs(k, "not a DER X.509 certificate"));
}

}  // namespace
}  // namespace vigil::control
