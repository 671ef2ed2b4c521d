#include "service/verifier/policy_set.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/claim.h"
#include "policy/evaluator.h"
#include "policy/policy_hash.h"

namespace vigil::service {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::vigil::testing::StatusIs;

const absl::Time kT0 = absl::FromUnixSeconds(1750000000);

constexpr char kDenyAll[] =
    "version=1.0;\nauthorizationrules\n{\n    => deny();\n};\n"
    "issuancerules\n{\n};\n";
// Line 4 misses its ';' and has '=' for '=>'.
constexpr char kSyntaxError[] =
    "version=1.0;\nauthorizationrules\n{\n    = permit()\n};\n";
constexpr char kPcrMask[] =
    "version=1.2;\n"
    "configurationrules\n{\n"
    "    => issueproperty(type=\"required_pcr_mask\", value=131);\n"
    "    => issueproperty(type=\"report_validity_in_minutes\", value=60);\n"
    "};\n"
    "authorizationrules\n{\n    => permit();\n};\n"
    "issuancerules\n{\n};\n";

class PolicySetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        ::testing::TempDir(), "/policy_set_test_", getpid(), "_",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  PolicySet set_;
  std::string dir_;
};

TEST_F(PolicySetTest, DefaultTpmPolicyCompilesAndPermitsAnything) {
  std::shared_ptr<const ActivePolicy> p = set_.Get(kAttestationTypeTpm);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->source, "built-in default");
  EXPECT_EQ(p->text, kDefaultTpmPolicy);
  ASSERT_OK_AND_ASSIGN(std::string hash, policy::PolicyHash(kDefaultTpmPolicy));
  EXPECT_EQ(p->hash, hash);
  EXPECT_EQ(p->properties.required_pcr_mask, 0xFFFFFF);
  EXPECT_FALSE(p->report_validity_set);
  ASSERT_OK_AND_ASSIGN(policy::EvaluationResult r,
                       policy::Evaluate(p->compiled, policy::ClaimSet()));
  EXPECT_TRUE(r.permitted);
  // Other types have no default.
  EXPECT_EQ(set_.Get("SgxEnclave"), nullptr);
  EXPECT_EQ(set_.generation(), 0u);
}

TEST_F(PolicySetTest, SetPutsACompiledPolicyInForce) {
  ASSERT_OK(set_.Set("Tpm", kDenyAll, "deny.policy", kT0));
  std::shared_ptr<const ActivePolicy> p = set_.Get("Tpm");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->source, "deny.policy");
  EXPECT_EQ(p->loaded_at, kT0);
  EXPECT_EQ(p->generation, 1u);
  ASSERT_OK_AND_ASSIGN(policy::EvaluationResult r,
                       policy::Evaluate(p->compiled, policy::ClaimSet()));
  EXPECT_FALSE(r.permitted);
}

TEST_F(PolicySetTest, SyntaxErrorKeepsThePolicyInForceAndNamesFileLineCol) {
  ASSERT_OK(set_.Set("Tpm", kDenyAll, "deny.policy", kT0));
  std::shared_ptr<const ActivePolicy> before = set_.Get("Tpm");
  const uint64_t generation = set_.generation();
  absl::Status s = set_.Set("Tpm", kSyntaxError, "bad.policy", kT0);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          AllOf(ContainsRegex("bad\\.policy:4:[0-9]+: error:"),
                                Not(HasSubstr("\n\n")))));
  EXPECT_EQ(set_.Get("Tpm"), before);
  EXPECT_EQ(set_.generation(), generation);
}

TEST_F(PolicySetTest, RequiredPcrMaskAndLifetimeComeFromConfigurationRules) {
  ASSERT_OK(set_.Set("Tpm", kPcrMask, "mask.policy", kT0));
  std::shared_ptr<const ActivePolicy> p = set_.Get("Tpm");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->properties.required_pcr_mask, 131);  // PCRs 0, 1, 7
  EXPECT_EQ(p->properties.report_validity_in_minutes, 60);
  EXPECT_TRUE(p->report_validity_set);
}

TEST_F(PolicySetTest, OnChangeFiresWithTheTypeAndGenerationIncreases) {
  std::vector<std::string> changed;
  set_.OnChange([&](const std::string& type) { changed.push_back(type); });
  ASSERT_OK(set_.Set("Tpm", kDenyAll, "a", kT0));
  ASSERT_OK(set_.Set("SgxEnclave", kDenyAll, "b", kT0));
  EXPECT_FALSE(set_.Set("Tpm", kSyntaxError, "c", kT0).ok());
  set_.Reset("Tpm", kT0);
  set_.Reset("SgxEnclave", kT0);
  EXPECT_THAT(changed,
              ::testing::ElementsAre("Tpm", "SgxEnclave", "Tpm", "SgxEnclave"));
  EXPECT_EQ(set_.generation(), 4u);
  EXPECT_EQ(set_.Get("Tpm")->source, "built-in default");
  EXPECT_EQ(set_.Get("Tpm")->generation, 3u);
  EXPECT_EQ(set_.Get("SgxEnclave"), nullptr);
}

TEST_F(PolicySetTest, CallbackMayReadThePolicySet) {
  // Callbacks run outside the lock: reading the new policy must not
  // deadlock.
  std::string seen;
  set_.OnChange(
      [&](const std::string& type) { seen = set_.Get(type)->source; });
  ASSERT_OK(set_.Set("Tpm", kDenyAll, "deny.policy", kT0));
  EXPECT_EQ(seen, "deny.policy");
}

TEST_F(PolicySetTest, LoadSingleFileIsTheTpmPolicy) {
  const std::string path = Write("anything.txt", kPcrMask);
  ASSERT_OK(set_.Load(path, kT0));
  EXPECT_EQ(set_.Get("Tpm")->source, path);
  EXPECT_EQ(set_.Get("Tpm")->properties.required_pcr_mask, 131);
}

TEST_F(PolicySetTest, LoadDirectoryIsAllOrNothing) {
  Write("Tpm.policy", kPcrMask);
  Write("SgxEnclave.policy", kDenyAll);
  Write("README", "not a policy: ignored");
  ASSERT_OK(set_.Load(dir_, kT0));
  EXPECT_EQ(set_.Get("Tpm")->properties.required_pcr_mask, 131);
  ASSERT_NE(set_.Get("SgxEnclave"), nullptr);
  std::shared_ptr<const ActivePolicy> tpm = set_.Get("Tpm");
  std::shared_ptr<const ActivePolicy> sgx = set_.Get("SgxEnclave");
  const uint64_t generation = set_.generation();

  // One good change and one bad file: nothing changes, the error names the
  // bad file with line and column.
  Write("Tpm.policy", kDenyAll);
  const std::string bad = Write("VbsEnclave.policy", kSyntaxError);
  absl::Status s = set_.Load(dir_, kT0);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          AllOf(HasSubstr("the ones in force stay"),
                                ContainsRegex(bad + ":4:[0-9]+: error:"))));
  EXPECT_EQ(set_.Get("Tpm"), tpm);
  EXPECT_EQ(set_.Get("SgxEnclave"), sgx);
  EXPECT_EQ(set_.Get("VbsEnclave"), nullptr);
  EXPECT_EQ(set_.generation(), generation);

  // Fixed: all of it lands.
  Write("VbsEnclave.policy", kDenyAll);
  ASSERT_OK(set_.Load(dir_, kT0));
  EXPECT_EQ(set_.Get("Tpm")->properties.required_pcr_mask, 0xFFFFFF);
  EXPECT_NE(set_.Get("VbsEnclave"), nullptr);
  EXPECT_GT(set_.generation(), generation);

  // Files removed: their types go back to their defaults.
  std::filesystem::remove(dir_ + "/Tpm.policy");
  std::filesystem::remove(dir_ + "/SgxEnclave.policy");
  ASSERT_OK(set_.Load(dir_, kT0));
  EXPECT_EQ(set_.Get("Tpm")->source, "built-in default");
  EXPECT_EQ(set_.Get("SgxEnclave"), nullptr);
  EXPECT_NE(set_.Get("VbsEnclave"), nullptr);
}

TEST_F(PolicySetTest, ReloadingUnchangedFilesChangesNothing) {
  Write("Tpm.policy", kPcrMask);
  Write("SgxEnclave.policy", kDenyAll);
  ASSERT_OK(set_.Load(dir_, kT0));
  std::vector<std::string> changed;
  set_.OnChange([&](const std::string& type) { changed.push_back(type); });
  const uint64_t generation = set_.generation();
  std::shared_ptr<const ActivePolicy> tpm = set_.Get("Tpm");
  ASSERT_OK(set_.Load(dir_, kT0));
  EXPECT_TRUE(changed.empty());
  EXPECT_EQ(set_.generation(), generation);
  EXPECT_EQ(set_.Get("Tpm"), tpm);
  // One file changed: only its type is re-installed and announced.
  Write("SgxEnclave.policy", std::string(kDenyAll) + "// edited\n");
  ASSERT_OK(set_.Load(dir_, kT0));
  EXPECT_THAT(changed, ::testing::ElementsAre("SgxEnclave"));
  EXPECT_EQ(set_.Get("Tpm"), tpm);
}

TEST_F(PolicySetTest, LoadMissingPathIsNotFound) {
  const std::string missing = dir_ + "/absent";
  EXPECT_THAT(set_.Load(missing, kT0),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(missing)));
  EXPECT_EQ(set_.Get("Tpm")->source, "built-in default");
}

TEST_F(PolicySetTest, ConcurrentGetDuringSetSeesWholePolicies) {
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::atomic<int> torn{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        std::shared_ptr<const ActivePolicy> p = set_.Get("Tpm");
        // A snapshot is consistent: its text, hash and source belong
        // together.
        if (p == nullptr || (p->source == "deny" && p->text != kDenyAll) ||
            (p->source == "mask" && p->properties.required_pcr_mask != 131) ||
            p->hash != policy::PolicyHash(p->text).value_or("")) {
          ++torn;
        }
        ++reads;
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK(set_.Set("Tpm", i % 2 ? kDenyAll : kPcrMask,
                       i % 2 ? "deny" : "mask", kT0));
  }
  // Let the readers overlap at least some of the writes.
  while (reads.load() < 100) std::this_thread::yield();
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(set_.generation(), 200u);
}

// The control plane's managed policies sit over the configuration's
// defaults: a reload of the defaults never disturbs them, and a reset
// returns to whatever the default is then.
TEST_F(PolicySetTest, ManagedPoliciesOverrideDefaultsAcrossReloads) {
  Write("Tpm.policy", kPcrMask);
  ASSERT_OK(set_.Load(dir_, kT0));
  EXPECT_FALSE(set_.IsManaged("Tpm"));
  ASSERT_OK(set_.Set("Tpm", kDenyAll, "store v1", kT0));
  EXPECT_TRUE(set_.IsManaged("Tpm"));
  EXPECT_EQ(set_.Get("Tpm")->text, kDenyAll);
  EXPECT_EQ(set_.Default("Tpm")->text, kPcrMask);

  // New defaults (the file removed): the managed policy stays in force,
  // without a new generation.
  const uint64_t before = set_.generation();
  std::filesystem::remove(dir_ + "/Tpm.policy");
  Write("VbsEnclave.policy", kDenyAll);
  ASSERT_OK(set_.Load(dir_, kT0));
  EXPECT_EQ(set_.Get("Tpm")->text, kDenyAll);
  EXPECT_EQ(set_.Get("Tpm")->source, "store v1");
  EXPECT_EQ(set_.Default("Tpm")->text, kDefaultTpmPolicy);
  EXPECT_EQ(set_.Get("VbsEnclave")->text, kDenyAll);
  EXPECT_EQ(set_.generation(), before + 1);  // for VbsEnclave only

  // Reset: back to the default in force now (the built-in one).
  set_.Reset("Tpm", kT0);
  EXPECT_FALSE(set_.IsManaged("Tpm"));
  EXPECT_EQ(set_.Get("Tpm")->text, kDefaultTpmPolicy);
  // A reset without a managed policy changes nothing.
  const uint64_t after = set_.generation();
  set_.Reset("Tpm", kT0);
  EXPECT_EQ(set_.generation(), after);
}

TEST_F(PolicySetTest, CompileChecksWithoutPuttingInForce) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const ActivePolicy> p,
                       set_.Compile("Tpm", kDenyAll, "candidate", kT0));
  EXPECT_EQ(p->text, kDenyAll);
  EXPECT_EQ(set_.Get("Tpm")->text, kDefaultTpmPolicy);
  EXPECT_THAT(
      set_.Compile("Tpm", kSyntaxError, "bad.policy", kT0),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad.policy:4:")));
}

}  // namespace
}  // namespace vigil::service
