#include "service/token/x509_certificate.h"

#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/token/signing_key.h"
#include "service/token/testing/independent_verifier.h"

namespace vigil::token {
namespace {

using ::testing::HasSubstr;
using testing::RawGenerate;
using testing::RawPrivatePem;
using testing::RawSelfSignedCertDer;
using ::testing::SizeIs;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;

std::string Pem(const std::string& der) {
  std::string out = "-----BEGIN CERTIFICATE-----\n";
  const std::string b64 = Base64Encode(AsBytes(der));
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END CERTIFICATE-----\n";
}

TEST(X509Certificate, ParseDerKeepsTheExactBytesAndRefusesTrailingData) {
  testing::PkeyPtr key = RawGenerate("P-256");
  const std::string der = RawSelfSignedCertDer(key.get(), "leaf");
  ASSERT_OK_AND_ASSIGN(X509Certificate cert, X509Certificate::ParseDer(der));
  EXPECT_EQ(cert.der(), der);
  EXPECT_NE(cert.native(), nullptr);
  const auto k = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(X509Certificate::ParseDer(der + "x"),
              StatusIs(k, "not a DER X.509 certificate"));
  EXPECT_THAT(X509Certificate::ParseDer(""),
              StatusIs(k, "not a DER X.509 certificate"));
  EXPECT_THAT(X509Certificate::ParseDer(der.substr(0, der.size() - 1)),
              StatusIs(k, "not a DER X.509 certificate"));
}

TEST(X509Certificate, ParsePemReadsEveryBlockInOrder) {
  testing::PkeyPtr a = RawGenerate("P-256");
  testing::PkeyPtr b = RawGenerate("RSA-2048");
  const std::string da = RawSelfSignedCertDer(a.get(), "a");
  const std::string db = RawSelfSignedCertDer(b.get(), "b");
  ASSERT_OK_AND_ASSIGN(std::vector<X509Certificate> certs,
                       X509Certificate::ParsePem(Pem(da) + "text\n" + Pem(db)));
  ASSERT_THAT(certs, SizeIs(2));
  EXPECT_EQ(certs[0].der(), da);
  EXPECT_EQ(certs[1].der(), db);
  EXPECT_THAT(X509Certificate::ParsePem("nothing"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "no PEM \"CERTIFICATE\" block"));
  EXPECT_THAT(
      X509Certificate::ParsePem(Pem(da) +
                                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END "
                                "CERTIFICATE-----\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("certificate 2")));
}

TEST(X509Certificate, AlgorithmFollowsTheKey) {
  testing::PkeyPtr ec = RawGenerate("P-256");
  testing::PkeyPtr rsa = RawGenerate("RSA-2048");
  testing::PkeyPtr small = RawGenerate("RSA-1024");
  testing::PkeyPtr p384 = RawGenerate("P-384");
  auto alg = [](EVP_PKEY* key) {
    return X509Certificate::ParseDer(RawSelfSignedCertDer(key, "c"))
        ->Algorithm();
  };
  EXPECT_EQ(*alg(ec.get()), JwsAlgorithm::kEs256);
  EXPECT_EQ(*alg(rsa.get()), JwsAlgorithm::kRs256);
  EXPECT_THAT(alg(small.get()), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("1024 bits")));
  EXPECT_THAT(alg(p384.get()), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("secp384r1")));
}

TEST(X509Certificate, VerifiesOnlyTheAlgorithmOfItsKey) {
  for (const char* what : {"P-256", "RSA-2048"}) {
    testing::PkeyPtr raw = RawGenerate(what);
    ASSERT_OK_AND_ASSIGN(SigningKey key,
                         SigningKey::ParsePem(RawPrivatePem(raw.get(), true)));
    ASSERT_OK_AND_ASSIGN(
        X509Certificate cert,
        X509Certificate::ParseDer(RawSelfSignedCertDer(raw.get(), "c")));
    ASSERT_OK_AND_ASSIGN(const std::string sig, key.Sign("a.b"));
    EXPECT_THAT(cert.VerifyJws(key.algorithm(), "a.b", sig), IsOk()) << what;
    EXPECT_THAT(cert.VerifyJws(key.algorithm(), "a.c", sig),
                StatusIs(absl::StatusCode::kUnauthenticated,
                         HasSubstr("does not verify")))
        << what;
    const JwsAlgorithm other = key.algorithm() == JwsAlgorithm::kEs256
                                   ? JwsAlgorithm::kRs256
                                   : JwsAlgorithm::kEs256;
    EXPECT_THAT(cert.VerifyJws(other, "a.b", sig),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("does not fit the certificate's")))
        << what;
  }
}

}  // namespace
}  // namespace vigil::token
