#include "common/posix_ids.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

// The running user and group, as the system's databases name them.
TEST(PosixIds, ResolveTheRunningUserAndGroup) {
  const passwd* pw = getpwuid(geteuid());
  ASSERT_NE(pw, nullptr);
  const std::string user = pw->pw_name;
  const gid_t primary = pw->pw_gid;
  ASSERT_OK_AND_ASSIGN(UserIds ids, UserByName(user));
  EXPECT_EQ(ids.uid, geteuid());
  EXPECT_EQ(ids.gid, primary);
  const group* gr = getgrgid(primary);
  ASSERT_NE(gr, nullptr);
  ASSERT_OK_AND_ASSIGN(gid_t gid, GroupId(gr->gr_name));
  EXPECT_EQ(gid, primary);
}

TEST(PosixIds, UnknownNamesAreNotFoundAndNamed) {
  EXPECT_THAT(UserByName("vigil-no-such-user"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("no user \"vigil-no-such-user\"")));
  EXPECT_THAT(GroupId("vigil-no-such-group"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("no group \"vigil-no-such-group\"")));
  EXPECT_THAT(GroupId(""), StatusIs(absl::StatusCode::kNotFound,
                                    HasSubstr("no group \"\"")));
}

}  // namespace
}  // namespace vigil
