#include "policy/functions.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::policy {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;
using Json = jmespath::Json;

Value FromText(const char* text) {
  absl::StatusOr<Json> j = jmespath::ParseJson(text);
  EXPECT_TRUE(j.ok());
  absl::StatusOr<Value> v = JsonToValue(*j);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : Value();
}

TEST(JsonToClaimValue, ConvertsScalars) {
  EXPECT_EQ(FromText("100"), Value::Int(100));
  EXPECT_EQ(FromText("true"), Value::Bool(true));
  EXPECT_EQ(FromText("\"abc\""), Value::String("abc"));
  EXPECT_EQ(FromText("-9223372036854775808"), Value::Int(INT64_MIN));
  EXPECT_TRUE(FromText("null").is_empty());
}

TEST(JsonToClaimValue, ArrayBecomesMultiset) {
  Value v = FromText("[1, 1, \"a\", true]");
  ASSERT_EQ(v.kind(), Value::Kind::kSet);
  EXPECT_EQ(v.set_members().size(), 4u);
}

TEST(JsonToClaimValue, RejectsObjectsFractionsNestingAndHugeIntegers) {
  EXPECT_THAT(JsonToValue(Json::parse("{\"a\":1}")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("object")));
  EXPECT_THAT(JsonToValue(Json::parse("1.5")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("fraction")));
  EXPECT_THAT(JsonToValue(Json::parse("[[1]]")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("element 0")));
  EXPECT_THAT(JsonToValue(Json::parse("9223372036854775808")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("64-bit")));
}

TEST(IsSubsetOf, ComparesMembersHeterogeneously) {
  Value sub = Value::Set({Value::Int(1), Value::String("a")});
  Value super = Value::Set({Value::String("a"), Value::Int(1), Value::Bool(true)});
  EXPECT_EQ(*IsSubsetOf(sub, super), Value::Bool(true));
  EXPECT_EQ(*IsSubsetOf(super, sub), Value::Bool(false));
  EXPECT_EQ(*IsSubsetOf(Value::Int(1), super), Value::Bool(true));
  EXPECT_EQ(*IsSubsetOf(Value::Set({Value::String("1")}), Value::Set({Value::Int(1)})),
            Value::Bool(false));
  EXPECT_FALSE(IsSubsetOf(Value::String("x").set_read_only(true), super)->read_only());
}

TEST(AppendString, ConcatenatesAndPropagatesReadOnly) {
  absl::StatusOr<Value> v =
      AppendString(Value::String("ab").set_read_only(true), Value::String(""));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->string_value(), "ab");
  EXPECT_TRUE(v->read_only());
  EXPECT_THAT(AppendString(Value::String("a"), Value::Int(1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("argument 2: got Integer, want String")));
}

TEST(NegateBool, NegatesBooleansOnly) {
  EXPECT_EQ(*NegateBool(Value::Bool(true)), Value::Bool(false));
  EXPECT_TRUE(NegateBool(Value::Bool(true).set_read_only(true))->read_only());
  EXPECT_FALSE(NegateBool(Value::String("true")).ok());
}

TEST(ContainsOnlyValue, NeedsNonEmptySetOfOnlyThatValue) {
  Value trues = Value::Set({Value::Bool(true), Value::Bool(true)});
  EXPECT_EQ(*ContainsOnlyValue(trues, Value::Bool(true)), Value::Bool(true));
  EXPECT_EQ(*ContainsOnlyValue(Value::Set({Value::Bool(true), Value::Bool(false)}),
                               Value::Bool(true)),
            Value::Bool(false));
  EXPECT_EQ(*ContainsOnlyValue(Value::Set({}), Value::Bool(true)), Value::Bool(false));
  EXPECT_EQ(*ContainsOnlyValue(Value::Set({Value::Int(1)}), Value::Bool(true)),
            Value::Bool(false));
  EXPECT_FALSE(ContainsOnlyValue(trues, trues).ok());
}

TEST(FunctionTable, FindsExactNamesAndSuggestsTypos) {
  ASSERT_NE(FindFunction("JmesPath"), nullptr);
  EXPECT_EQ(FindFunction("jmespath"), nullptr);
  EXPECT_EQ(SuggestFunction("NegateBol"), "NegateBool");
  EXPECT_EQ(SuggestFunction("Completely"), "");
  EXPECT_EQ(GetFunctionInfo(Function::kIsSubsetOf).arity, 2);
}

}  // namespace
}  // namespace vigil::policy
