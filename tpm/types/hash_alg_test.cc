#include "tpm/types/hash_alg.h"

#include <string>

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tpm/types/pcr_bank.h"

namespace vigil::tpm {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

TEST(HashAlg, MapsTpmAlgIdsAndRejectsOthers) {
  EXPECT_EQ(HashAlgFromId(0x000B), HashAlg::kSha256);
  EXPECT_EQ(HashAlgFromId(0x0004), HashAlg::kSha1);
  EXPECT_EQ(HashAlgFromId(0x0012), HashAlg::kSm3_256);
  EXPECT_EQ(HashAlgFromId(0x0000), std::nullopt);
  EXPECT_EQ(HashAlgFromId(0x0001), std::nullopt);  // TPM_ALG_RSA
  EXPECT_EQ(HashAlgFromId(0xffff), std::nullopt);
}

TEST(HashAlg, NamesRoundTrip) {
  for (HashAlg a : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384,
                    HashAlg::kSha512, HashAlg::kSm3_256}) {
    EXPECT_EQ(HashAlgFromName(HashAlgName(a)), a);
    EXPECT_EQ(HashAlgFromName(HashAlgMaaName(a)), a);
  }
  EXPECT_EQ(HashAlgFromName("md5"), std::nullopt);
}

// FIPS 180-4 "abc" vectors.
TEST(Hash, MatchesKnownVectors) {
  ASSERT_OK_AND_ASSIGN(Digest s1, Hash(HashAlg::kSha1, AsBytes("abc")));
  EXPECT_EQ(HexEncode(s1), "a9993e364706816aba3e25717850c26c9cd0d89d");
  ASSERT_OK_AND_ASSIGN(Digest s256, Hash(HashAlg::kSha256, AsBytes("abc")));
  EXPECT_EQ(HexEncode(s256),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ASSERT_OK_AND_ASSIGN(Digest s384, Hash(HashAlg::kSha384, AsBytes("abc")));
  EXPECT_EQ(HexEncode(s384).substr(0, 16), "cb00753f45a35e8b");
}

TEST(Extend, IsHashOfOldValueConcatenatedWithDigest) {
  Digest pcr = InitialPcrValue(HashAlg::kSha256, 0);
  ASSERT_OK_AND_ASSIGN(Digest d, Hash(HashAlg::kSha256, AsBytes("x")));
  Digest concat = pcr;
  concat.insert(concat.end(), d.begin(), d.end());
  ASSERT_OK_AND_ASSIGN(Digest want, Hash(HashAlg::kSha256, concat));
  ASSERT_OK(Extend(HashAlg::kSha256, &pcr, d));
  EXPECT_EQ(pcr, want);
}

TEST(PcrBank, DrtmPcrsStartAtAllOnes) {
  EXPECT_EQ(HexEncode(InitialPcrValue(HashAlg::kSha1, 16)), std::string(40, '0'));
  EXPECT_EQ(HexEncode(InitialPcrValue(HashAlg::kSha1, 17)), std::string(40, 'f'));
  EXPECT_EQ(HexEncode(InitialPcrValue(HashAlg::kSha1, 22)), std::string(40, 'f'));
  EXPECT_EQ(HexEncode(InitialPcrValue(HashAlg::kSha1, 23)), std::string(40, '0'));
}

TEST(PcrBank, IsInitialPcrValueAgreesWithInitialPcrValue) {
  for (HashAlg alg : {HashAlg::kSha1, HashAlg::kSha256}) {
    for (uint32_t pcr = 0; pcr < kNumPcrs; ++pcr) {
      const Digest initial = InitialPcrValue(alg, pcr);
      EXPECT_TRUE(IsInitialPcrValue(alg, pcr, initial)) << pcr;
      Digest moved = initial;
      moved.back() ^= 1;
      EXPECT_FALSE(IsInitialPcrValue(alg, pcr, moved)) << pcr;
      // The right bytes at the wrong length (another bank's size).
      EXPECT_FALSE(IsInitialPcrValue(
          alg, pcr, Digest(initial.size() + 12, initial[0])))
          << pcr;
    }
  }
}

TEST(PcrBank, ValidateRejectsBadIndexAndSize) {
  PcrBank b{HashAlg::kSha256, {{24, Digest(32)}}};
  EXPECT_THAT(ValidatePcrBank(b), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("pcr 24")));
  PcrBank c{HashAlg::kSha256, {{7, Digest(20)}}};
  EXPECT_THAT(ValidatePcrBank(c), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("20 bytes, want 32")));
  PcrBank ok{HashAlg::kSha256, {{23, Digest(32)}}};
  EXPECT_OK(ValidatePcrBank(ok));
}

}  // namespace
}  // namespace vigil::tpm
