#include "common/status_macros.h"

#include <memory>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace vigil {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

absl::Status Fail() { return absl::InvalidArgumentError("boom"); }
absl::StatusOr<int> Value(bool ok) {
  if (!ok) return absl::NotFoundError("missing");
  return 7;
}

absl::Status UsesReturnIfError(bool fail, int* reached) {
  if (fail) RETURN_IF_ERROR(Fail());  // unbraced if: the else blocker matters
  *reached = 1;
  return absl::OkStatus();
}

absl::StatusOr<int> UsesAssignOrReturn(bool ok) {
  ASSIGN_OR_RETURN(int v, Value(ok));
  ASSIGN_OR_RETURN(auto p, absl::StatusOr<std::unique_ptr<int>>(
                               std::make_unique<int>(v + 1)));
  return *p;
}

TEST(StatusMacros, ReturnIfErrorReturnsTheError) {
  int reached = 0;
  EXPECT_THAT(UsesReturnIfError(true, &reached),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("boom")));
  EXPECT_EQ(reached, 0);
  EXPECT_OK(UsesReturnIfError(false, &reached));
  EXPECT_EQ(reached, 1);
}

TEST(StatusMacros, AssignOrReturnMovesValueOrPropagates) {
  ASSERT_OK_AND_ASSIGN(int v, UsesAssignOrReturn(true));
  EXPECT_EQ(v, 8);
  EXPECT_THAT(UsesAssignOrReturn(false),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
}

TEST(StatusMacros, AnnotateKeepsCodeAndPrefixesMessage) {
  absl::Status s = internal::Annotate(absl::UnauthenticatedError("pcr[7] mismatch"),
                                      "replay pcr bank sha256");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnauthenticated,
                          ::testing::Eq("replay pcr bank sha256: pcr[7] mismatch")));
  EXPECT_OK(internal::Annotate(absl::OkStatus(), "x"));
}

}  // namespace
}  // namespace vigil
