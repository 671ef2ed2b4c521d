#include "policy/claim.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::policy {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

TEST(ClaimSet, DefaultIssuerIsAttestationServiceAndEmptyValuesAreDropped) {
  ClaimSet set;
  set.Add("a", Value::Int(1));
  set.Add("b", Value());
  set.Add("c", Value::Set({}));
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set.claims()[0].issuer, "AttestationService");
}

TEST(ParseClaimsJson, ReadsScalarsIssuersAndSets) {
  absl::StatusOr<ClaimSet> set = ParseClaimsJson(R"([
    {"type": "a", "value": true},
    {"type": "b", "value": 5, "issuer": "CustomClaim"},
    {"type": "c", "value": ["x", 1]}])");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 3u);
  EXPECT_EQ(set->claims()[1].issuer, "CustomClaim");
  EXPECT_EQ(set->claims()[2].value.kind(), Value::Kind::kSet);
}

TEST(ParseClaimsJson, SerialisesJsonValuedEvidenceClaimsAndKeepsTheDocument) {
  absl::StatusOr<ClaimSet> set = ParseClaimsJson(
      R"([{"type": "events", "value": {"Events": [{"A": 9223372036854775808}]}},
          {"type": "pcrs", "value": "{\"PCRs\":[]}"}])");
  ASSERT_TRUE(set.ok()) << set.status();
  const Value& events = set->claims()[0].value;
  EXPECT_EQ(events.string_value(), R"({"Events":[{"A":9223372036854775808}]})");
  EXPECT_NE(events.json(), nullptr);
  EXPECT_FALSE(events.read_only());
  EXPECT_TRUE(set->claims()[1].value.read_only());  // pcrs
}

TEST(ParseClaimsJson, NamesTheBadElementAndField) {
  EXPECT_THAT(ParseClaimsJson(R"([{"type":"a","value":1},{"type":"b","value":1.5}])"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("claims[1].value: got a number with a fraction")));
  EXPECT_THAT(ParseClaimsJson(R"([{"value":1}])"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("claims[0].type")));
  EXPECT_THAT(ParseClaimsJson(R"([{"type":"a","value":{}}])"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("claims[0].value")));
  EXPECT_THAT(ParseClaimsJson(R"({})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("JSON array")));
  EXPECT_THAT(ParseClaimsJson(R"([{"type":"a","value":1,"extra":2}])"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown field")));
}

TEST(Value, EqualityIsKindSensitive) {
  EXPECT_FALSE(Value::Bool(true) == Value::Int(1));
  EXPECT_FALSE(Value::String("1") == Value::Int(1));
  EXPECT_TRUE(Value::Set({Value::Int(1), Value::Int(2)}) ==
              Value::Set({Value::Int(2), Value::Int(1)}));
}

}  // namespace
}  // namespace vigil::policy
