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
  EXPECT_THAT(
      ParseClaimsJson(R"([{"type":"a","value":1},{"type":"b","value":1.5}])"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("claims[1].value: got a number with a fraction")));
  EXPECT_THAT(ParseClaimsJson(R"([{"value":1}])"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("claims[0].type")));
  EXPECT_THAT(ParseClaimsJson(R"([{"type":"a","value":{}}])"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("claims[0].value")));
  EXPECT_THAT(
      ParseClaimsJson(R"({})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("JSON array")));
  EXPECT_THAT(
      ParseClaimsJson(R"([{"type":"a","value":1,"extra":2}])"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown field")));
}

TEST(WriteClaimsJson, RoundTripsThroughParseClaimsJson) {
  ClaimSet set;
  set.Add("secureBootEnabled", Value::Bool(true));
  set.Add("bootCount", Value::Int(INT64_MIN));
  set.Add("aikPubHash", Value::String("q\"uo\\te\n"));
  set.Add("x-ms-sgx-svn", Value::Int(2), kIssuerCustomClaim);
  set.Add("apps",
          Value::Set({Value::String("a"), Value::Int(1), Value::Bool(false)}));
  jmespath::Json pcrs = {{"PCRs", {{{"Index", 0}, {"Digest", "ab"}}}}};
  set.Add("pcrs", Value::JsonDocument(pcrs).set_read_only(true));
  set.Add("pcrs", Value::String("{\"PCRs\":[]}"));  // not read-only
  set.Add("writable", Value::Bool(false).set_read_only(true));
  set.Add("bootEvents", Value::JsonDocument(jmespath::Json::array({1, 2})));

  const WrittenClaims written = WriteClaimsJson(set);
  EXPECT_TRUE(written.omitted.empty());
  absl::StatusOr<ClaimSet> back = ParseClaimsJson(written.text);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << written.text;
  ASSERT_EQ(back->size(), set.size());
  for (size_t i = 0; i < set.size(); ++i) {
    const Claim& want = set.claims()[i];
    const Claim& got = back->claims()[i];
    SCOPED_TRACE(want.type);
    EXPECT_EQ(got.type, want.type);
    EXPECT_EQ(got.issuer, want.issuer);
    EXPECT_TRUE(got.value == want.value) << got.value.DebugString();
    EXPECT_EQ(got.value.kind(), want.value.kind());
    EXPECT_EQ(got.value.read_only(), want.value.read_only());
  }
  // The evidence document is read back as a document, not as text.
  EXPECT_NE(back->claims()[5].value.json(), nullptr);
  EXPECT_EQ(back->claims()[5].value.string_value(),
            R"({"PCRs":[{"Index":0,"Digest":"ab"}]})");
  // Defaults are not spelled out: pcrs from the service is read-only anyway.
  EXPECT_THAT(written.text, HasSubstr(R"({"type":"pcrs","value":{"PCRs")"));
  EXPECT_THAT(written.text, HasSubstr(R"("readOnly":true,"value":false})"));
  EXPECT_THAT(written.text,
              HasSubstr(R"("readOnly":false,"value":"{\"PCRs\":[]}")"));
}

TEST(WriteClaimsJson, LeavesLazyValuesOutWithoutRenderingThem) {
  int renders = 0;
  ClaimSet set;
  set.Add("tpmVersion", Value::Int(2));
  set.Add("events", Value::LazyJsonDocument([&renders] {
            ++renders;
            return jmespath::Json::object();
          }));
  const WrittenClaims written = WriteClaimsJson(set);
  EXPECT_EQ(renders, 0);
  EXPECT_EQ(written.omitted, std::vector<std::string>{"events"});
  EXPECT_EQ(written.text, R"([{"type":"tpmVersion","value":2}])");
}

// WhenKept::kRender: made only when read, but kept like any document.
TEST(WriteClaimsJson, RendersALazyValueMadeToBeKept) {
  int renders = 0;
  ClaimSet set;
  set.Add("pcrs", Value::LazyJsonDocument(
                      [&renders] {
                        ++renders;
                        return jmespath::Json{
                            {"PCRs", jmespath::Json::array()}};
                      },
                      Value::WhenKept::kRender)
                      .set_read_only(true));
  EXPECT_EQ(renders, 0);
  EXPECT_FALSE(set.claims()[0].value.lazy());
  const WrittenClaims written = WriteClaimsJson(set);
  EXPECT_EQ(renders, 1);
  EXPECT_TRUE(written.omitted.empty());
  EXPECT_EQ(written.text, R"([{"type":"pcrs","value":{"PCRs":[]}}])");
}

TEST(WriteClaimsJson, WritesADocumentTooDeepToNestAsItsText) {
  jmespath::Json deep = jmespath::Json::array();
  for (int i = 1; i < jmespath::kMaxValueDepth; ++i) {
    deep = jmespath::Json::array({std::move(deep)});
  }
  ClaimSet set;
  set.Add("pcrs", Value::JsonDocument(deep));
  ASSERT_EQ(set.size(), 1u);
  const WrittenClaims written = WriteClaimsJson(set);
  absl::StatusOr<ClaimSet> back = ParseClaimsJson(written.text);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ(back->claims()[0].value.string_value(),
            set.claims()[0].value.string_value());
}

TEST(Value, EqualityIsKindSensitive) {
  EXPECT_FALSE(Value::Bool(true) == Value::Int(1));
  EXPECT_FALSE(Value::String("1") == Value::Int(1));
  EXPECT_TRUE(Value::Set({Value::Int(1), Value::Int(2)}) ==
              Value::Set({Value::Int(2), Value::Int(1)}));
}

}  // namespace
}  // namespace vigil::policy
