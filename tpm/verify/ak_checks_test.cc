// AK suitability and creation checks on real swtpm keys and on altered copies.
#include "tpm/verify/ak_checks.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tpm/verify/testing/fixtures.h"

namespace vigil::tpm {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;
using testing::Fixture;
using Bytes = std::vector<uint8_t>;

PublicArea Load(const std::string& name) { return *ParseTpm2bPublic(Fixture(name)); }

TEST(CheckAkPublic, RealAksPass) {
  for (const char* ak : {"ak_rsa.pub", "ak_rsapss.pub", "ak_ecc.pub", "ak_created.pub"}) {
    EXPECT_THAT(CheckAkPublic(Load(ak)), IsOk()) << ak;
  }
}

struct AttrCase {
  TPMA_OBJECT flip;
  const char* why;
};

class AttributeRule : public ::testing::TestWithParam<AttrCase> {};

TEST_P(AttributeRule, FlippingItRejectsTheAk) {
  PublicArea ak = Load("ak_rsa.pub");
  ak.tpmt.objectAttributes ^= GetParam().flip;
  EXPECT_THAT(CheckAkPublic(ak),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(GetParam().why)));
}

INSTANTIATE_TEST_SUITE_P(
    Attributes, AttributeRule,
    ::testing::Values(AttrCase{TPMA_OBJECT_FIXEDTPM, "fixedTPM is clear"},
                      AttrCase{TPMA_OBJECT_FIXEDPARENT, "fixedParent is clear"},
                      AttrCase{TPMA_OBJECT_SENSITIVEDATAORIGIN, "sensitiveDataOrigin is clear"},
                      AttrCase{TPMA_OBJECT_RESTRICTED, "restricted is clear"},
                      AttrCase{TPMA_OBJECT_SIGN_ENCRYPT, "sign is clear"},
                      AttrCase{TPMA_OBJECT_DECRYPT, "decrypt is set"}));

TEST(CheckAkPublic, RealUnrestrictedKeyIsRejected) {
  EXPECT_THAT(CheckAkPublic(Load("key_unrestricted.pub")),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("restricted is clear")));
}

TEST(CheckAkPublic, EkIsNotAnAk) {
  EXPECT_THAT(CheckAkPublic(Load("ek_rsa.pub")),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("AK rejected")));
}

TEST(CheckAkPublic, SmallRsaKeyIsRejected) {
  PublicArea ak = Load("ak_rsa.pub");
  ak.tpmt.parameters.rsaDetail.keyBits = 1024;
  ak.tpmt.unique.rsa.size = 128;
  EXPECT_THAT(CheckAkPublic(ak),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("RSA key of 1024 bits is smaller than the minimum 2048")));
  AkRequirements lax;
  lax.min_rsa_bits = 1024;
  EXPECT_THAT(CheckAkPublic(ak, lax), IsOk());
}

TEST(CheckAkPublic, ModulusDisagreeingWithKeyBitsIsRejected) {
  PublicArea ak = Load("ak_rsa.pub");
  ak.tpmt.unique.rsa.size = 128;
  EXPECT_THAT(CheckAkPublic(ak), StatusIs(absl::StatusCode::kUnauthenticated,
                                          HasSubstr("modulus is 1024 bits but keyBits is 2048")));
}

TEST(CheckAkPublic, NonNistCurveIsRejected) {
  PublicArea ak = Load("ak_ecc.pub");
  ak.tpmt.parameters.eccDetail.curveID = TPM2_ECC_BN_P256;
  EXPECT_THAT(CheckAkPublic(ak), StatusIs(absl::StatusCode::kUnauthenticated,
                                          HasSubstr("is not NIST P-256, P-384 or P-521")));
}

TEST(CheckAkPublic, Sha1IsRejectedUnlessAllowed) {
  PublicArea ak = Load("ak_ecc.pub");
  ak.tpmt.nameAlg = TPM2_ALG_SHA1;
  EXPECT_THAT(CheckAkPublic(ak), StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("nameAlg 0x0004")));
  AkRequirements sha1;
  sha1.allow_sha1 = true;
  EXPECT_THAT(CheckAkPublic(ak, sha1), IsOk());
  ak = Load("ak_rsa.pub");
  ak.tpmt.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA1;
  EXPECT_THAT(CheckAkPublic(ak), StatusIs(absl::StatusCode::kUnauthenticated,
                                          HasSubstr("RSA scheme hash")));
}

TEST(CheckAkPublic, DecryptSchemeIsRejected) {
  PublicArea ak = Load("ak_rsa.pub");
  ak.tpmt.parameters.rsaDetail.scheme.scheme = TPM2_ALG_OAEP;
  EXPECT_THAT(CheckAkPublic(ak), StatusIs(absl::StatusCode::kUnauthenticated,
                                          HasSubstr("is not RSASSA or RSAPSS")));
}

Bytes CreationHash() {
  Bytes h = Fixture("ak_created.creation_hash");  // TPM2B_DIGEST
  return Bytes(h.begin() + 2, h.end());
}

TEST(Creation, HashOfCreationDataMatchesTpm) {
  EXPECT_THAT(CheckCreationHash(Load("ak_created.pub"), Fixture("ak_created.creation_data"),
                                CreationHash()),
              IsOk());
}

TEST(Creation, AlteredCreationDataIsUnauthenticated) {
  Bytes cd = Fixture("ak_created.creation_data");
  cd[cd.size() - 3] ^= 1;  // inside parentQualifiedName
  EXPECT_THAT(CheckCreationHash(Load("ak_created.pub"), cd, CreationHash()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("creationHash does not match")));
}

TEST(Creation, CertifyCreationBySelfVerifies) {
  EXPECT_THAT(VerifyAkCreation(Load("ak_created.pub"), Fixture("ak_created.creation_data"),
                               Fixture("ak_created.certify.attest"),
                               Fixture("ak_created.certify.sig")),
              IsOk());
}

TEST(Creation, CertifyCreationForAnotherKeyIsUnauthenticated) {
  // Same attestation checked against a different AK: the signature fails.
  EXPECT_THAT(VerifyAkCreation(Load("ak_rsa.pub"), Fixture("ak_created.creation_data"),
                               Fixture("ak_created.certify.attest"),
                               Fixture("ak_created.certify.sig")),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("certify creation: RSASSA/sha256 signature does not verify")));
}

TEST(Creation, QuoteIsNotACertifyCreation) {
  EXPECT_THAT(VerifyAkCreation(Load("ak_rsa.pub"), Fixture("ak_created.creation_data"),
                               Fixture("quote_rsa.attest"), Fixture("quote_rsa.sig")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not TPM_ST_ATTEST_CREATION")));
}

TEST(Creation, MalformedCreationDataIsInvalidArgument) {
  Bytes cd = Fixture("ak_created.creation_data");
  cd.push_back(0);
  EXPECT_THAT(CheckCreationHash(Load("ak_created.pub"), cd, CreationHash()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TPM2B_CREATION_DATA")));
}

}  // namespace
}  // namespace vigil::tpm
