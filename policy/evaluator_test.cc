// Semantics of maa-spec.md §1.9 and issue #3 §1, one behaviour per test.

#include "policy/evaluator.h"

#include <string>
#include <thread>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/compiler.h"

namespace vigil::policy {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;
using Json = jmespath::Json;

CompiledPolicy MustCompile(const std::string& text, Mode mode = Mode::kStrict) {
  CompileOptions options{
      .mode = mode, .source_name = "p", .form = CompileOptions::Form::kAuto};
  CompileResult r = Compile(text, options);
  EXPECT_TRUE(r.ok()) << r.FormatIssues();
  if (!r.ok()) std::abort();
  return r.policy();
}

// A 1.2 policy permitting everything with the given issuance rules.
CompiledPolicy Issuance(const std::string& rules) {
  return MustCompile(
      "version=1.2; authorizationrules{=> permit();}; issuancerules{" + rules +
      "};");
}

EvaluationResult MustEvaluate(const CompiledPolicy& p, const ClaimSet& claims) {
  absl::StatusOr<EvaluationResult> r = Evaluate(p, claims);
  EXPECT_THAT(r, IsOk());
  if (!r.ok()) std::abort();
  return *std::move(r);
}

Json Issued(const EvaluationResult& r) { return r.ToJson()["issued"]; }

Json One(const std::string& type, Json value) {
  return Json::array({Json{{"type", type}, {"value", std::move(value)}}});
}

// ----- what a policy may read -----

TEST(MayReadClaimType, NamesTheTypesItsConditionsTestAndAnyWhenOneTestsNone) {
  CompiledPolicy literal = MustCompile(
      "version=1.2; authorizationrules{c:[type==\"secureBootEnabled\"] => "
      "permit();}; issuancerules{c:[type==\"events\", issuer==\"x\"] => "
      "issue(claim=c);};");
  EXPECT_TRUE(literal.MayReadClaimType("secureBootEnabled"));
  EXPECT_TRUE(literal.MayReadClaimType("events"));
  EXPECT_FALSE(literal.MayReadClaimType("Events"));  // types match exactly
  EXPECT_FALSE(literal.MayReadClaimType("pcrs"));

  // Added claims are read through conditions too; `add` alone reads none.
  CompiledPolicy adds = MustCompile(
      "version=1.2; authorizationrules{=> permit();}; issuancerules{"
      "=> add(type=\"events\", value=1); c:[type==\"aikValidated\"] => "
      "issue(claim=c);};");
  EXPECT_FALSE(adds.MayReadClaimType("events"));
  EXPECT_TRUE(adds.MayReadClaimType("aikValidated"));

  // No literal type test: may match a claim of any type.
  for (const char* condition :
       {"c:[issuer==\"AttestationService\"]", "c:[type!=\"x\"]",
        "![value==true]"}) {
    SCOPED_TRACE(condition);
    CompiledPolicy any = MustCompile(
        std::string("version=1.2; authorizationrules{") + condition +
        " => permit();};");
    EXPECT_TRUE(any.MayReadClaimType("events"));
  }
  EXPECT_FALSE(
      MustCompile("version=1.0; authorizationrules{=> permit();};")
          .MayReadClaimType("events"));
}

// ----- authorization -----

TEST(Evaluate, PermitsWhenSomePermitFiredAndNoDeny) {
  CompiledPolicy p = MustCompile(
      "version=1.0; authorizationrules{[type==\"ok\", value==true] => "
      "permit();};");
  ClaimSet yes;
  yes.Add("ok", Value::Bool(true));
  EXPECT_TRUE(MustEvaluate(p, yes).permitted);
  EXPECT_FALSE(MustEvaluate(p, ClaimSet()).permitted);
}

TEST(Evaluate, DenyWinsOverPermitAndIsNamedInTheReason) {
  CompiledPolicy p = MustCompile(
      "version=1.0; authorizationrules{\n=> permit();\n[type==\"debug\"] => "
      "deny();\n};");
  ClaimSet claims;
  claims.Add("debug", Value::Bool(true));
  EvaluationResult r = MustEvaluate(p, claims);
  EXPECT_FALSE(r.permitted);
  EXPECT_EQ(r.reason, "deny() at 3:1 fired");
  EXPECT_EQ(r.deciding_rule.ToString(), "3:1");
}

TEST(Evaluate, NoPermitMeansDenied) {
  CompiledPolicy p = MustCompile("version=1.0; authorizationrules{};");
  EvaluationResult r = MustEvaluate(p, ClaimSet());
  EXPECT_FALSE(r.permitted);
  EXPECT_EQ(r.reason, "no permit() fired");
  EXPECT_EQ(r.ToJson()["trace"].back()["decision"], "deny");
}

TEST(Evaluate, IssuanceDoesNotRunWhenDenied) {
  CompiledPolicy p = MustCompile(
      "version=1.0; authorizationrules{=> deny();}; issuancerules{=> "
      "issue(type=\"a\", value=1);};");
  EvaluationResult r = MustEvaluate(p, ClaimSet());
  EXPECT_TRUE(r.issued.empty());
  ASSERT_EQ(r.trace.size(), 2u);
  EXPECT_EQ(r.trace[1].outcome, RuleTrace::Outcome::kNotRun);
}

TEST(Evaluate, ClaimsAddedInAuthorizationAreVisibleToIssuance) {
  CompiledPolicy p = MustCompile(
      "version=1.0; authorizationrules{=> add(type=\"x\", value=5); => "
      "permit();};"
      "issuancerules{c:[type==\"x\", issuer==\"AttestationPolicy\"] => "
      "issue(claim=c);};");
  EXPECT_EQ(Issued(MustEvaluate(p, ClaimSet())), One("x", 5));
}

// ----- rule order and visibility -----

TEST(Evaluate, LaterRulesSeeEarlierClaimsButNotTheReverse) {
  CompiledPolicy p = Issuance(
      "[type==\"b\"] => issue(type=\"sawB\", value=true);"
      "=> add(type=\"b\", value=1);"
      "[type==\"b\"] => issue(type=\"sawBLater\", value=true);");
  Json issued = Issued(MustEvaluate(p, ClaimSet()));
  EXPECT_EQ(issued, One("sawBLater", true));
}

TEST(Evaluate, AbsenceConditionActsAsElse) {
  CompiledPolicy p = Issuance(
      "c:[type==\"in\"] => issue(type=\"out\", value=c.value);"
      "![type==\"out\", issuer==\"AttestationPolicy\"] => issue(type=\"out\", "
      "value=false);");
  ClaimSet with;
  with.Add("in", Value::Bool(true));
  EXPECT_EQ(Issued(MustEvaluate(p, with)), One("out", true));
  EXPECT_EQ(Issued(MustEvaluate(p, ClaimSet())), One("out", false));
}

// ----- conditions -----

TEST(Evaluate, TypeMismatchIsNoMatchNotError) {
  CompiledPolicy p = Issuance(
      "[type==\"a\", value==true] => issue(type=\"eqTrue\", value=1);"
      "[type==\"a\", value!=true] => issue(type=\"neTrue\", value=1);"
      "[type==\"a\", value>1] => issue(type=\"gt\", value=1);");
  ClaimSet claims;
  claims.Add("a", Value::String("true"));
  EvaluationResult r = MustEvaluate(p, claims);
  EXPECT_TRUE(r.issued.empty());
}

TEST(Evaluate, IntegerComparisonsUseAllSixOperators) {
  CompiledPolicy p = Issuance(
      "[type==\"n\", value==5] => issue(type=\"eq\", value=true);"
      "[type==\"n\", value!=4] => issue(type=\"ne\", value=true);"
      "[type==\"n\", value<6] => issue(type=\"lt\", value=true);"
      "[type==\"n\", value<=5] => issue(type=\"le\", value=true);"
      "[type==\"n\", value>4] => issue(type=\"gt\", value=true);"
      "[type==\"n\", value>=5] => issue(type=\"ge\", value=true);"
      "[type==\"n\", value>5] => issue(type=\"never\", value=true);");
  ClaimSet claims;
  claims.Add("n", Value::Int(5));
  EXPECT_EQ(MustEvaluate(p, claims).issued.size(), 6u);
}

TEST(Evaluate, IssuerConditionFiltersClaims) {
  CompiledPolicy p = Issuance(
      "c:[type==\"x\", issuer==\"CustomClaim\"] => issue(type=\"custom\", "
      "value=c.value);"
      "c:[type==\"x\", issuer!=\"CustomClaim\"] => issue(type=\"service\", "
      "value=c.value);");
  ClaimSet claims;
  claims.Add("x", Value::Int(1));
  claims.Add("x", Value::Int(2), kIssuerCustomClaim);
  Json issued = Issued(MustEvaluate(p, claims));
  EXPECT_EQ(issued[0], (Json{{"type", "custom"}, {"value", 2}}));
  EXPECT_EQ(issued[1], (Json{{"type", "service"}, {"value", 1}}));
}

TEST(Evaluate, ValueTypeConditionTestsTheValueKind) {
  CompiledPolicy p = Issuance(
      "c:[valueType==\"Integer\"] => issue(type=\"int\", value=c.type);");
  ClaimSet claims;
  claims.Add("a", Value::Int(1));
  claims.Add("b", Value::String("1"));
  EXPECT_EQ(Issued(MustEvaluate(p, claims)), One("int", "a"));
}

TEST(Evaluate, RuleFiresOncePerBindingOfIdentifiedConditions) {
  CompiledPolicy p = Issuance(
      "c1:[type==\"a\"] && c2:[type==\"b\"] => issue(type=\"pair\", "
      "value=AppendString(c1.value, c2.value));");
  ClaimSet claims;
  claims.Add("a", Value::String("1"));
  claims.Add("a", Value::String("2"));
  claims.Add("b", Value::String("x"));
  claims.Add("b", Value::String("y"));
  EvaluationResult r = MustEvaluate(p, claims);
  EXPECT_EQ(Issued(r)[0]["value"], Json::array({"1x", "1y", "2x", "2y"}));
  ASSERT_EQ(r.trace.back().firings.size(), 4u);
  EXPECT_EQ(r.trace.back().firings[3][0].identifier, "c1");
}

TEST(Evaluate, AnonymousConditionDoesNotMultiplyFirings) {
  CompiledPolicy p = Issuance(
      "[type==\"a\"] => add(type=\"n\", value=1);"
      "c:[type==\"n\"] => issue(type=\"count\", value=c.value);");
  ClaimSet claims;
  claims.Add("a", Value::Int(1));
  claims.Add("a", Value::Int(2));
  EvaluationResult r = MustEvaluate(p, claims);
  EXPECT_EQ(r.trace[0].firings.size(), 1u);
}

TEST(Evaluate, CrossReferenceJoinsOnValue) {
  CompiledPolicy p = MustCompile(
      "F1:[type==\"OSName\", issuer==\"CustomClaim\"] && "
      "C2:[type==\"OSName\", issuer==\"AttestationService\", value==F1.value] "
      "=> issue(claim=C2);");
  ClaimSet claims;
  claims.Add("OSName", Value::String("Windows"), kIssuerCustomClaim);
  claims.Add("OSName", Value::String("Linux"));
  claims.Add("OSName", Value::String("Windows"));
  EXPECT_EQ(Issued(MustEvaluate(p, claims)), One("OSName", "Windows"));
}

TEST(Evaluate, FunctionCallInConditionIsEvaluatedPerBinding) {
  CompiledPolicy p = MustCompile(
      "c:[type==\"pcrs\"] && c1:[type==\"expected\", "
      "value==JsonToClaimValue(JmesPath(c.value, \"PCRs[0].d\"))] => "
      "issue(claim=c1);");
  ClaimSet claims;
  claims.Add("pcrs", Value::String(R"({"PCRs":[{"d":"abc"}]})"));
  claims.Add("expected", Value::String("zzz"));
  claims.Add("expected", Value::String("abc"));
  EXPECT_EQ(Issued(MustEvaluate(p, claims)), One("expected", "abc"));
}

// ----- actions -----

TEST(Evaluate, IssueClaimFormCopiesTypeAndValue) {
  CompiledPolicy p =
      Issuance("c:[type==\"secureBootEnabled\"] => issue(claim=c);");
  ClaimSet claims;
  claims.Add("secureBootEnabled", Value::Bool(true));
  EXPECT_EQ(Issued(MustEvaluate(p, claims)), One("secureBootEnabled", true));
}

TEST(Evaluate, PolicyClaimsHaveIssuerAttestationPolicy) {
  CompiledPolicy p = Issuance(
      "=> add(type=\"x\", value=1);"
      "c:[type==\"x\", issuer==\"AttestationPolicy\"] => issue(type=\"seen\", "
      "value=true);");
  EXPECT_EQ(Issued(MustEvaluate(p, ClaimSet())), One("seen", true));
}

TEST(Evaluate, AddingAnEmptyClaimIsANoOp) {
  CompiledPolicy p = Issuance(
      "=> add(type=\"e\", value=JsonToClaimValue(\"null\"));"
      "=> add(type=\"s\", value=JsonToClaimValue(\"[]\"));"
      "[type==\"e\"] => issue(type=\"sawE\", value=true);"
      "[type==\"s\"] => issue(type=\"sawS\", value=true);"
      "=> issue(type=\"n\", value=JsonToClaimValue(\"null\"));");
  EXPECT_TRUE(MustEvaluate(p, ClaimSet()).issued.empty());
}

TEST(Evaluate, SameTypeIssuedWithDifferentValuesBecomesArray) {
  CompiledPolicy p = Issuance(
      "=> issue(type=\"t\", value=1); => issue(type=\"t\", value=\"two\");"
      "=> issue(type=\"u\", value=true);");
  Json issued = Issued(MustEvaluate(p, ClaimSet()));
  EXPECT_EQ(issued[0],
            (Json{{"type", "t"}, {"value", Json::array({1, "two"})}}));
  EXPECT_EQ(issued[1], (Json{{"type", "u"}, {"value", true}}));
}

TEST(Evaluate, IssuingASetGivesAnArrayAndRepeatedValuesAppearOnce) {
  CompiledPolicy p = Issuance(
      "=> issue(type=\"ci\", value=JsonToClaimValue(\"[\\\"a\\\", "
      "\\\"b\\\"]\"));"
      "=> issue(type=\"v\", value=true); => issue(type=\"v\", value=true);");
  Json issued = Issued(MustEvaluate(p, ClaimSet()));
  EXPECT_EQ(issued[0]["value"], Json::array({"a", "b"}));
  EXPECT_EQ(issued[1]["value"], true);
}

TEST(Evaluate, SetMatchesAValueTestWhenAMemberDoes) {
  CompiledPolicy p = Issuance(
      "=> add(type=\"s\", value=JsonToClaimValue(\"[1, 2, 3]\"));"
      "[type==\"s\", value==2] => issue(type=\"has2\", value=true);"
      "[type==\"s\", value==9] => issue(type=\"has9\", value=true);");
  EXPECT_EQ(Issued(MustEvaluate(p, ClaimSet())), One("has2", true));
}

TEST(Evaluate, SetArgumentSeesAllClaimsOfTheSetType) {
  // maa-spec.md §2.3: VSM_REQUIRED and MANDATORY_ENFORCEMENT are both added
  // to vsmEnabledSet; vsmEnabled holds only if every member is true.
  CompiledPolicy p = Issuance(
      "=> add(type=\"set\", value=JsonToClaimValue(\"[true]\"));"
      "=> add(type=\"set\", value=JsonToClaimValue(\"[false]\"));"
      "c:[type==\"set\"] => issue(type=\"all\", "
      "value=ContainsOnlyValue(c.value, true));");
  EXPECT_EQ(Issued(MustEvaluate(p, ClaimSet())), One("all", false));
}

TEST(Evaluate, IssuePropertySetsKnownPropertiesAndKeepsDefaults) {
  CompiledPolicy p = MustCompile(
      "version=1.1; configurationrules{"
      "=> issueproperty(type=\"required_pcr_mask\", value=15);"
      "=> issueproperty(type=\"require_valid_aik_cert\", value=false);};"
      "authorizationrules{=> permit();};"
      "issuancerules{=> issueproperty(type=\"report_validity_in_minutes\", "
      "value=60);"
      "=> issueproperty(type=\"x-ms-sgx-tcbidentifier\", value=\"10\");};");
  EvaluationResult r = MustEvaluate(p, ClaimSet());
  EXPECT_EQ(r.properties.required_pcr_mask, 15);
  EXPECT_FALSE(r.properties.require_valid_aik_cert);
  EXPECT_EQ(r.properties.report_validity_in_minutes, 60);
  EXPECT_FALSE(r.properties.omit_x5c);
  Json props = r.ToJson()["properties"];
  ASSERT_EQ(props.size(), 5u);
  EXPECT_EQ(props[3],
            (Json{{"type", "omit_x5c"}, {"value", false}, {"default", true}}));
  EXPECT_EQ(props[4]["type"], "x-ms-sgx-tcbidentifier");
  EXPECT_TRUE(r.issued.empty());
}

TEST(Evaluate, PropertyDefaultsAreTheDocumentedOnes) {
  EvaluationResult r = MustEvaluate(
      MustCompile("version=1.0; authorizationrules{};"), ClaimSet());
  EXPECT_TRUE(r.properties.require_valid_aik_cert);
  EXPECT_EQ(r.properties.required_pcr_mask, 0xFFFFFF);
  EXPECT_EQ(r.properties.report_validity_in_minutes, 1440);
  EXPECT_FALSE(r.properties.omit_x5c);
}

TEST(Evaluate, ComputedPropertyOfWrongKindIsEvaluationError) {
  CompiledPolicy p = Issuance(
      "c:[type==\"m\"] => issueproperty(type=\"required_pcr_mask\", "
      "value=c.value);");
  ClaimSet claims;
  claims.Add("m", Value::String("15"));
  EXPECT_THAT(Evaluate(p, claims),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("required_pcr_mask must be an Integer")));
}

TEST(Evaluate, ValueTypeArgumentIsEnforcedAtRunTime) {
  CompiledPolicy p = Issuance(
      "c:[type==\"m\"] => issue(type=\"n\", value=c.value, "
      "valueType=\"Integer\");");
  ClaimSet claims;
  claims.Add("m", Value::String("15"));
  EXPECT_THAT(Evaluate(p, claims),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not of valueType Integer")));
}

TEST(Evaluate, IssueOfReadOnlyClaimFailsButCopyingItsValueWorks) {
  ClaimSet claims;
  claims.Add("pcrs", Value::String("{}").set_read_only(true));
  EXPECT_THAT(
      Evaluate(Issuance("c:[type==\"pcrs\"] => issue(claim=c);"), claims),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("read-only")));
  EXPECT_THAT(
      Evaluate(
          Issuance("c:[type==\"pcrs\"] => issue(type=\"out\", value=c.value);"),
          claims),
      IsOk());
}

TEST(Evaluate, ReadOnlyPropagatesThroughJmesPathIntoAddedClaims) {
  ClaimSet claims;
  claims.Add("pcrs", Value::String(R"({"a":1})").set_read_only(true));
  CompiledPolicy p = Issuance(
      "c:[type==\"pcrs\"] => add(type=\"q\", value=JmesPath(c.value, \"a\"));"
      "c:[type==\"q\"] => issue(claim=c);");
  EXPECT_THAT(Evaluate(p, claims), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("'q' is read-only")));
}

// ----- functions in rules -----

TEST(Evaluate, JmesPathReturnsJsonTextAndMissIsNullString) {
  CompiledPolicy p = Issuance(
      "c:[type==\"j\"] => issue(type=\"foo\", value=JmesPath(c.value, "
      "\"foo\"));"
      "c:[type==\"j\"] => add(type=\"miss\", value=JmesPath(c.value, "
      "\"nope\"));"
      "[type==\"miss\", value==\"null\"] => issue(type=\"missIsNull\", "
      "value=true);"
      "c:[type==\"j\"] => issue(type=\"big\", value=JmesPath(c.value, "
      "\"big\"));");
  ClaimSet claims;
  claims.Add("j",
             Value::String(R"({"foo": "bar", "big": 9223372036854775808})"));
  Json issued = Issued(MustEvaluate(p, claims));
  EXPECT_EQ(issued[0]["value"], "\"bar\"");
  EXPECT_EQ(issued[1]["value"], true);
  EXPECT_EQ(issued[2]["value"], "9223372036854775808");
}

TEST(Evaluate, QueriesBuiltWithAppendStringRun) {
  CompiledPolicy p = Issuance(
      "c:[type==\"e\"] => add(type=\"seq\", value=JmesPath(c.value, "
      "\"Events[?T=='S'] | @[0].Seq\"));"
      "c:[type==\"seq\", value!=\"null\"] => add(type=\"q\", "
      "value=AppendString(AppendString("
      "\"Events[? Seq < `\", c.value), \"`] | length(@)\"));"
      "c1:[type==\"q\"] && c2:[type==\"e\"] => issue(type=\"before\", "
      "value=JsonToClaimValue(JmesPath(c2.value, c1.value)));");
  ClaimSet claims;
  claims.Add(
      "e",
      Value::String(
          R"({"Events":[{"Seq":1,"T":"A"},{"Seq":2,"T":"A"},{"Seq":3,"T":"S"}]})"));
  EXPECT_EQ(Issued(MustEvaluate(p, claims)), One("before", 2));
}

// Issues `below`: how many elements of j's array `a` are below n, with a
// query built at run time from n.
CompiledPolicy CountBelowPolicy() {
  return Issuance(
      "c:[type==\"n\"] => add(type=\"q\", value=AppendString(AppendString("
      "\"a[?@ < `\", c.value), \"`] | length(@)\"));"
      "c1:[type==\"q\"] && c2:[type==\"j\"] => issue(type=\"below\", "
      "value=JsonToClaimValue(JmesPath(c2.value, c1.value)));");
}

absl::StatusOr<EvaluationResult> CountBelow(const CompiledPolicy& p,
                                            const std::string& n,
                                            const std::string& json) {
  ClaimSet claims;
  claims.Add("n", Value::String(n));
  claims.Add("j", Value::String(json));
  return Evaluate(p, claims);
}

// The run-time query is compiled once per policy and reused by later
// evaluations: each must still get its own evidence's answer, and a query
// that failed to compile fails again.
TEST(Evaluate, RunTimeQueriesAreReusedAcrossEvaluations) {
  CompiledPolicy p = CountBelowPolicy();
  for (int round = 0; round < 2; ++round) {
    absl::StatusOr<EvaluationResult> three =
        CountBelow(p, "3", R"({"a":[1,2,3,4]})");
    ASSERT_THAT(three, IsOk());
    EXPECT_EQ(Issued(*three), One("below", 2));
    absl::StatusOr<EvaluationResult> three_other =
        CountBelow(p, "3", R"({"a":[0,1,2,5]})");
    ASSERT_THAT(three_other, IsOk());
    EXPECT_EQ(Issued(*three_other), One("below", 3));
    absl::StatusOr<EvaluationResult> five =
        CountBelow(p, "5", R"({"a":[1,2,3,4]})");
    ASSERT_THAT(five, IsOk());
    EXPECT_EQ(Issued(*five), One("below", 4));
    EXPECT_THAT(CountBelow(p, "\"", R"({"a":[]})"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("does not compile: syntax error")));
  }
}

TEST(Evaluate, ConcurrentEvaluationsWithDifferentRunTimeQueriesAgree) {
  CompiledPolicy p = CountBelowPolicy();
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const int n = (i + t) % 300;  // more queries than the cache keeps
        absl::StatusOr<EvaluationResult> r =
            CountBelow(p, std::to_string(n), R"({"a":[0,10,100,1000]})");
        const int want = n > 100 ? 3 : n > 10 ? 2 : n > 0 ? 1 : 0;
        if (r.ok() && r->issued.size() == 1 && r->issued[0].value == want) {
          ++ok[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int n : ok) EXPECT_EQ(n, 300);
}

TEST(Evaluate, FunctionErrorStopsEvaluationNamingRuleAndCall) {
  CompiledPolicy p = Issuance(
      "\nc:[type==\"j\"] => add(type=\"x\", value=JsonToClaimValue(c.value));");
  ClaimSet claims;
  claims.Add("j", Value::String(R"({"an":"object"})"));
  EXPECT_THAT(
      Evaluate(p, claims),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr("p:2:1: issuancerules rule failed: JsonToClaimValue() at "
                    "2:38: a JSON object cannot be a claim value")));
}

TEST(Evaluate, DynamicQuerySyntaxErrorIsEvaluationError) {
  CompiledPolicy p = Issuance(
      "c:[type==\"j\"] => add(type=\"x\", value=JmesPath(c.value, "
      "AppendString(\"a ==\", \" 20\")));");
  ClaimSet claims;
  claims.Add("j", Value::String("{}"));
  EXPECT_THAT(
      Evaluate(p, claims),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr(
                   "JmesPath() at 1:99: argument 2: query \"a == 20\" does not "
                   "compile: syntax error")));
}

TEST(Evaluate, LiteralQueryThatDoesNotCompileFailsWhenRun) {
  CompileResult r = CompileRuleList(
      "c:[type==\"e\"] => add(type=\"x\", value=JmesPath(c.value, "
      "\"\\[\\*\\].a\"));");
  ASSERT_TRUE(r.ok());
  ClaimSet none;
  EXPECT_THAT(Evaluate(r.policy(), none), IsOk());  // the rule does not fire
  ClaimSet claims;
  claims.Add("e", Value::String("[]"));
  EXPECT_THAT(Evaluate(r.policy(), claims),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("query does not compile")));
}

TEST(Evaluate, InvalidJsonArgumentIsEvaluationError) {
  CompiledPolicy p = Issuance(
      "c:[type==\"j\"] => add(type=\"x\", value=JmesPath(c.value, \"a\"));");
  ClaimSet claims;
  claims.Add("j", Value::String("{not json"));
  EXPECT_THAT(Evaluate(p, claims),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("argument 1 is not valid JSON")));
}

TEST(Evaluate, JsonDocumentClaimIsUsedWithoutReparsing) {
  // The attached document wins over the text: proves JmesPath() used it.
  ClaimSet claims;
  claims.Add("e",
             Value::JsonText(std::make_shared<const std::string>("not json"),
                             std::make_shared<const Json>(Json{{"a", 7}})));
  CompiledPolicy p = Issuance(
      "c:[type==\"e\"] => issue(type=\"a\", "
      "value=JsonToClaimValue(JmesPath(c.value, \"a\")));");
  EXPECT_EQ(Issued(MustEvaluate(p, claims)), One("a", 7));
}

TEST(Evaluate, BindingLimitIsEnforced) {
  CompiledPolicy p = Issuance(
      "a:[type==\"x\"] && b:[type==\"x\"] && c:[type==\"x\"] => "
      "add(type=\"y\", value=1);");
  ClaimSet claims;
  for (int i = 0; i < 30; ++i) claims.Add("x", Value::Int(i));
  EvaluateOptions options;
  options.max_bindings = 1000;
  EXPECT_THAT(
      Evaluate(p, claims, options),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("bindings")));
}

// ----- explain -----

TEST(Explain, NamesFirstUnmatchedConditionOfAuthorizationRule) {
  CompiledPolicy p = MustCompile(
      "version=1.0;\nauthorizationrules {\n"
      "  [type==\"aikValidated\", value==true] &&\n  "
      "[type==\"secureBootEnabled\", value==true] => permit();\n};");
  ClaimSet claims;
  claims.Add("aikValidated", Value::Bool(true));
  claims.Add("secureBootEnabled", Value::Bool(false));
  EvaluationResult r = MustEvaluate(p, claims);
  ASSERT_EQ(r.trace.size(), 1u);
  EXPECT_EQ(r.trace[0].outcome, RuleTrace::Outcome::kNotFired);
  EXPECT_EQ(r.trace[0].unmatched_condition, 1);
  EXPECT_EQ(r.trace[0].unmatched_location.ToString(), "4:3");
  Json j = r.ToJson();
  EXPECT_EQ(j["trace"][0]["unmatched"]["text"],
            "[type == \"secureBootEnabled\", value == true]");
  EXPECT_EQ(j["trace"][1]["decision"], "deny");
  EXPECT_EQ(j["trace"][1]["reason"], "no permit() fired");
}

TEST(Explain, AbsenceConditionFailureSaysTheClaimIsPresent) {
  CompiledPolicy p = MustCompile(
      "version=1.2; authorizationrules{![type==\"debug\"] => permit();};");
  ClaimSet claims;
  claims.Add("debug", Value::Bool(true));
  EvaluationResult r = MustEvaluate(p, claims);
  EXPECT_TRUE(r.trace[0].unmatched_is_absence);
  EXPECT_THAT(r.ToJson()["trace"][0]["unmatched"]["reason"].get<std::string>(),
              HasSubstr("present"));
}

TEST(Explain, JsonShowsBindingsAndShortensLongValues) {
  CompiledPolicy p =
      Issuance("c:[type==\"events\"] => add(type=\"x\", value=1);");
  ClaimSet claims;
  claims.Add("events", Value::String(std::string(1000, 'a')));
  Json j = MustEvaluate(p, claims).ToJson();
  ASSERT_EQ(j["trace"].size(), 3u);
  Json bound = j["trace"][1]["bindings"][0]["c"];
  EXPECT_EQ(bound["type"], "events");
  EXPECT_EQ(bound["issuer"], "AttestationService");
  EXPECT_EQ(bound["valueLength"], 1000);
  EXPECT_LT(bound["value"].get<std::string>().size(), 300u);
  EXPECT_EQ(j["trace"][1]["fired"], 1);
  EXPECT_EQ(j["trace"][1]["rule"], "1:62");
}

TEST(Explain, ResultJsonHasExactlyTheContractKeys) {
  Json j = MustEvaluate(
               MustCompile("version=1.0; authorizationrules{=> permit();};"),
               ClaimSet())
               .ToJson();
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_THAT(keys, ::testing::ElementsAre("permitted", "issued", "properties",
                                           "trace"));
}

TEST(Explain, TraceCanBeTurnedOff) {
  EvaluateOptions options;
  options.explain = false;
  absl::StatusOr<EvaluationResult> r =
      Evaluate(MustCompile("version=1.0; authorizationrules{=> permit();};"),
               ClaimSet(), options);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->trace.empty());
  EXPECT_TRUE(r->permitted);
}

// ----- rule lists, compat, threads -----

TEST(Evaluate, RuleListRunsAsIssuanceWithImplicitPermit) {
  CompileResult r = CompileRuleList("=> issue(type=\"a\", value=1);");
  ASSERT_TRUE(r.ok());
  EvaluationResult e = MustEvaluate(r.policy(), ClaimSet());
  EXPECT_TRUE(e.permitted);
  EXPECT_EQ(Issued(e), One("a", 1));
}

TEST(Evaluate, CompatIssueInAuthorizationRunsAsAdd) {
  CompiledPolicy p = MustCompile(
      "version=1.2; authorizationrules{=> issue(type=\"k\", value=1);"
      "[type==\"k\"] => permit();}; issuancerules{};",
      Mode::kCompat);
  EvaluationResult r = MustEvaluate(p, ClaimSet());
  EXPECT_TRUE(r.permitted);
  EXPECT_TRUE(r.issued.empty());
}

TEST(Evaluate, ConcurrentEvaluationsOfOnePolicyAgree) {
  CompiledPolicy p = Issuance(
      "c:[type==\"j\"] => issue(type=\"v\", "
      "value=JsonToClaimValue(JmesPath(c.value, \"a\")));");
  ClaimSet claims;
  claims.Add("j", Value::String(R"({"a": 42})"));
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        absl::StatusOr<EvaluationResult> r = Evaluate(p, claims);
        if (r.ok() && r->issued.size() == 1 && r->issued[0].value == 42)
          ++ok[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int n : ok) EXPECT_EQ(n, 200);
}

}  // namespace
}  // namespace vigil::policy
