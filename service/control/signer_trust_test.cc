// TrustedSigners over chains made here: root CA -> intermediate CA -> leaf,
// with validity periods around testing::kNow.
#include "service/control/signer_trust.h"

#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/control/certificate_jwk.h"
#include "service/control/jws_writer.h"
#include "service/control/testing/test_pki.h"

namespace vigil::control {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kDay;
using testing::TestSigner;
using ::vigil::testing::StatusIs;

const absl::Time kNow = absl::FromUnixSeconds(testing::kNow);

// The PolicySigner of a reset signed by `s` (x5c = s's chain).
PolicySigner SignerOf(const TestSigner& s) {
  absl::StatusOr<std::string> jws = MakeSignedResetJws(s.key);
  absl::StatusOr<VerifiedManagementJws> v = DecodeManagementJws(*jws);
  return *v->signer();
}

token::X509Certificate Cert(const TestSigner& s) { return s.cert; }

TrustedSigners Trust(std::vector<token::X509Certificate> certs) {
  absl::StatusOr<TrustedSigners> t = TrustedSigners::Create(std::move(certs));
  return *std::move(t);
}

class SignerTrustTest : public ::testing::Test {
 protected:
  TestSigner root_ = TestSigner::Make("P-256", "root", {.ca = true});
  TestSigner intermediate_ =
      TestSigner::Make("P-256", "intermediate", {.issuer = &root_, .ca = true});
  TestSigner leaf_ =
      TestSigner::Make("RSA-2048", "leaf", {.issuer = &intermediate_});
  TestSigner stranger_ = TestSigner::Make("P-256", "stranger");
};

TEST_F(SignerTrustTest, PinnedLeafIsTrustedAndNamesItself) {
  TrustedSigners trusted = Trust({Cert(stranger_), Cert(leaf_)});
  ASSERT_OK_AND_ASSIGN(SignerTrust t, trusted.Check(SignerOf(leaf_), kNow));
  EXPECT_TRUE(t.trusted);
  EXPECT_TRUE(t.pinned);
  EXPECT_EQ(t.thumbprint, CertificateThumbprint(leaf_.cert));
  EXPECT_THAT(t.reason, IsEmpty());
}

TEST_F(SignerTrustTest, PinnedCertificatesDoNotExpire) {
  TestSigner old = TestSigner::Make("P-256", "expired admin",
                                    {.not_before = testing::kNow - 800 * kDay,
                                     .not_after = testing::kNow - 400 * kDay});
  ASSERT_OK_AND_ASSIGN(SignerTrust t,
                       Trust({Cert(old)}).Check(SignerOf(old), kNow));
  EXPECT_TRUE(t.trusted);
  EXPECT_TRUE(t.pinned);
}

TEST_F(SignerTrustTest, ChainToATrustedRootThroughX5cIntermediates) {
  ASSERT_OK_AND_ASSIGN(SignerTrust t,
                       Trust({Cert(root_)}).Check(SignerOf(leaf_), kNow));
  EXPECT_TRUE(t.trusted) << t.reason;
  EXPECT_FALSE(t.pinned);
  EXPECT_EQ(t.thumbprint, CertificateThumbprint(root_.cert));
}

TEST_F(SignerTrustTest, ATrustedIntermediateIsAnAnchorToo) {
  ASSERT_OK_AND_ASSIGN(
      SignerTrust t, Trust({Cert(intermediate_)}).Check(SignerOf(leaf_), kNow));
  EXPECT_TRUE(t.trusted) << t.reason;
  EXPECT_EQ(t.thumbprint, CertificateThumbprint(intermediate_.cert));
}

TEST_F(SignerTrustTest, UntrustedSignerGetsAReasonNotAnError) {
  ASSERT_OK_AND_ASSIGN(SignerTrust t,
                       Trust({Cert(stranger_)}).Check(SignerOf(leaf_), kNow));
  EXPECT_FALSE(t.trusted);
  EXPECT_THAT(t.thumbprint, IsEmpty());
  EXPECT_THAT(t.reason, HasSubstr("signer CN=leaf is not a trusted "
                                  "policy-management certificate"));
  // x5c ends in leaf_'s own self-signed root, which is not trusted.
  EXPECT_THAT(t.reason,
              HasSubstr("self-signed certificate in certificate chain"));
  ASSERT_OK_AND_ASSIGN(SignerTrust none,
                       Trust({}).Check(SignerOf(leaf_), kNow));
  EXPECT_FALSE(none.trusted);
  EXPECT_THAT(none.reason, HasSubstr("no certificate is trusted"));
}

TEST_F(SignerTrustTest, ChainValidityIsCheckedAtTheInjectedTime) {
  TrustedSigners trusted = Trust({Cert(root_)});
  ASSERT_OK_AND_ASSIGN(
      SignerTrust late,
      trusted.Check(SignerOf(leaf_), kNow + absl::Hours(24 * 400)));
  EXPECT_FALSE(late.trusted);
  EXPECT_THAT(late.reason, HasSubstr("certificate has expired"));
  ASSERT_OK_AND_ASSIGN(
      SignerTrust early,
      trusted.Check(SignerOf(leaf_), kNow - absl::Hours(24 * 60)));
  EXPECT_FALSE(early.trusted);
  EXPECT_THAT(early.reason, HasSubstr("not yet valid"));
}

TEST_F(SignerTrustTest, ExpiredIntermediateBreaksTheChain) {
  TestSigner old_ca =
      TestSigner::Make("P-256", "old intermediate",
                       {.issuer = &root_,
                        .ca = true,
                        .not_before = testing::kNow - 100 * kDay,
                        .not_after = testing::kNow - 1 * kDay});
  TestSigner leaf = TestSigner::Make("P-256", "leaf2", {.issuer = &old_ca});
  ASSERT_OK_AND_ASSIGN(SignerTrust t,
                       Trust({Cert(root_)}).Check(SignerOf(leaf), kNow));
  EXPECT_FALSE(t.trusted);
  EXPECT_THAT(t.reason, HasSubstr("certificate has expired"));
}

TEST_F(SignerTrustTest, TrustedCertificateWithoutCaTrueCannotVouchForOthers) {
  // A trusted non-CA certificate "issuing" a signer (maa-spec §5.3: an issuer
  // needs basicConstraints CA=TRUE).
  TestSigner not_ca = TestSigner::Make("P-256", "not a CA", {.ca = false});
  TestSigner issued = TestSigner::Make("P-256", "issued", {.issuer = &not_ca});
  ASSERT_OK_AND_ASSIGN(SignerTrust t,
                       Trust({Cert(not_ca)}).Check(SignerOf(issued), kNow));
  EXPECT_FALSE(t.trusted);
  EXPECT_THAT(t.reason, HasSubstr("invalid CA certificate"));
  // OpenSSL alone accepts an issuer with keyUsage keyCertSign and no
  // basicConstraints (X509_check_ca returns 4); Vigil does not.
  TestSigner ku_only = TestSigner::Make(
      "P-256", "keyCertSign only",
      {.basic_constraints = false, .key_usage = "critical,keyCertSign"});
  TestSigner issued2 =
      TestSigner::Make("P-256", "issued2", {.issuer = &ku_only});
  ASSERT_OK_AND_ASSIGN(SignerTrust t2,
                       Trust({Cert(ku_only)}).Check(SignerOf(issued2), kNow));
  EXPECT_FALSE(t2.trusted);
  EXPECT_THAT(t2.reason, HasSubstr("issuer CN=keyCertSign only does not have "
                                   "basicConstraints CA=TRUE"));
  // Pinned, the same certificate signs for itself.
  ASSERT_OK_AND_ASSIGN(SignerTrust self,
                       Trust({Cert(not_ca)}).Check(SignerOf(not_ca), kNow));
  EXPECT_TRUE(self.trusted);
}

TEST_F(SignerTrustTest, ForgedChainWithTheRightNamesFails) {
  // Same subject names as root_/intermediate_, other keys.
  TestSigner fake_root = TestSigner::Make("P-256", "root", {.ca = true});
  TestSigner fake_intermediate = TestSigner::Make(
      "P-256", "intermediate", {.issuer = &fake_root, .ca = true});
  TestSigner fake_leaf =
      TestSigner::Make("P-256", "leaf", {.issuer = &fake_intermediate});
  ASSERT_OK_AND_ASSIGN(SignerTrust t,
                       Trust({Cert(root_)}).Check(SignerOf(fake_leaf), kNow));
  EXPECT_FALSE(t.trusted);
}

TEST_F(SignerTrustTest, CreateRefusesKeysThatCannotSignAndDropsDuplicates) {
  TestSigner p384 = TestSigner::Make("P-384", "p384");
  EXPECT_THAT(TrustedSigners::Create({Cert(root_), Cert(p384)}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("trusted certificate 1: EC key on curve "
                                 "secp384r1")));
  ASSERT_OK_AND_ASSIGN(TrustedSigners t,
                       TrustedSigners::Create({Cert(root_), Cert(root_)}));
  EXPECT_EQ(t.certificates().size(), 1u);
}

}  // namespace
}  // namespace vigil::control
