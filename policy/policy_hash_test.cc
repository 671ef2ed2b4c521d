#include "policy/policy_hash.h"

#include "gtest/gtest.h"

namespace vigil::policy {
namespace {

// maa-spec.md §3.5 prints this example as "Z0FRjKS0..." (capital Z); the
// formula it states gives "z0FRjKS0..." (checked independently with Python's
// hashlib and base64.urlsafe_b64encode), so the spec's first letter is a typo.
TEST(PolicyHash, MatchesTheWorkedExampleOfMaaSpec35) {
  absl::StatusOr<std::string> hash = PolicyHash(
      "version=1.0; authorizationrules{=> permit();}; issuancerules{};");
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(*hash, "z0FRjKS0ssQTNur1V6BV8WIrh9M3fzgTo0EfHRvapWU");
  EXPECT_EQ(hash->size(), 43u);  // unpadded
}

TEST(PolicyHash, EveryByteCounts) {
  EXPECT_NE(*PolicyHash("version=1.0; authorizationrules{=> permit();}; issuancerules{};\n"),
            *PolicyHash("version=1.0; authorizationrules{=> permit();}; issuancerules{};"));
}

}  // namespace
}  // namespace vigil::policy
