// Verifier::ReloadSigningKey and ReloadPolicies (SIGHUP): rotation keeps the
// previous key published, a failed reload changes nothing, and both are counted
// in the verifier's metrics (docs/VERIFIER.md, issue #5 §2).
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

// What every verifier here needs to start: an EK trust bundle (no EK
// chains to it in these tests) and an issuer.
VerifierOptions BaseOptions() {
  VerifierOptions o;
  o.ek_trust_pem = Read(vigil::testing::SourcePath(
      "service/verifier/testdata/unrelated-root.pem"));
  o.core.issuer = "https://verifier.test";
  return o;
}

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-verifier-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    key_path_ = dir_ + "/signing.key";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Verifier> Make() {
    VerifierOptions o = BaseOptions();
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
  VerifierOptions o = BaseOptions();
  o.nonce_lifetime = absl::Minutes(30);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Verifier> v,
                       Verifier::Create(o, &SystemClock::Get()));
  EXPECT_EQ(v->nonces().lifetime(), absl::Minutes(30));
  EXPECT_EQ(v->nonces().max_remembered(),
            NonceIssuer::RememberedFor(std::thread::hardware_concurrency(),
                                       absl::Minutes(30)));
  EXPECT_GT(v->nonces().max_remembered(), NonceIssuer::kMinRemembered);
}

TEST_F(ReloadTest, NewKeyRotatesAndTheOldOneStaysPublished) {
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
  // vigil_signing_key_rotations_total: the rotation, not the unchanged
  // reload.
  EXPECT_EQ(v->metrics().signing_key_rotations().Value(), 1u);
}

TEST_F(ReloadTest, BadOrDifferentAlgorithmKeyLeavesTheKeyInForce) {
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
  EXPECT_EQ(v->metrics().signing_key_rotations().Value(), 0u);
}

// SIGHUP's policy reload (Verifier::ReloadPolicies) is counted by outcome in
// vigil_policy_reloads_total, and a failed one leaves the policies (and
// their generation) as they were.
TEST_F(ReloadTest, PolicyReloadsAreCountedByOutcome) {
  const std::string policy = dir_ + "/Tpm.policy";
  std::ofstream(policy) << "version=1.0;\nauthorizationrules\n{\n"
                           "    => deny();\n};\nissuancerules\n{\n};\n";
  VerifierOptions o = BaseOptions();
  o.policy_path = policy;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Verifier> v,
                       Verifier::Create(o, &SystemClock::Get()));
  // The load at start is not a reload.
  EXPECT_EQ(v->metrics().policy_reloads(true).Value(), 0u);
  ASSERT_OK(v->ReloadPolicies());
  EXPECT_EQ(v->metrics().policy_reloads(true).Value(), 1u);
  const std::string before = v->metrics().registry().Render();

  std::ofstream(policy) << "version=1.0;\nauthorizationrules\n{\n"
                           "    = permit()\n};\n";  // line 4: no "=>"
  EXPECT_THAT(v->ReloadPolicies(), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("Tpm.policy:4:")));
  EXPECT_EQ(v->metrics().policy_reloads(false).Value(), 1u);
  EXPECT_EQ(v->metrics().policy_reloads(true).Value(), 1u);
  const std::string after = v->metrics().registry().Render();
  EXPECT_THAT(after,
              HasSubstr("vigil_policy_reloads_total{result=\"failed\"} 1"));
  // The generation gauge did not move on the failed reload.
  auto generation = [](const std::string& text) {
    const size_t at = text.find("\nvigil_policy_generation ");
    return at == std::string::npos
               ? std::string("missing")
               : text.substr(at, text.find('\n', at + 1) - at);
  };
  EXPECT_NE(generation(before), "missing");
  EXPECT_EQ(generation(after), generation(before));
}

}  // namespace
}  // namespace vigil::service
