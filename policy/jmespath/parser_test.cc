// Parser and lexer behaviour: precedence, tree shapes and compile-time errors.

#include <string>

#include "absl/status/status.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/jmespath/jmespath.h"

namespace vigil::jmespath {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

std::string Tree(absl::string_view expression) {
  absl::StatusOr<Expression> compiled = Compile(expression);
  if (!compiled.ok()) return std::string(compiled.status().message());
  return compiled->DebugString();
}

ErrorInfo InfoOf(absl::string_view expression) {
  absl::StatusOr<Expression> compiled = Compile(expression);
  EXPECT_FALSE(compiled.ok()) << expression;
  std::optional<ErrorInfo> info = GetErrorInfo(compiled.status());
  EXPECT_TRUE(info.has_value()) << compiled.status();
  return info.value_or(ErrorInfo{ErrorKind::kLimitExceeded, -1});
}

TEST(Parser, SubexpressionChainsAreFlat) {
  EXPECT_EQ(Tree("a.b.c"), "(subexpression (field a) (field b) (field c))");
}

TEST(Parser, PipeBindsLoosestOrLooserThanAnd) {
  EXPECT_EQ(Tree("a || b && c | d"),
            "(pipe (or (field a) (and (field b) (field c))) (field d))");
}

TEST(Parser, NotBindsTighterThanDot) {
  EXPECT_EQ(Tree("!a.b"), "(subexpression (not (field a)) (field b))");
}

TEST(Parser, ComparatorsBindTighterThanAnd) {
  EXPECT_EQ(Tree("a == `1` && b < c"),
            "(and (== (field a) (literal 1)) (< (field b) (field c)))");
}

TEST(Parser, ProjectionTakesFollowingSubexpressionAndIndex) {
  EXPECT_EQ(Tree("foo[*].bar[0]"),
            "(projection (field foo) (index (field bar) 0))");
  EXPECT_EQ(Tree("foo[*] | [0]"),
            "(pipe (projection (field foo) @) (index @ 0))");
}

TEST(Parser, SliceIsAProjection) {
  EXPECT_EQ(Tree("foo[1:-1:2].x"),
            "(projection (slice (field foo) 1:-1:2) (field x))");
  EXPECT_EQ(Tree("[::-1]"), "(projection (slice @ _:_:-1) @)");
}

TEST(Parser, FilterAndFlatten) {
  EXPECT_EQ(Tree("a[?b == 'x'].c"),
            "(filter (field a) (== (field b) (literal \"x\")) (field c))");
  EXPECT_EQ(Tree("a[].b"), "(projection (flatten (field a)) (field b))");
}

TEST(Parser, MultiSelectAndFunctions) {
  EXPECT_EQ(Tree("{k: a, \"q\": `true`}"),
            "(hash k=(field a) q=(literal true))");
  EXPECT_EQ(Tree("sort_by(people, &age)[0]"),
            "(index (sort_by (field people) (& (field age))) 0)");
}

TEST(Parser, MissingCloserNamesTheOpener) {
  absl::StatusOr<Expression> compiled = Compile("foo[?a == `1`");
  EXPECT_THAT(compiled,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("syntax error at column 14: expected ']' (to "
                                 "close '[?' at column 4), got end of "
                                 "expression")));
}

TEST(Parser, ErrorColumnsCountCodePoints) {
  ErrorInfo info = InfoOf("\"\xC3\xA9\" ==");  // "é" ==
  EXPECT_EQ(info.kind, ErrorKind::kSyntax);
  EXPECT_EQ(info.column, 7);
}

TEST(Parser, CompileTimeFunctionErrors) {
  EXPECT_EQ(InfoOf("nope(@)").kind, ErrorKind::kUnknownFunction);
  EXPECT_EQ(InfoOf("abs(`1`, `2`)").kind, ErrorKind::kInvalidArity);
  EXPECT_EQ(InfoOf("merge()").kind, ErrorKind::kInvalidArity);
  EXPECT_EQ(InfoOf("sort_by(people, age)").kind, ErrorKind::kInvalidType);
  EXPECT_EQ(InfoOf("length(&a)").kind, ErrorKind::kInvalidType);
}

TEST(Parser, StrictArgumentLists) {
  EXPECT_EQ(InfoOf("length(a,)").kind, ErrorKind::kSyntax);
  EXPECT_EQ(InfoOf("not_null(a b)").kind, ErrorKind::kSyntax);
  EXPECT_EQ(InfoOf("{a: b c: d}").kind, ErrorKind::kSyntax);
}

TEST(Parser, ExpressionReferenceOnlyAsArgument) {
  EXPECT_EQ(InfoOf("&a").kind, ErrorKind::kSyntax);
  EXPECT_EQ(InfoOf("[&a]").kind, ErrorKind::kSyntax);
}

TEST(Parser, LexerErrors) {
  EXPECT_EQ(InfoOf("a = b").kind, ErrorKind::kSyntax);
  EXPECT_EQ(InfoOf("'unterminated").kind, ErrorKind::kSyntax);
  EXPECT_EQ(InfoOf("`{\"a\": }`").kind, ErrorKind::kSyntax);
  EXPECT_EQ(InfoOf("`foo`").kind, ErrorKind::kSyntax);  // No JEP-12 legacy.
  EXPECT_EQ(InfoOf("a ~ b").column, 3);
}

TEST(Parser, ErrorInfoAbsentOnForeignStatus) {
  EXPECT_FALSE(GetErrorInfo(absl::InternalError("x")).has_value());
  EXPECT_FALSE(GetErrorInfo(absl::OkStatus()).has_value());
}

}  // namespace
}  // namespace vigil::jmespath

namespace vigil::jmespath {
namespace {

// Found by the libFuzzer pass: a 20-digit index overflowed int64 while being
// clamped (undefined behaviour; reported by the UBSan stage of ./vigil test).
TEST(Lexer, HugeIndexLiteralsClampWithoutOverflow) {
  absl::StatusOr<Json> doc = ParseJson("[1, 2, 3]");
  ASSERT_TRUE(doc.ok());
  for (const char* expr : {"[22222222222222222222]", "[-22222222222222222222]",
                           "[99999999999999999999999999999999]"}) {
    absl::StatusOr<Expression> e = Compile(expr);
    ASSERT_TRUE(e.ok()) << expr << ": " << e.status();
    absl::StatusOr<Json> r = e->Evaluate(*doc);
    ASSERT_TRUE(r.ok()) << expr;
    EXPECT_TRUE(r->is_null()) << expr;
  }
}

}  // namespace
}  // namespace vigil::jmespath
