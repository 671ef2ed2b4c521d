// KDFa / KDFe against an independent implementation (Python hmac/hashlib,
// written from TPM 2.0 Part 1 §11.4.10; the vectors are pinned here).
#include "tpm/verify/kdf.h"

#include <numeric>

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace vigil::tpm {
namespace {

using ::vigil::testing::StatusIs;

std::vector<uint8_t> Key() {
  std::vector<uint8_t> k(32);
  std::iota(k.begin(), k.end(), 0);
  return k;
}

TEST(KdfA, MatchesIndependentImplementation) {
  const std::vector<uint8_t> name = {0x00, 0x0b, 'n', 'a', 'm', 'e'};
  ASSERT_OK_AND_ASSIGN(auto a, KdfA(HashAlg::kSha256, Key(), "STORAGE", name, {}, 128));
  EXPECT_EQ(HexEncode(a), "fc413115ca670c0fe913ec9f264054d0");
  ASSERT_OK_AND_ASSIGN(auto b, KdfA(HashAlg::kSha256, Key(), "INTEGRITY", {}, {}, 256));
  EXPECT_EQ(HexEncode(b),
            "bacf689f634ece301e1f1b15b072d9c87db6a69585db42b1a0cb8f73ebe2692e");
  const std::vector<uint8_t> u = {'c', 't', 'x'}, v = {'v'};
  ASSERT_OK_AND_ASSIGN(auto c, KdfA(HashAlg::kSha384, Key(), "STORAGE", u, v, 520));
  EXPECT_EQ(HexEncode(c),
            "0ab43550cbf6b4b5a4728656253e260754a014e345d8f14fce09687db4f90c40939a7f"
            "491a7579dd26d275b23022688953434ea76dc36c4f5b4283524b82df5061");
}

TEST(KdfE, MatchesIndependentImplementation) {
  ASSERT_OK_AND_ASSIGN(auto a, KdfE(HashAlg::kSha256, std::vector<uint8_t>(32, 0),
                                    "IDENTITY", std::vector<uint8_t>(32, 1),
                                    std::vector<uint8_t>(32, 2), 256));
  EXPECT_EQ(HexEncode(a),
            "b6cd591f05615fc989d4ad97f30d35ecf0e4ccebc21f5be682f85daa19d62ef4");
  ASSERT_OK_AND_ASSIGN(auto b, KdfE(HashAlg::kSha384, std::vector<uint8_t>(48, 0),
                                    "IDENTITY", std::vector<uint8_t>(48, 1),
                                    std::vector<uint8_t>(48, 2), 384));
  EXPECT_EQ(HexEncode(b),
            "aa76859eb4701ce3f0d2ad3a9db2965a2c71a56cefcbe6b5d442f78156d209107a91d9"
            "d2df667a7891d9e53b249968e5");
}

TEST(KdfA, ZeroBitsIsRejected) {
  EXPECT_THAT(KdfA(HashAlg::kSha256, Key(), "X", {}, {}, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("0 bits")));
}

}  // namespace
}  // namespace vigil::tpm
