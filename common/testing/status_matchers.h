// File: common/testing/status_matchers.h
// -----------------------------------------------------------------------------
// gMock matchers for absl::Status and absl::StatusOr<T> (style.md rule 21);
// Debian 12's abseil has no absl/status/status_matchers.h.
//
//   EXPECT_THAT(Parse(bytes), IsOk());
//   EXPECT_THAT(Parse(bad), StatusIs(absl::StatusCode::kInvalidArgument,
//                                    HasSubstr("offset 12")));
//   ASSERT_OK_AND_ASSIGN(EventLog log, Parse(bytes));

#ifndef VIGIL_COMMON_TESTING_STATUS_MATCHERS_H_
#define VIGIL_COMMON_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace internal

MATCHER(IsOk, "is OK") {
  const absl::Status& s = internal::GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "status code " + ::testing::PrintToString(code)) {
  const absl::Status& s = internal::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code &&
         ::testing::Matches(message_matcher)(std::string(s.message()));
}

}  // namespace vigil::testing

#define VIGIL_MATCHERS_CONCAT_INNER_(x, y) x##y
#define VIGIL_MATCHERS_CONCAT_(x, y) VIGIL_MATCHERS_CONCAT_INNER_(x, y)

#define ASSERT_OK(expr) ASSERT_THAT(expr, ::vigil::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT(expr, ::vigil::testing::IsOk())

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr)                                    \
  auto VIGIL_MATCHERS_CONCAT_(statusor_, __LINE__) = (rexpr);               \
  ASSERT_THAT(VIGIL_MATCHERS_CONCAT_(statusor_, __LINE__),                  \
              ::vigil::testing::IsOk());                                    \
  lhs = std::move(VIGIL_MATCHERS_CONCAT_(statusor_, __LINE__)).value()

#endif  // VIGIL_COMMON_TESTING_STATUS_MATCHERS_H_
