// Verifier::ReloadSigningKey: rotation on SIGHUP keeps the previous key
// published (docs/VERIFIER.md, issue #5 §2).
#include "service/verifier/verifier.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::service {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream b;
  b << in.rdbuf();
  return b.str();
}

void WriteKey(const std::string& path, const token::SigningKey& key) {
  absl::StatusOr<std::string> pem = key.ExportPkcs8PemSecret();
  ASSERT_TRUE(pem.ok());
  std::ofstream(path) << *pem;
}

class ReloadSigningKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-verifier-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    key_path_ = dir_ + "/signing.key";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Verifier> Make() {
    VerifierOptions o;
    o.ek_trust_pem = Read(vigil::testing::SourcePath(
        "service/verifier/testdata/unrelated-root.pem"));
    o.core.issuer = "https://verifier.test";
    o.signing_key_file = key_path_;
    absl::StatusOr<std::unique_ptr<Verifier>> v =
        Verifier::Create(o, &SystemClock::Get());
    EXPECT_OK(v.status());
    return v.ok() ? *std::move(v) : nullptr;
  }

  std::string dir_;
  std::string key_path_;
};

// The verifier sizes its nonce memory for this machine's cores and the
// configured lifetime (NonceIssuer::RememberedFor).
TEST(VerifierNonces, BoundFollowsTheCoresAndTheLifetime) {
  VerifierOptions o;
  o.ek_trust_pem = Read(vigil::testing::SourcePath(
      "service/verifier/testdata/unrelated-root.pem"));
  o.core.issuer = "https://verifier.test";
  o.nonce_lifetime = absl::Minutes(30);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Verifier> v,
                       Verifier::Create(o, &SystemClock::Get()));
  EXPECT_EQ(v->nonces().lifetime(), absl::Minutes(30));
  EXPECT_EQ(v->nonces().max_remembered(),
            NonceIssuer::RememberedFor(std::thread::hardware_concurrency(),
                                       absl::Minutes(30)));
  EXPECT_GT(v->nonces().max_remembered(), NonceIssuer::kMinRemembered);
}

TEST_F(ReloadSigningKeyTest, NewKeyRotatesAndTheOldOneStaysPublished) {
  ASSERT_OK_AND_ASSIGN(token::SigningKey a, token::SigningKey::Generate());
  WriteKey(key_path_, a);
  std::unique_ptr<Verifier> v = Make();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->key_ring().current_kid(), a.kid());
  ASSERT_OK_AND_ASSIGN(bool unchanged, v->ReloadSigningKey());  // same file
  EXPECT_FALSE(unchanged);

  ASSERT_OK_AND_ASSIGN(token::SigningKey b, token::SigningKey::Generate());
  WriteKey(key_path_, b);
  ASSERT_OK_AND_ASSIGN(bool rotated, v->ReloadSigningKey());
  EXPECT_TRUE(rotated);
  EXPECT_EQ(v->key_ring().current_kid(), b.kid());
  EXPECT_THAT(v->key_ring().PublishedKids(),
              ::testing::ElementsAre(b.kid(), a.kid()));
  EXPECT_THAT(v->Jwks(), HasSubstr(a.kid()));
}

TEST_F(ReloadSigningKeyTest, BadOrDifferentAlgorithmKeyLeavesTheKeyInForce) {
  ASSERT_OK_AND_ASSIGN(token::SigningKey a, token::SigningKey::Generate());
  WriteKey(key_path_, a);
  std::unique_ptr<Verifier> v = Make();
  ASSERT_NE(v, nullptr);
  ASSERT_OK_AND_ASSIGN(token::SigningKey rsa, token::SigningKey::Generate(
                                                  token::JwsAlgorithm::kRs256));
  WriteKey(key_path_, rsa);
  EXPECT_THAT(
      v->ReloadSigningKey(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("restart")));
  std::ofstream(key_path_) << "not a key";
  EXPECT_FALSE(v->ReloadSigningKey().ok());
  EXPECT_EQ(v->key_ring().current_kid(), a.kid());
  EXPECT_THAT(v->key_ring().PublishedKids(), ::testing::ElementsAre(a.kid()));
}

}  // namespace
}  // namespace vigil::service
