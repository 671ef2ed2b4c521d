#include "policy/lexer.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::policy {
namespace {

using ::testing::HasSubstr;

std::vector<TokenKind> Kinds(const std::vector<PolicyToken>& tokens) {
  std::vector<TokenKind> kinds;
  for (const PolicyToken& t : tokens) kinds.push_back(t.kind);
  return kinds;
}

TEST(Lexer, SplitsOperatorsLongestFirst) {
  Source source("t", "=> == = != ! <= < >= > && : ; , . ( ) [ ] { }");
  std::vector<Issue> issues;
  std::vector<PolicyToken> tokens = Lex(source, &issues);
  EXPECT_TRUE(issues.empty());
  EXPECT_THAT(Kinds(tokens),
              ::testing::ElementsAre(
                  TokenKind::kArrow, TokenKind::kEq, TokenKind::kAssign,
                  TokenKind::kNe, TokenKind::kBang, TokenKind::kLe,
                  TokenKind::kLt, TokenKind::kGe, TokenKind::kGt,
                  TokenKind::kAndAnd, TokenKind::kColon, TokenKind::kSemicolon,
                  TokenKind::kComma, TokenKind::kDot, TokenKind::kLParen,
                  TokenKind::kRParen, TokenKind::kLBracket, TokenKind::kRBracket,
                  TokenKind::kLBrace, TokenKind::kRBrace, TokenKind::kEof));
}

TEST(Lexer, SkipsLineCommentsIncludingTextThatLooksLikeRules) {
  Source source("t", "// Flight Signingc:[type==\"x\"] => permit();\nfoo");
  std::vector<Issue> issues;
  std::vector<PolicyToken> tokens = Lex(source, &issues);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].text, "foo");
}

TEST(Lexer, DecodesQuoteAndBackslashEscapesAndKeepsUnknownOnes) {
  Source source("t", R"("a\"b" "\\windows" "\[\*\]")");
  std::vector<Issue> issues;
  std::vector<PolicyToken> tokens = Lex(source, &issues);
  ASSERT_TRUE(issues.empty());
  EXPECT_EQ(tokens[0].text, "a\"b");
  EXPECT_EQ(tokens[1].text, "\\windows");
  EXPECT_EQ(tokens[2].text, "\\[\\*\\]");
}

TEST(Lexer, ReportsUnterminatedStringWithTypographicQuoteHint) {
  Source source("t", "value = \"11\xE2\x80\x9D  \n);");
  std::vector<Issue> issues;
  Lex(source, &issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_THAT(issues[0].message(), HasSubstr("unterminated string literal"));
  EXPECT_THAT(issues[0].message(), HasSubstr("typographic quote"));
  EXPECT_EQ(issues[0].location().line, 1);
  EXPECT_EQ(issues[0].location().column, 9);
}

TEST(Lexer, ParsesNegativeIntegersAndRejectsOverflow) {
  Source source("t", "-15 9223372036854775807 -9223372036854775808 9223372036854775808");
  std::vector<Issue> issues;
  std::vector<PolicyToken> tokens = Lex(source, &issues);
  EXPECT_EQ(tokens[0].integer, -15);
  EXPECT_EQ(tokens[1].integer, INT64_MAX);
  EXPECT_EQ(tokens[2].integer, INT64_MIN);
  EXPECT_EQ(tokens[3].kind, TokenKind::kError);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_THAT(issues[0].message(), HasSubstr("out of the 64-bit signed range"));
}

TEST(Lexer, RejectsDoublePipeWithAdvice) {
  Source source("t", "[type==\"a\"] || [type==\"b\"]");
  std::vector<Issue> issues;
  Lex(source, &issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_THAT(issues[0].message(), HasSubstr("one rule per alternative"));
}

TEST(Lexer, ReportsUnknownCharacterAsWholeUtf8Character) {
  Source source("t", "a \xC3\xA9 b");
  std::vector<Issue> issues;
  Lex(source, &issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].message(), "unexpected character '\xC3\xA9'");
  EXPECT_EQ(issues[0].location().column, 3);
}

TEST(Source, CaretLineKeepsTabsAndCountsCodePoints) {
  Source source("f.policy", "a\n\t\xC3\xA9x\n");
  size_t offset = 5;  // 'x'
  EXPECT_EQ(source.Location(offset).ToString(), "2:3");
  EXPECT_EQ(source.CaretLine(offset), "\t ^");
  EXPECT_EQ(source.LineText(2), "\t\xC3\xA9x");
}

TEST(Issue, DisplayStringHasFileLineColumnSourceAndCaret) {
  Source source("p.txt", "version=1.0;\nfoo\n");
  Issue issue(Issue::Severity::kError, 13, source.Location(13), "bad");
  EXPECT_EQ(issue.ToDisplayString(source), "p.txt:2:1: error: bad\nfoo\n^");
}

}  // namespace
}  // namespace vigil::policy
