// Tests for tpm/wire on real swtpm structures (tpm/verify/testdata, made by
// tpm/verify/testdata/generate.sh) and on hostile variants of them.
#include <cstdint>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tpm/wire/attest_info.h"
#include "tpm/wire/creation_data.h"
#include "tpm/wire/public_area.h"
#include "tpm/wire/signature.h"

namespace vigil::tpm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;
using Bytes = std::vector<uint8_t>;

Bytes Fixture(const std::string& name) {
  return vigil::testing::ReadFileBytes(
      vigil::testing::SourcePath("tpm/verify/testdata/" + name));
}

TEST(PublicArea, NameMatchesTpm2ToolsForEveryKey) {
  for (const char* key : {"ak_rsa", "ak_rsapss", "ak_ecc", "ak_rsa2",
                          "ak_created", "key_unrestricted"}) {
    SCOPED_TRACE(key);
    const Bytes pub = Fixture(std::string(key) + ".pub");
    const Bytes want = Fixture(std::string(key) + ".name");
    ASSERT_FALSE(pub.empty());
    ASSERT_OK_AND_ASSIGN(PublicArea area, ParseTpm2bPublic(pub));
    ASSERT_OK_AND_ASSIGN(Bytes name, ComputeName(area));
    EXPECT_EQ(HexEncode(name), HexEncode(want));
  }
}

TEST(PublicArea, ImportsRsaAndEccKeysIntoOpenSsl) {
  for (const char* key : {"ak_rsa.pub", "ak_ecc.pub", "ek_rsa.pub",
                          "ek_ecc.pub", "ek_ecc384.pub"}) {
    SCOPED_TRACE(key);
    ASSERT_OK_AND_ASSIGN(PublicArea area, ParseTpm2bPublic(Fixture(key)));
    ASSERT_OK_AND_ASSIGN(EvpPkeyPtr pkey, PublicKeyFromArea(area));
    EXPECT_NE(pkey, nullptr);
  }
  ASSERT_OK_AND_ASSIGN(PublicArea p384, ParseTpm2bPublic(Fixture("ek_ecc384.pub")));
  ASSERT_OK_AND_ASSIGN(EvpPkeyPtr k, PublicKeyFromArea(p384));
  EXPECT_EQ(EVP_PKEY_get_bits(k.get()), 384);
}

TEST(PublicArea, BareTpmtPublicParsesToTheSameArea) {
  const Bytes pub = Fixture("ak_ecc.pub");
  ASSERT_OK_AND_ASSIGN(PublicArea a, ParseTpm2bPublic(pub));
  ASSERT_OK_AND_ASSIGN(PublicArea b, ParseTpmtPublic(Bytes(pub.begin() + 2, pub.end())));
  EXPECT_EQ(a.marshalled, b.marshalled);
}

TEST(PublicArea, EveryTruncationIsRejected) {
  const Bytes pub = Fixture("ak_rsa.pub");
  for (size_t n = 0; n < pub.size(); ++n) {
    EXPECT_THAT(ParseTpm2bPublic(Bytes(pub.begin(), pub.begin() + n)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TPM2B_PUBLIC")))
        << n;
  }
}

TEST(PublicArea, TruncationInsideTheBodyNamesFieldAndOffset) {
  Bytes pub = Fixture("ak_rsa.pub");
  pub.resize(100);  // inside unique.rsa
  const uint16_t size = static_cast<uint16_t>(pub.size() - 2);
  pub[0] = static_cast<uint8_t>(size >> 8);
  pub[1] = static_cast<uint8_t>(size);
  EXPECT_THAT(ParseTpm2bPublic(pub),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("TPM2B_PUBLIC.publicArea.unique at offset")));
}

TEST(PublicArea, TrailingBytesAreRejected) {
  Bytes pub = Fixture("ak_ecc.pub");
  pub.push_back(0);
  EXPECT_THAT(ParseTpm2bPublic(pub),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
  Bytes tpmt(pub.begin() + 2, pub.end());
  EXPECT_THAT(ParseTpmtPublic(tpmt),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 trailing byte")));
}

TEST(PublicArea, OversizedInputIsRejectedBeforeParsing) {
  Bytes big(5000, 0);
  EXPECT_THAT(ParseTpm2bPublic(big),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("exceeds the maximum of 4096")));
}

TEST(PublicArea, AuthPolicySizeOverMaximumNamesTheField) {
  Bytes pub = Fixture("ak_ecc.pub");
  // TPM2B_PUBLIC: size(2) type(2) nameAlg(2) attributes(4) authPolicy.size.
  pub[10] = 0x01;
  pub[11] = 0x00;
  EXPECT_THAT(ParseTpm2bPublic(pub),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("TPM2B_PUBLIC.publicArea.authPolicy at offset 8: size 256")));
}

TEST(PublicArea, UnknownTypeIsRejected) {
  Bytes pub = Fixture("ak_ecc.pub");
  pub[2] = 0x00;
  pub[3] = 0x99;
  EXPECT_THAT(ParseTpm2bPublic(pub), StatusIs(absl::StatusCode::kInvalidArgument,
                                              HasSubstr("unknown TPMI_ALG_PUBLIC")));
}

TEST(PublicArea, EccPointOffTheCurveIsRejected) {
  ASSERT_OK_AND_ASSIGN(PublicArea area, ParseTpm2bPublic(Fixture("ak_ecc.pub")));
  area.tpmt.unique.ecc.y.buffer[31] ^= 1;
  EXPECT_THAT(PublicKeyFromArea(area),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a point on P-256")));
}

TEST(PublicArea, NameOfAlteredKeyDiffers) {
  ASSERT_OK_AND_ASSIGN(PublicArea area, ParseTpm2bPublic(Fixture("ak_rsa.pub")));
  area.tpmt.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;
  ASSERT_OK_AND_ASSIGN(PublicArea altered, MakePublicArea(area.tpmt));
  ASSERT_OK_AND_ASSIGN(Bytes name, ComputeName(altered));
  EXPECT_NE(name, Fixture("ak_rsa.name"));
}

TEST(Signature, ParsesRsassaRsapssAndEcdsa) {
  ASSERT_OK_AND_ASSIGN(Signature rsa, ParseSignature(Fixture("quote_rsa.sig")));
  EXPECT_EQ(rsa.scheme, SigScheme::kRsassa);
  EXPECT_EQ(rsa.hash, HashAlg::kSha256);
  EXPECT_EQ(rsa.bytes.size(), 256u);
  ASSERT_OK_AND_ASSIGN(Signature pss, ParseSignature(Fixture("quote_rsapss.sig")));
  EXPECT_EQ(pss.scheme, SigScheme::kRsapss);
  ASSERT_OK_AND_ASSIGN(Signature ecc, ParseSignature(Fixture("quote_ecc.sig")));
  EXPECT_EQ(ecc.scheme, SigScheme::kEcdsa);
  EXPECT_EQ(ecc.bytes[0], 0x30);  // DER SEQUENCE
}

TEST(Signature, UnsupportedAlgorithmIsNamed) {
  Bytes sig = Fixture("quote_rsa.sig");
  sig[0] = 0x00;
  sig[1] = 0x05;  // TPM_ALG_HMAC
  EXPECT_THAT(ParseSignature(sig),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unsupported signature algorithm 0x0005")));
}

TEST(Signature, EveryTruncationAndTrailingByteIsRejected) {
  for (const char* f : {"quote_rsa.sig", "quote_ecc.sig"}) {
    const Bytes sig = Fixture(f);
    for (size_t n = 0; n < sig.size(); ++n) {
      EXPECT_THAT(ParseSignature(Bytes(sig.begin(), sig.begin() + n)),
                  StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TPMT_SIGNATURE")));
    }
    Bytes longer = sig;
    longer.push_back(0);
    EXPECT_THAT(ParseSignature(longer),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
  }
}

TEST(Signature, RsaSignatureSizeOverMaximumNamesField) {
  Bytes sig = Fixture("quote_rsa.sig");
  sig[4] = 0x02;  // sig.size = 0x0200 + ..., over TPM2_MAX_RSA_KEY_BYTES
  sig[5] = 0x01;
  EXPECT_THAT(ParseSignature(sig),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("TPMT_SIGNATURE.signature at offset 2")));
}

TEST(Attest, ParsesARealMultiBankQuote) {
  ASSERT_OK_AND_ASSIGN(AttestInfo q, ParseAttest(Fixture("quote_rsa.attest")));
  EXPECT_EQ(q.magic, kTpmGeneratedValue);
  EXPECT_EQ(q.type, kTpmStAttestQuote);
  EXPECT_EQ(q.extra_data.size(), 20u);
  EXPECT_EQ(q.pcr_digest.size(), 32u);
  ASSERT_EQ(q.pcr_selections.size(), 3u);
  EXPECT_EQ(q.pcr_selections[0].alg, HashAlg::kSha1);
  EXPECT_THAT(q.pcr_selections[0].pcrs, ElementsAre(0, 1, 2, 3, 7));
  EXPECT_EQ(q.pcr_selections[1].alg, HashAlg::kSha256);
  EXPECT_THAT(q.pcr_selections[1].pcrs, ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 9, 10));
  EXPECT_EQ(q.pcr_selections[2].alg, HashAlg::kSha384);
  EXPECT_THAT(q.pcr_selections[2].pcrs, ElementsAre(0, 7));
  EXPECT_TRUE(q.clock_info.safe);
}

TEST(Attest, ParsesCertifyCreation) {
  ASSERT_OK_AND_ASSIGN(AttestInfo c, ParseAttest(Fixture("ak_created.certify.attest")));
  EXPECT_EQ(c.type, kTpmStAttestCreation);
  EXPECT_EQ(c.creation_object_name, Fixture("ak_created.name"));
}

TEST(Attest, EveryTruncationAndTrailingByteIsRejected) {
  const Bytes a = Fixture("quote_ecc.attest");
  for (size_t n = 0; n < a.size(); ++n) {
    EXPECT_THAT(ParseAttest(Bytes(a.begin(), a.begin() + n)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TPMS_ATTEST")))
        << n;
  }
  Bytes longer = a;
  longer.push_back(0);
  EXPECT_THAT(ParseAttest(longer),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("1 trailing byte(s) after the structure at offset 157")));
}

TEST(Attest, ExtraDataSizeOverMaximumNamesFieldAndOffset) {
  Bytes a = Fixture("quote_rsa.attest");
  // magic(4) type(2) qualifiedSigner(2 + 34) -> extraData.size at 42.
  a[42] = 0x00;
  a[43] = 0x64;  // 100: fits in the input, exceeds sizeof(TPMU_HA) = 64
  EXPECT_THAT(ParseAttest(a),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("TPMS_ATTEST.extraData at offset 42: size 100 exceeds the maximum 64")));
}

TEST(Attest, UnknownTypeIsRejected) {
  Bytes a = Fixture("quote_rsa.attest");
  a[4] = 0x80;
  a[5] = 0x99;
  EXPECT_THAT(ParseAttest(a), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("unknown TPMI_ST_ATTEST 0x8099")));
}

TEST(Attest, Tpm2bAttestUnwraps) {
  const Bytes a = Fixture("quote_rsa.attest");
  Bytes b = {static_cast<uint8_t>(a.size() >> 8), static_cast<uint8_t>(a.size())};
  b.insert(b.end(), a.begin(), a.end());
  ASSERT_OK_AND_ASSIGN(absl::Span<const uint8_t> inner, UnwrapTpm2bAttest(b));
  EXPECT_EQ(Bytes(inner.begin(), inner.end()), a);
  b.push_back(0);
  EXPECT_THAT(UnwrapTpm2bAttest(b), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("trailing")));
}

TEST(CreationData, ParsesTpm2ToolsOutput) {
  ASSERT_OK_AND_ASSIGN(CreationData cd,
                       ParseTpm2bCreationData(Fixture("ak_created.creation_data")));
  EXPECT_EQ(cd.marshalled.size() + 2, Fixture("ak_created.creation_data").size());
  // A primary key: the parent is the endorsement hierarchy handle.
  EXPECT_EQ(cd.parent_name_alg, 0x0010);  // TPM_ALG_NULL
  EXPECT_EQ(HexEncode(cd.parent_name), "4000000b");
  EXPECT_TRUE(cd.pcr_select.empty());
  Bytes truncated = Fixture("ak_created.creation_data");
  truncated.pop_back();
  EXPECT_THAT(ParseTpm2bCreationData(truncated),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TPM2B_CREATION_DATA")));
}

}  // namespace
}  // namespace vigil::tpm
