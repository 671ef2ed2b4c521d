// Software MakeCredential: pinned-randomness regression, input checks, the
// tpm2-tools file format, and interop: credentials made here are activated by
// tpm2_activatecredential on a real swtpm (RSA, ECC P-256 and ECC P-384 EKs).
#include "tpm/verify/make_credential.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tpm/types/hash_alg.h"
#include "tpm/verify/testing/fixtures.h"
#include "tests/swtpm/swtpm_instance.h"

namespace vigil::tpm {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;
using testing::Fixture;
using Bytes = std::vector<uint8_t>;

// SHA-256 in counter mode over a seed: deterministic, distinct per seed.
class PinnedRandom : public RandomSource {
 public:
  explicit PinnedRandom(uint8_t seed) : seed_(seed) {}
  absl::Status Fill(absl::Span<uint8_t> out) override {
    for (size_t i = 0; i < out.size(); ++i) {
      if (pos_ == 32) {
        const uint8_t in[5] = {seed_, static_cast<uint8_t>(counter_ >> 24),
                               static_cast<uint8_t>(counter_ >> 16),
                               static_cast<uint8_t>(counter_ >> 8),
                               static_cast<uint8_t>(counter_)};
        ++counter_;
        if (!HashParts(HashAlg::kSha256, {in}, block_).ok()) return absl::InternalError("hash");
        pos_ = 0;
      }
      out[i] = block_[pos_++];
    }
    return absl::OkStatus();
  }

 private:
  uint8_t seed_;
  uint32_t counter_ = 0;
  uint8_t block_[32] = {};
  size_t pos_ = 32;
};

PublicArea Ek(const std::string& file) { return *ParseTpm2bPublic(Fixture(file)); }

const Bytes kSecret = {'v', 'i', 'g', 'i', 'l', '-', 's', 'e', 'c', 'r', 'e', 't'};

TEST(MakeCredential, PinnedRandomnessGivesPinnedOutput) {
  for (const char* ek : {"ek_rsa.pub", "ek_ecc.pub", "ek_ecc384.pub"}) {
    SCOPED_TRACE(ek);
    PinnedRandom r1(1), r2(1), r3(2);
    ASSERT_OK_AND_ASSIGN(CredentialBlob a, MakeCredential(Ek(ek), Fixture("ak_rsa.name"), kSecret, r1));
    ASSERT_OK_AND_ASSIGN(CredentialBlob b, MakeCredential(Ek(ek), Fixture("ak_rsa.name"), kSecret, r2));
    ASSERT_OK_AND_ASSIGN(CredentialBlob c, MakeCredential(Ek(ek), Fixture("ak_rsa.name"), kSecret, r3));
    EXPECT_EQ(a.id_object, b.id_object);
    EXPECT_EQ(a.encrypted_secret, b.encrypted_secret);
    EXPECT_NE(a.id_object, c.id_object);
    EXPECT_NE(a.encrypted_secret, c.encrypted_secret);
  }
}

TEST(MakeCredential, StructureSizesFollowTheEk) {
  OpenSslRandomSource rng;
  ASSERT_OK_AND_ASSIGN(CredentialBlob rsa, MakeCredential(Ek("ek_rsa.pub"), Fixture("ak_rsa.name"), kSecret, rng));
  // TPM2B_ID_OBJECT = 2 + (2 + 32 HMAC-SHA256) + (2 + 12) encIdentity.
  EXPECT_EQ(rsa.id_object.size(), 2u + 34u + 14u);
  EXPECT_EQ(rsa.encrypted_secret.size(), 2u + 256u);
  ASSERT_OK_AND_ASSIGN(CredentialBlob p384, MakeCredential(Ek("ek_ecc384.pub"), Fixture("ak_rsa.name"), kSecret, rng));
  EXPECT_EQ(p384.id_object.size(), 2u + 50u + 14u);               // HMAC-SHA384
  EXPECT_EQ(p384.encrypted_secret.size(), 2u + 2 * (2u + 48u));    // TPMS_ECC_POINT
}

TEST(MakeCredential, RejectsBadInputsPrecisely) {
  OpenSslRandomSource rng;
  const Bytes name = Fixture("ak_rsa.name");
  EXPECT_THAT(MakeCredential(Ek("ek_rsa.pub"), name, Bytes(33, 1), rng),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want 1..32")));
  EXPECT_THAT(MakeCredential(Ek("ek_rsa.pub"), name, Bytes(), rng),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("credential of 0 bytes")));
  EXPECT_THAT(MakeCredential(Ek("ek_rsa.pub"), Bytes(name.begin(), name.end() - 1), kSecret, rng),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not nameAlg || digest")));
  EXPECT_THAT(MakeCredential(Ek("ak_rsa.pub"), name, kSecret, rng),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("EK rejected: not a restricted decryption (storage) key")));
  PublicArea off_curve = Ek("ek_ecc.pub");
  off_curve.tpmt.unique.ecc.y.buffer[5] ^= 0x40;
  EXPECT_THAT(MakeCredential(off_curve, name, kSecret, rng),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not on the curve")));
}

TEST(Tpm2ToolsCredentialFile, RoundTripsAndRejectsDamage) {
  OpenSslRandomSource rng;
  ASSERT_OK_AND_ASSIGN(CredentialBlob blob, MakeCredential(Ek("ek_rsa.pub"), Fixture("ak_rsa.name"), kSecret, rng));
  const Bytes file = EncodeTpm2ToolsCredential(blob);
  EXPECT_EQ(HexEncode(Bytes(file.begin(), file.begin() + 8)), "badcc0de00000001");
  ASSERT_OK_AND_ASSIGN(CredentialBlob back, ParseTpm2ToolsCredential(file));
  EXPECT_EQ(back.id_object, blob.id_object);
  EXPECT_EQ(back.encrypted_secret, blob.encrypted_secret);
  Bytes longer = file;
  longer.push_back(0);
  EXPECT_THAT(ParseTpm2ToolsCredential(longer), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
  EXPECT_THAT(ParseTpm2ToolsCredential(Bytes(file.begin(), file.end() - 1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TPM2B_ENCRYPTED_SECRET")));
  Bytes bad_magic = file;
  bad_magic[0] = 0;
  EXPECT_THAT(ParseTpm2ToolsCredential(bad_magic), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("magic")));
}

void WriteFile(const std::string& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

struct InteropCase {
  const char* ek_alg;  // tpm2_createek -G
  const char* ak_alg;  // tpm2_createak -G / -s
  const char* ak_scheme;
  // High-range EK templates (P-384) use PolicyB = PolicyOR(PolicyA, PolicyC)
  // over SHA-384 (TCG EK Credential Profile 2.5 §B.3, B.6).
  bool high_range;
};

// PolicyA_SHA384 = PolicySecret(TPM_RH_ENDORSEMENT) and PolicyC_SHA384
// (EK Credential Profile §B.6), as tpm2-tools' own test_tpm2_activecredential
// uses them.
constexpr char kPolicyA384[] =
    "8bbf2266537c171cb56e403c4dc1d4b64f432611dc386e6f532050c3278c930e143e8bb1133824ccb431053871c6db53";
constexpr char kPolicyC384[] =
    "d6032ce61f2fb3c240eb3cf6a33237ef2b6a16f4293c22b455e261cffd217ad5b4947c2d73e63005eed2dc2b3593d165";

class ActivateCredentialInterop : public ::testing::TestWithParam<InteropCase> {};

// Ours -> tpm2_activatecredential: the TPM recovers exactly our secret, and
// our Name for the AK equals tpm2_createak's -n output.
TEST_P(ActivateCredentialInterop, Tpm2ActivateCredentialRecoversOurSecret) {
  const InteropCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(auto tpm, ::vigil::testing::SwtpmInstance::Start());
  ASSERT_OK(tpm->RunTools(absl::StrCat("tpm2_createek -c ek.ctx -G ", c.ek_alg, " -u ek.pub")));
  ASSERT_OK(tpm->RunTools(absl::StrCat("tpm2_createak -C ek.ctx -c ak.ctx -G ", c.ak_alg,
                                  " -g sha256 -s ", c.ak_scheme, " -u ak.pub -n ak.name")));
  ASSERT_OK_AND_ASSIGN(PublicArea ek, ParseTpm2bPublic(vigil::testing::ReadFileBytes(tpm->Path("ek.pub"))));
  ASSERT_OK_AND_ASSIGN(PublicArea ak, ParseTpm2bPublic(vigil::testing::ReadFileBytes(tpm->Path("ak.pub"))));
  ASSERT_OK_AND_ASSIGN(Bytes name, ComputeName(ak));
  EXPECT_EQ(HexEncode(name), HexEncode(vigil::testing::ReadFileBytes(tpm->Path("ak.name"))));

  OpenSslRandomSource rng;
  ASSERT_OK_AND_ASSIGN(CredentialBlob blob, MakeCredential(ek, name, kSecret, rng));
  WriteFile(tpm->Path("cred.bin"), EncodeTpm2ToolsCredential(blob));
  std::string policy = "tpm2_startauthsession --policy-session -S s.ctx && "
                       "tpm2_policysecret -S s.ctx -c e && ";
  if (c.high_range) {
    WriteFile(tpm->Path("pa.bin"), *HexDecode(kPolicyA384));
    WriteFile(tpm->Path("pc.bin"), *HexDecode(kPolicyC384));
    policy = "tpm2_startauthsession --policy-session -g sha384 -S s.ctx && "
             "tpm2_policysecret -S s.ctx -c e && "
             "tpm2_policyor -S s.ctx sha384:pa.bin,pc.bin && ";
  }
  const std::string activate =
      policy +
      "tpm2_activatecredential -c ak.ctx -C ek.ctx -i cred.bin -o out.bin "
      "-P session:s.ctx";
  ASSERT_OK(tpm->RunTools(activate));
  EXPECT_EQ(vigil::testing::ReadFileBytes(tpm->Path("out.bin")), kSecret);

  // A credential bound to another object's Name must not activate.
  ASSERT_OK_AND_ASSIGN(CredentialBlob other,
                       MakeCredential(ek, Fixture("ak_rsa.name"), kSecret, rng));
  WriteFile(tpm->Path("cred.bin"), EncodeTpm2ToolsCredential(other));
  absl::Status st = tpm->RunTools(activate);
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kInternal, HasSubstr("integrity check failed")));
}

INSTANTIATE_TEST_SUITE_P(
    Eks, ActivateCredentialInterop,
    ::testing::Values(InteropCase{"rsa", "rsa", "rsassa", false},
                      InteropCase{"ecc", "ecc", "ecdsa", false},
                      InteropCase{"ecc384", "ecc", "ecdsa", true}),
    [](const ::testing::TestParamInfo<InteropCase>& param_info) {
      return std::string(param_info.param.ek_alg) + "_ek_" + param_info.param.ak_alg + "_ak";
    });

// tpm2_makecredential's file parses with ours (format interop).
TEST(Tpm2ToolsCredentialFile, ParsesTpm2MakecredentialOutput) {
  char dir_tmpl[] = "/tmp/vigil-mkcred-XXXXXX";
  ASSERT_NE(mkdtemp(dir_tmpl), nullptr);
  const std::string dir = dir_tmpl;
  WriteFile(dir + "/secret", kSecret);
  const std::string cmd = absl::StrCat(
      "tpm2_makecredential -T none -u '", testing::FixturePath("ek_rsa.pub"),
      "' -s '", dir, "/secret' -n ", HexEncode(Fixture("ak_rsa.name")), " -o '", dir,
      "/out' >/dev/null 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  ASSERT_OK_AND_ASSIGN(CredentialBlob blob, ParseTpm2ToolsCredential(vigil::testing::ReadFileBytes(dir + "/out")));
  EXPECT_EQ(blob.id_object.size(), 2u + 34u + 14u);
  EXPECT_EQ(blob.encrypted_secret.size(), 258u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::tpm
