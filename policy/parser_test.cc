// Parser and checker behaviour through Compile() (issues as data).

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/compiler.h"

namespace vigil::policy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CompileResult Strict(const std::string& text) {
  return Compile(text, CompileOptions{.mode = Mode::kStrict, .source_name = "p"});
}
CompileResult CompatMode(const std::string& text) {
  return Compile(text, CompileOptions{.mode = Mode::kCompat, .source_name = "p"});
}
CompileResult Rules(const std::string& text, Mode mode = Mode::kStrict) {
  return Compile(text, CompileOptions{.mode = mode,
                                      .source_name = "p",
                                      .form = CompileOptions::Form::kRuleList});
}

TEST(Parser, AcceptsMinimalPolicy) {
  CompileResult r = Strict("version=1.0; authorizationrules{=> permit();}; issuancerules{};");
  ASSERT_TRUE(r.ok()) << r.FormatIssues();
  EXPECT_EQ(r.policy().version_major(), 1);
  EXPECT_EQ(r.policy().version_minor(), 0);
  EXPECT_TRUE(r.issues().empty());
}

TEST(Parser, UnclosedBracketNamesWhereItOpened) {
  CompileResult r = Strict(
      "version=1.0;\nauthorizationrules {\n  c:[type==\"x\", value==true => permit();\n};");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.FormatIssues(),
              HasSubstr("p:3:29: error: expected ']' (to close '[' at 3:5), got '=>'"));
}

TEST(Parser, ReportsSeveralErrorsThanksToRecovery) {
  CompileResult r = Strict(
      "version=1.2;\nauthorizationrules {\n"
      "[type==] => permit();\n"
      "[type==\"a\"] => frobnicate();\n"
      "=> permit();\n};");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.issues().size(), 2u) << r.FormatIssues();
  EXPECT_EQ(r.issues()[0].location().line, 3);
  EXPECT_EQ(r.issues()[1].location().line, 4);
  EXPECT_THAT(r.issues()[1].message(), HasSubstr("expected an action"));
}

TEST(Parser, SingleEqualsInConditionIsErrorInStrictAndWarningInCompat) {
  std::string text = "version=1.0; authorizationrules{[type=\"x\"] => permit();};";
  CompileResult strict = Strict(text);
  EXPECT_FALSE(strict.ok());
  EXPECT_THAT(strict.FormatIssues(), HasSubstr("p:1:38: error: '=' cannot compare"));
  CompileResult compat = CompatMode(text);
  ASSERT_TRUE(compat.ok());
  ASSERT_EQ(compat.issues().size(), 1u);
  EXPECT_EQ(compat.issues()[0].severity(), Issue::Severity::kWarning);
  EXPECT_THAT(compat.policy().Format(), HasSubstr("[type == \"x\"]"));
}

TEST(Parser, MissingSemicolonIsErrorInStrictAndWarningInCompat) {
  std::string text = "version=1.0; authorizationrules{=> permit()\n};";
  EXPECT_THAT(Strict(text).FormatIssues(),
              HasSubstr("p:1:44: error: expected ';' after the rule at 1:33"));
  CompileResult compat = CompatMode(text);
  EXPECT_TRUE(compat.ok()) << compat.FormatIssues();
}

TEST(Parser, MissingSemicolonBeforeUnrelatedTokenIsAlwaysAnError) {
  CompileResult r = CompatMode("version=1.0; authorizationrules{=> permit() 5;};");
  EXPECT_FALSE(r.ok());
}

TEST(Parser, SectionKeywordCaseIsSlip) {
  std::string text = "version=1.0; authorizationrules{=> permit();}; Issuancerules{};";
  EXPECT_FALSE(Strict(text).ok());
  EXPECT_TRUE(CompatMode(text).ok());
}

TEST(Parser, PositionalClaimTypeIsRejectedInBothModes) {
  std::string text =
      "version=1.2; authorizationrules{=> permit();}; issuancerules{"
      "=> issue(\"PlatformAttested\", value=true);};";
  EXPECT_THAT(Strict(text).FormatIssues(), HasSubstr("got string \"PlatformAttested\""));
  EXPECT_FALSE(CompatMode(text).ok());
}

TEST(Parser, PolicyWithoutVersionSuggestsRuleListMode) {
  CompileResult r = Strict("c:[type==\"x\"] => add(type=\"y\", value=1);");
  EXPECT_THAT(r.FormatIssues(), HasSubstr("expected 'version'"));
  EXPECT_THAT(r.FormatIssues(), HasSubstr("rule-list mode"));
}

TEST(Parser, RuleListCompilesAsVersion12IssuanceRules) {
  CompileResult r = Rules("c:[type==\"x\"] => add(type=\"y\", value=JsonToClaimValue(c.value));");
  ASSERT_TRUE(r.ok()) << r.FormatIssues();
  EXPECT_TRUE(r.policy().is_rule_list());
  EXPECT_EQ(r.policy().version_minor(), 2);
}

TEST(Parser, AutoFormPicksPolicyOrRuleList) {
  CompileOptions options{.form = CompileOptions::Form::kAuto};
  EXPECT_TRUE(Compile("// c\nversion=1.0; authorizationrules{};", options).ok());
  EXPECT_TRUE(Compile("=> add(type=\"a\", value=1);", options).ok());
}

TEST(Parser, RuleListRejectsVersionHeader) {
  EXPECT_THAT(Rules("version=1.0; authorizationrules{};").FormatIssues(),
              HasSubstr("a rule list has no version header"));
}

TEST(Parser, AcceptsWhitespaceBeforeColonAndCommentsAfterRules) {
  CompileResult r = Rules(
      "c :[type==\"x\"] => issue(claim=c); // trailing\n"
      "F1:[type==\"OSName\" , issuer==\"CustomClaim\"] && "
      "[type==\"OSName\", value== F1.value ] => permit();",
      Mode::kStrict);
  // permit() is not allowed in issuancerules: the checker, not the parser.
  EXPECT_THAT(r.FormatIssues(), HasSubstr("permit() is not allowed in issuancerules"));
}

TEST(Parser, CanonicalFormatRoundTrips) {
  std::string text =
      "version=1.2;configurationrules{=>issueproperty(type=\"required_pcr_mask\", value=15);};"
      "authorizationrules{c:[type==\"a\",value>=-3] && ![type==\"b\"] => deny(); => permit();};"
      "issuancerules{c:[type==\"e\"] => issue(type=\"q\", value=JmesPath(c.value, \"a\\\\b\"));};";
  CompileResult r = Strict(text);
  ASSERT_TRUE(r.ok()) << r.FormatIssues();
  std::string canonical = r.policy().Format();
  CompileResult again = Strict(canonical);
  ASSERT_TRUE(again.ok()) << again.FormatIssues();
  EXPECT_EQ(again.policy().Format(), canonical);
}

TEST(Parser, DeeplyNestedCallsAreReportedNotOverflowed) {
  std::string expr;
  for (int i = 0; i < 200; ++i) expr += "NegateBool(";
  expr += "true";
  for (int i = 0; i < 200; ++i) expr += ")";
  CompileResult r = Rules("=> add(type=\"a\", value=" + expr + ");");
  EXPECT_THAT(r.FormatIssues(), HasSubstr("nests too deeply"));
}

// ----- checker -----

TEST(Checker, ConfigurationRulesNeedVersion11) {
  EXPECT_THAT(Strict("version=1.0; configurationrules{}; authorizationrules{};").FormatIssues(),
              HasSubstr("configurationrules needs policy version 1.1"));
  EXPECT_TRUE(Strict("version=1.1; configurationrules{}; authorizationrules{};").ok());
}

TEST(Checker, FunctionsAndAbsenceNeedVersion12) {
  std::string body =
      "authorizationrules{=> permit();}; issuancerules{"
      "c:[type==\"a\"] => add(type=\"b\", value=NegateBool(c.value));"
      "![type==\"b\"] => add(type=\"b\", value=true);};";
  CompileResult r11 = Strict("version=1.1;" + body);
  EXPECT_THAT(r11.FormatIssues(), HasSubstr("function calls need policy version 1.2"));
  EXPECT_THAT(r11.FormatIssues(), HasSubstr("'!' needs policy version 1.2"));
  EXPECT_TRUE(Strict("version=1.2;" + body).ok());
}

TEST(Checker, RejectsUnsupportedVersion) {
  EXPECT_THAT(Strict("version=2.0; authorizationrules{};").FormatIssues(),
              HasSubstr("unsupported policy version 2.0"));
}

TEST(Checker, RequiresAuthorizationSectionAndOrder) {
  EXPECT_THAT(Strict("version=1.0; issuancerules{};").FormatIssues(),
              HasSubstr("no authorizationrules section"));
  EXPECT_THAT(
      Strict("version=1.0; issuancerules{}; authorizationrules{};").FormatIssues(),
      HasSubstr("authorizationrules must come before issuancerules"));
  EXPECT_THAT(
      Strict("version=1.0; authorizationrules{}; authorizationrules{};").FormatIssues(),
      HasSubstr("duplicate authorizationrules section (first at 1:14)"));
}

TEST(Checker, UnknownFunctionSuggestsTheKnownOne) {
  EXPECT_THAT(Rules("c:[type==\"a\"] => add(type=\"r\", value=NegateBol(c.value));")
                  .FormatIssues(),
              HasSubstr("unknown function 'NegateBol'; did you mean 'NegateBool'?"));
  EXPECT_THAT(Rules("c:[type==\"a\"] => add(type=\"r\", value=jmespath(c.value, \"a\"));")
                  .FormatIssues(),
              HasSubstr("did you mean 'JmesPath'?"));
}

TEST(Checker, UnknownFunctionIsAnErrorEvenInCompat) {
  EXPECT_FALSE(Rules("=> add(type=\"r\", value=Foo(1));", Mode::kCompat).ok());
}

TEST(Checker, ChecksArity) {
  EXPECT_THAT(Rules("=> add(type=\"r\", value=ContainsOnlyValue(100));").FormatIssues(),
              HasSubstr("ContainsOnlyValue() takes 2 arguments"));
}

TEST(Checker, RejectsLiteralArgumentsOfTheWrongKind) {
  EXPECT_THAT(Rules("=> add(type=\"r\", value=AppendString(1, \"x\"));").FormatIssues(),
              HasSubstr("argument 1 of AppendString() must be a string"));
  EXPECT_THAT(Rules("=> add(type=\"r\", value=NegateBool(\"x\"));").FormatIssues(),
              HasSubstr("must be a boolean"));
}

TEST(Checker, UnboundAndLateBoundVariables) {
  EXPECT_THAT(Rules("=> add(type=\"r\", value=c.value);").FormatIssues(),
              HasSubstr("unbound claim variable 'c' (no condition of this rule declares one)"));
  EXPECT_THAT(Rules("[type==\"a\", value==c.value] && c:[type==\"b\"] => add(type=\"r\", value=1);")
                  .FormatIssues(),
              HasSubstr("'c' is used before its condition binds it"));
  EXPECT_THAT(Rules("c:[type==\"a\"] && c:[type==\"b\"] => add(type=\"r\", value=1);")
                  .FormatIssues(),
              HasSubstr("declared twice"));
  EXPECT_THAT(Rules("c:[type==\"a\"] => issue(claim=d);").FormatIssues(),
              HasSubstr("unbound claim variable 'd' (this rule declares c)"));
}

TEST(Checker, AbsenceConditionCannotBindVariable) {
  EXPECT_THAT(Rules("!c:[type==\"a\"] => add(type=\"r\", value=1);").FormatIssues(),
              HasSubstr("cannot bind a claim variable"));
}

TEST(Checker, ComparisonOperandKinds) {
  EXPECT_THAT(Rules("[type==\"a\", value<\"x\"] => add(type=\"r\", value=1);").FormatIssues(),
              HasSubstr("'<' compares integers, not strings"));
  EXPECT_THAT(Rules("[type>\"a\"] => add(type=\"r\", value=1);").FormatIssues(),
              HasSubstr("'>' compares integers; type is a string"));
  EXPECT_THAT(Rules("[type==\"a\", valueType==\"Float\"] => add(type=\"r\", value=1);")
                  .FormatIssues(),
              HasSubstr("unknown valueType \"Float\""));
  EXPECT_THAT(Rules("[issuer==true] => add(type=\"r\", value=1);").FormatIssues(),
              HasSubstr("issuer is a string"));
}

TEST(Checker, ActionsPerSection) {
  std::string issue_in_authz =
      "version=1.2; authorizationrules{=> issue(type=\"a\", value=1); => permit();};";
  EXPECT_THAT(Strict(issue_in_authz).FormatIssues(),
              HasSubstr("issue() is not allowed in authorizationrules"));
  CompileResult compat = CompatMode(issue_in_authz);
  ASSERT_TRUE(compat.ok());
  EXPECT_THAT(compat.FormatIssues(), HasSubstr("warning: issue() in authorizationrules is run as add()"));
  EXPECT_THAT(Strict("version=1.2; authorizationrules{=> issueproperty(type=\"a\", value=1);};")
                  .FormatIssues(),
              HasSubstr("issueproperty() is not allowed in authorizationrules"));
  EXPECT_THAT(Strict("version=1.2; configurationrules{=> add(type=\"a\", value=1);}; "
                     "authorizationrules{};")
                  .FormatIssues(),
              HasSubstr("add() is not allowed in configurationrules"));
  EXPECT_THAT(Strict("version=1.2; authorizationrules{}; issuancerules{=> deny();};")
                  .FormatIssues(),
              HasSubstr("deny() is not allowed in issuancerules"));
}

TEST(Checker, KnownPropertyLiteralsAreValidated) {
  auto config = [](const std::string& rule) {
    return Strict("version=1.1; configurationrules{" + rule + "}; authorizationrules{};");
  };
  EXPECT_TRUE(config("=> issueproperty(type=\"required_pcr_mask\", value=15);").ok());
  EXPECT_THAT(config("=> issueproperty(type=\"required_pcr_mask\", value=\"15\");").FormatIssues(),
              HasSubstr("required_pcr_mask must be an Integer"));
  EXPECT_THAT(config("=> issueproperty(type=\"required_pcr_mask\", value=16777216);").FormatIssues(),
              HasSubstr("0..16777215"));
  EXPECT_THAT(config("=> issueproperty(type=\"require_valid_aik_cert\", value=1);").FormatIssues(),
              HasSubstr("must be a Boolean"));
}

TEST(Checker, ValueTypeMustMatchLiteral) {
  EXPECT_THAT(Rules("=> add(type=\"a\", value=\"100\", valueType=\"Integer\");").FormatIssues(),
              HasSubstr("is not of valueType Integer"));
  EXPECT_TRUE(Rules("=> add(type=\"a\", value=100, valueType=\"Integer\");").ok());
}

TEST(Compiler, LiteralQueryThatDoesNotCompileIsAWarning) {
  CompileResult r = Rules("c:[type==\"e\"] => add(type=\"a\", value=JmesPath(c.value, \"\\[\\*\\].x\"));");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.issues().size(), 1u);
  EXPECT_EQ(r.issues()[0].severity(), Issue::Severity::kWarning);
  EXPECT_THAT(r.issues()[0].message(), HasSubstr("JMESPath query does not compile"));
}

TEST(Compiler, SummaryCountsActions) {
  CompileResult r = Strict(
      "version=1.0; authorizationrules{=> permit();}; issuancerules{"
      "=> issue(type=\"a\", value=1); => add(type=\"b\", value=2);};");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.policy().Summary(),
            "version 1.0\nauthorizationrules: 1 rule (permit 1)\n"
            "issuancerules: 2 rules (add 1, issue 1)\n");
}

}  // namespace
}  // namespace vigil::policy
