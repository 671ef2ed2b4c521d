// Evaluation behaviour beyond the compliance suite: Azure's
// equals_ignore_case, 64-bit exactness, canonical number output, ownership of
// intermediate values, limits and concurrency.

#include "policy/jmespath/jmespath.h"

#include <pthread.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::jmespath {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;

std::string DumpForTest(const Json& j) {
  absl::StatusOr<std::string> s = SerializeJson(j);
  return s.ok() ? *s : "";
}

// Search() on `json`, or the error message.
std::string SearchText(absl::string_view json, absl::string_view expression) {
  absl::StatusOr<std::string> out = Search(json, expression);
  return out.ok() ? *out : std::string(out.status().message());
}

ErrorKind KindOf(absl::string_view json, absl::string_view expression) {
  absl::StatusOr<std::string> out = Search(json, expression);
  EXPECT_FALSE(out.ok()) << expression << " gave " << *out;
  std::optional<ErrorInfo> info = GetErrorInfo(out.status());
  EXPECT_TRUE(info.has_value()) << out.status();
  return info.has_value() ? info->kind : ErrorKind::kSyntax;
}

// ---------------------------------------------------------------------------
// EvaluateShared / Result (the compliance suite checks parity case by case)

TEST(EvaluateShared, ChainsOnResultsThatShareTheDocument) {
  absl::StatusOr<Json> doc = ParseJson(
      R"({"E":[{"t":"a","v":[1,2]},{"t":"b","v":[3]},{"t":"a","v":[4]}]})");
  ASSERT_THAT(doc.status(), IsOk());
  Result input = Result::Of(std::make_shared<const Json>(*doc));
  absl::StatusOr<Expression> first = Compile("E[?t == 'a'].v");
  absl::StatusOr<Expression> second = Compile("[*][0]");
  ASSERT_THAT(first.status(), IsOk());
  ASSERT_THAT(second.status(), IsOk());
  absl::StatusOr<Result> selected = first->EvaluateShared(input);
  ASSERT_THAT(selected.status(), IsOk());
  ASSERT_EQ(selected->json(), nullptr);  // an array of parts of `doc`
  ASSERT_EQ(selected->array_size(), 2u);
  EXPECT_EQ(selected->element(1).json(), &(*input.json())["E"][2]["v"]);
  EXPECT_EQ(*selected->Serialize(), "[[1,2],[4]]");
  EXPECT_EQ(DumpForTest(selected->ToJson()), "[[1,2],[4]]");
  absl::StatusOr<Result> firsts = second->EvaluateShared(*selected);
  ASSERT_THAT(firsts.status(), IsOk());
  EXPECT_EQ(*firsts->Serialize(), "[1,4]");
  EXPECT_EQ(*Result().Serialize(), "null");
}

TEST(EvaluateShared, ResultOutlivesItsInputHandle) {
  absl::StatusOr<Expression> e = Compile("a[1:]");
  ASSERT_THAT(e.status(), IsOk());
  absl::StatusOr<Result> r = e->EvaluateShared(Result::Of(
      std::make_shared<const Json>(Json::parse(R"({"a":["x","y","z"]})"))));
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(*r->Serialize(), R"(["y","z"])");
}

// ---------------------------------------------------------------------------
// equals_ignore_case

TEST(EqualsIgnoreCase, AsciiCaseIsIgnored) {
  EXPECT_EQ(SearchText("{}", "equals_ignore_case('Hello', 'hELLO')"), "true");
  EXPECT_EQ(SearchText("{}", "equals_ignore_case('Hello', 'Hell')"), "false");
  EXPECT_EQ(SearchText("{}", "equals_ignore_case('', '')"), "true");
}

TEST(EqualsIgnoreCase, MatchesTheAzureElamSample) {
  // maa-spec.md §2: the ELAM (Defender) policy's query, on event JSON whose
  // file path differs from the policy's in case.
  const std::string events = R"json([
    {"EVENT_LOADEDMODULE_AGGREGATION": [
      {"EVENT_FILEPATH": "\\WINDOWS\\system32\\drivers\\wdboot.sys",
       "EVENT_IMAGEVALIDATED": true},
      {"EVENT_FILEPATH": "\\windows\\system32\\drivers\\other.sys",
       "EVENT_IMAGEVALIDATED": true}]}])json";
  const std::string query =
      "[*].EVENT_LOADEDMODULE_AGGREGATION[] | [? EVENT_IMAGEVALIDATED == "
      "`true` && (equals_ignore_case(EVENT_FILEPATH, "
      "'\\windows\\system32\\drivers\\wdboot.sys') || "
      "equals_ignore_case(EVENT_FILEPATH, "
      "'\\windows\\system32\\drivers\\wd\\wdboot.sys'))] | @ != `null`";
  EXPECT_EQ(SearchText(events, query), "true");
}

TEST(EqualsIgnoreCase, FoldsLatinGreekAndCyrillic) {
  EXPECT_EQ(SearchText("{}",
                       "equals_ignore_case('\xC3\x89T\xC3\x89', "
                       "'\xC3\xA9t\xC3\xA9')"),  // ÉTÉ / été
            "true");
  EXPECT_EQ(
      SearchText("{}", "equals_ignore_case('\xCE\xA3', '\xCF\x83')"),  // Σ σ
      "true");
  EXPECT_EQ(
      SearchText("{}", "equals_ignore_case('\xD0\x96', '\xD0\xB6')"),  // Ж ж
      "true");
  EXPECT_EQ(SearchText("{}", "equals_ignore_case('\xC3\xA9', 'e')"), "false");
}

TEST(EqualsIgnoreCase, NullIsNeverEqual) {
  EXPECT_EQ(SearchText("{\"a\": \"x\"}", "equals_ignore_case(missing, 'x')"),
            "false");
  EXPECT_EQ(SearchText("{}", "equals_ignore_case(a, b)"), "false");
}

TEST(EqualsIgnoreCase, RejectsOtherTypesAndArities) {
  EXPECT_EQ(KindOf("{}", "equals_ignore_case(`1`, '1')"),
            ErrorKind::kInvalidType);
  EXPECT_EQ(KindOf("{}", "equals_ignore_case('a')"), ErrorKind::kInvalidArity);
}

// ---------------------------------------------------------------------------
// 64-bit integers

constexpr absl::string_view kBig = R"json({
  "attributes": 9223372036854775808,
  "signature": 6075990659671082565,
  "max_int64": 9223372036854775807,
  "min_int64": -9223372036854775808,
  "max_uint64": 18446744073709551615
})json";

TEST(Integers, SurviveARoundTrip) {
  EXPECT_EQ(SearchText(kBig, "attributes"), "9223372036854775808");
  EXPECT_EQ(SearchText(kBig, "signature"), "6075990659671082565");
  EXPECT_EQ(SearchText(kBig, "max_uint64"), "18446744073709551615");
  EXPECT_EQ(SearchText(kBig, "min_int64"), "-9223372036854775808");
  EXPECT_EQ(SearchText(kBig, "to_string(signature)"),
            "\"6075990659671082565\"");
  EXPECT_EQ(SearchText(kBig, "[attributes, signature]"),
            "[9223372036854775808,6075990659671082565]");
  EXPECT_EQ(SearchText(kBig, "{s: signature}"), "{\"s\":6075990659671082565}");
  EXPECT_EQ(SearchText(kBig, "to_number(to_string(signature))"),
            "6075990659671082565");
}

TEST(Integers, CompareExactly) {
  EXPECT_EQ(SearchText(kBig, "signature == `6075990659671082565`"), "true");
  // Both neighbours round to the same double; integers must still differ.
  EXPECT_EQ(SearchText(kBig, "signature == `6075990659671082564`"), "false");
  EXPECT_EQ(SearchText(kBig, "signature > `6075990659671082564`"), "true");
  EXPECT_EQ(SearchText(kBig, "attributes == max_int64"), "false");
  EXPECT_EQ(SearchText(kBig, "attributes > max_int64"), "true");
  EXPECT_EQ(SearchText(kBig, "min_int64 < max_uint64"), "true");
  // 2^63 as a double equals 2^63 exactly, and exceeds 2^63 - 1.
  EXPECT_EQ(SearchText(kBig, "attributes == `9223372036854775808.0`"), "true");
  EXPECT_EQ(SearchText(kBig, "max_int64 < `9223372036854775808.0`"), "true");
  EXPECT_EQ(SearchText(kBig, "`1` == `1.0`"), "true");
  EXPECT_EQ(SearchText(kBig, "`1` < `1.5`"), "true");
  EXPECT_EQ(SearchText(kBig, "`-1` < `18446744073709551615`"), "true");
}

TEST(Integers, FunctionsStayExact) {
  EXPECT_EQ(SearchText(kBig, "sum([max_int64, `1`])"), "9223372036854775808");
  EXPECT_EQ(SearchText(kBig, "sum([max_uint64, min_int64])"),
            "9223372036854775807");
  EXPECT_EQ(SearchText(kBig, "abs(min_int64)"), "9223372036854775808");
  EXPECT_EQ(SearchText(kBig, "max([signature, attributes, max_int64])"),
            "9223372036854775808");
  EXPECT_EQ(SearchText(kBig, "sort([attributes, signature, max_int64])"),
            "[6075990659671082565,9223372036854775807,9223372036854775808]");
  EXPECT_EQ(SearchText(kBig, "contains([attributes], max_int64)"), "false");
}

// ---------------------------------------------------------------------------
// Canonical number output

TEST(Numbers, IntegersPrintWithoutExponentOrPoint) {
  EXPECT_EQ(SearchText("{\"EventSeq\": 36}", "EventSeq"), "36");
  EXPECT_EQ(SearchText("{}", "to_string(`36`)"), "\"36\"");
  EXPECT_EQ(SearchText("{}", "length('abc')"), "3");
  EXPECT_EQ(SearchText("{}", "ceil(`1.5`)"), "2");
  EXPECT_EQ(SearchText("{}", "floor(`-1.5`)"), "-2");
  EXPECT_EQ(SearchText("{}", "to_number('4')"), "4");
  EXPECT_EQ(SearchText("{}", "sum(`[1, 2, 3]`)"), "6");
  // Splicing an integer result into a new query, as policies do.
  EXPECT_EQ(SearchText("{\"e\": [10, 20, 30]}",
                       absl::StrCat("e[", SearchText("{\"i\": 1}", "i"), "]")),
            "20");
}

TEST(Numbers, DoublesPrintShortestRoundTrip) {
  EXPECT_EQ(SearchText("{}", "to_string(`1.2`)"), "\"1.2\"");
  EXPECT_EQ(SearchText("{}", "to_number('1e21')"), "1e+21");
  EXPECT_EQ(SearchText("{}", "avg(`[1, 2]`)"), "1.5");
  EXPECT_EQ(SearchText("{}", "`0.1`"), "0.1");
}

TEST(Search, ReturnsJsonText) {
  EXPECT_EQ(SearchText("{\"foo\": \"bar\"}", "foo"), "\"bar\"");
  EXPECT_EQ(SearchText("{\"foo\": \"bar\"}", "missing"), "null");
  EXPECT_THAT(Search("{", "foo"), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("malformed JSON")));
}

// ---------------------------------------------------------------------------
// Intermediate values that the evaluator owns (not borrowed from the
// document) flowing through projections, pipes and functions.

TEST(Ownership, OwnedIntermediatesFlowThroughEveryOperator) {
  const std::string doc = R"json({
    "a": {"k": [3, 1, 2], "s": "x"}, "b": {"k": [9], "t": {"u": 1}},
    "list": [{"n": 2, "v": "p"}, {"n": 1, "v": "q"}, {"n": 3}],
    "n": null})json";
  EXPECT_EQ(SearchText(doc, "merge(a, b).k"), "[9]");
  EXPECT_EQ(SearchText(doc, "merge(a, b).t.u"), "1");
  EXPECT_EQ(SearchText(doc, "merge(a, b).{k: k, s: s, both: [k, s]}"),
            "{\"k\":[9],\"s\":\"x\",\"both\":[[9],\"x\"]}");
  EXPECT_EQ(SearchText(doc, "[merge(a, b)][0].s"), "\"x\"");
  EXPECT_EQ(SearchText(doc, "sort(a.k)[::-1]"), "[3,2,1]");
  EXPECT_EQ(SearchText(doc, "sort_by(list, &n)[].v"), "[\"q\",\"p\"]");
  EXPECT_EQ(SearchText(doc, "reverse(sort_by(list, &n)) | [0].n"), "3");
  EXPECT_EQ(SearchText(doc, "max_by(sort_by(list, &n), &n).n"), "3");
  EXPECT_EQ(SearchText(doc, "not_null(n, to_array(merge(a, b)))[0].s"),
            "\"x\"");
  EXPECT_EQ(SearchText(doc, "to_array(merge(a, b)) | [?s == 'x'] | [0].k"),
            "[9]");
  EXPECT_EQ(SearchText(doc, "merge(a, b) || `1`"),
            "{\"k\":[9],\"s\":\"x\",\"t\":{\"u\":1}}");
  EXPECT_EQ(SearchText(doc, "values(merge(a, b))[*] | [0]"), "[9]");
  EXPECT_EQ(SearchText(doc, "map(&merge(@, `{\"z\": 1}`).z, list)"), "[1,1,1]");
  EXPECT_EQ(SearchText(doc, "[[a.k, b.k][], `[5]`][] | sort(@)"),
            "[1,2,3,5,9]");
  EXPECT_EQ(SearchText(doc, "list[*].[n, v] | [?[1] != null][0]"), "[2,1]");
  EXPECT_EQ(SearchText(doc, "merge(a, b).k == `[9]`"), "true");
  EXPECT_EQ(SearchText(doc, "[list[0], list[0]] | [0] == [1]"), "true");
}

TEST(Ownership, DocumentIsNotModified) {
  ASSERT_OK_AND_ASSIGN(Json doc,
                       ParseJson(R"({"a": [3, 1, 2], "b": {"c": 1}})"));
  const Json before = doc;
  ASSERT_OK_AND_ASSIGN(
      Expression e, Compile("[sort(a), reverse(a), merge(b, `{}`), a[::-1]]"));
  EXPECT_THAT(e.Evaluate(doc), IsOk());
  EXPECT_EQ(doc, before);
}

// ---------------------------------------------------------------------------
// Field chains (a.b.c), literals and @ are looked up without building
// intermediate values, in filter conditions, comparisons and function
// arguments: the results, and what they cost, must not differ.

TEST(FastPaths, FieldChainsGiveWhatStepByStepLookupsGive) {
  const std::string doc = R"json({
    "a": {"b": {"c": 1, "d": {"e": [1, 2]}}, "s": "str", "k": [{"c": 5}]},
    "n": null, "list": [{"v": {"w": 1}}, {"v": 2}, {"x": 3}]})json";
  for (const char* chain :
       {"a.b.c", "a.b.d", "a.b.d.e", "a.b.x", "a.s.c", "a.k.c", "n.x.y",
        "missing.x.y", "list.v.w", "a.b.c.d"}) {
    std::string steps = chain;
    absl::StrReplaceAll({{".", " | "}}, &steps);
    EXPECT_EQ(SearchText(doc, chain), SearchText(doc, steps)) << chain;
  }
  EXPECT_EQ(SearchText(doc, "a.b.d"), R"({"e":[1,2]})");
  EXPECT_EQ(SearchText(doc, "a.s.c"), "null");
  EXPECT_EQ(SearchText(doc, "list[*].v.w"), "[1]");
  EXPECT_EQ(SearchText(doc, "a.k[*].c"), "[5]");
  EXPECT_EQ(SearchText("[{\"a\": {\"b\": 1}}, 7]", "[*].a.b"), "[1]");
  EXPECT_EQ(SearchText(doc, "@.a.b.c"), "1");
}

TEST(FastPaths, ComparisonsOfFieldChains) {
  const std::string doc = R"json({"items": [
    {"x": {"y": "a", "n": 1}, "id": 1}, {"x": {"y": "b", "n": 2}, "id": 2},
    {"x": "s", "id": 3}, {"id": 4}]})json";
  EXPECT_EQ(SearchText(doc, "items[?x.y == 'a'].id"), "[1]");
  EXPECT_EQ(SearchText(doc, "items[?x.y != 'a'].id"), "[2,3,4]");
  EXPECT_EQ(SearchText(doc, "items[?x.n > `1`].id"), "[2]");
  EXPECT_EQ(SearchText(doc, "items[?x.n >= x.n].id"), "[1,2]");
  EXPECT_EQ(SearchText(doc, "items[?x.y < 'b'].id"), "[1]");
  EXPECT_EQ(SearchText(doc, "items[?x.y < x.n].id"), "[]");
  EXPECT_EQ(SearchText(doc, "items[?x.y].id"), "[1,2]");
  EXPECT_EQ(SearchText(doc, "items[?!(x.y)].id"), "[3,4]");
  EXPECT_EQ(SearchText(doc, "items[?!x.y].id"), "[]");  // (!x).y
  EXPECT_EQ(SearchText(doc, "items[?x.y == x.y].id"), "[1,2,3,4]");
  EXPECT_EQ(SearchText(doc, "items[?x == `{\"n\": 2, \"y\": \"b\"}`].id"),
            "[2]");
  EXPECT_EQ(SearchText(doc, "items[?x.n == `1.0`].id"), "[1]");
  EXPECT_EQ(SearchText(doc, "items[?[x.n] == `[2]`].id"), "[2]");
  EXPECT_EQ(SearchText(doc, "items[?x.n == [x.n]].id"), "[]");
  EXPECT_EQ(SearchText(doc, "items[?x.y == 'a' || x == 's'].id"), "[1,3]");
  EXPECT_EQ(SearchText(doc, "items[?equals_ignore_case(x.y, 'B')].id"), "[2]");
  EXPECT_EQ(SearchText(doc, "items[0].x.n < items[1].x.n"), "true");
  EXPECT_EQ(SearchText(doc, "items[0].x.y < items[0].x.n"), "null");
  EXPECT_EQ(SearchText(doc, "items[0].x.y == items[0].x.y"), "true");
  EXPECT_EQ(SearchText(doc, "items[*].x.n < `[1]`"), "null");
}

TEST(FastPaths, OwnedValuesAreReadBeforeTheyGoAway) {
  const std::string doc = R"({"a": {"b": "x"}})";
  EXPECT_EQ(SearchText(doc, "[{x: {y: 'v'}}][?x.y == 'v'] | [0].x.y"), "\"v\"");
  EXPECT_EQ(SearchText(doc, "{x: {y: 'v'}} | x.y"), "\"v\"");
  EXPECT_EQ(SearchText(doc, "{x: {y: 'v'}}.x.y"), "\"v\"");
  EXPECT_EQ(SearchText(doc, "{c: a} | not_null(c.b)"), "\"x\"");
  EXPECT_EQ(SearchText(doc, "{c: a} | [not_null(c.b, c), c.b]"),
            "[\"x\",\"x\"]");
  EXPECT_EQ(SearchText(doc, "{c: a} | equals_ignore_case(c.b, 'X')"), "true");
  EXPECT_EQ(SearchText(doc, "merge(a) | b"), "\"x\"");
}

// The smallest cost budget `expression` evaluates within on `json`.
int64_t SmallestBudget(absl::string_view json, absl::string_view expression) {
  absl::StatusOr<Json> doc = ParseJson(json);
  absl::StatusOr<Expression> e = Compile(expression);
  EXPECT_THAT(doc.status(), IsOk());
  EXPECT_THAT(e.status(), IsOk());
  if (!doc.ok() || !e.ok()) return -1;
  for (int64_t budget = 1; budget < 1000; ++budget) {
    EvaluateOptions options;
    options.max_cost = budget;
    if (e->Evaluate(*doc, options).ok()) return budget;
  }
  return -1;
}

// One unit per node visited and per value produced or copied, as the
// general interpreter counts them (values worked out by hand from it).
TEST(FastPaths, CountTheCostTheGeneralPathCounts) {
  // Chain node + 3 fields, then 1 JSON node copied.
  EXPECT_EQ(SmallestBudget(R"({"a":{"b":{"c":1}}})", "a.b.c"), 5);
  EXPECT_EQ(SmallestBudget(R"({"a":{"b":{"c":{"d":[1,2]}}}})", "a.b.c"), 8);
  // Filter + items, per element: comparator + chain (3) + literal, the kept
  // element's id, then the list (2) and its element (1).
  const std::string items =
      R"({"items":[{"x":{"y":"a"},"id":1},{"x":{"y":"b"},"id":2}]})";
  EXPECT_EQ(SmallestBudget(items, "items[?x.y == 'a'].id"), 16);
  // The same with a function call in place of the comparator.
  EXPECT_EQ(SmallestBudget(items, "items[?equals_ignore_case(x.y, 'A')].id"),
            16);
  // Filter + items + per element (comparator + field + literal) + the list.
  EXPECT_EQ(SmallestBudget(R"({"items":[1,2,3]})", "items[?@ > `1`]"),
            2 + 9 + 3 + 2);
}

// ---------------------------------------------------------------------------
// Evaluation errors

TEST(Errors, EvaluationErrorsCarryKindAndColumn) {
  absl::StatusOr<std::string> out = Search("{\"a\": 1}", "a || abs('x')");
  EXPECT_THAT(out, IsOk());  // Short-circuit: abs is never called.
  out = Search("{\"a\": [1]}", "a[::0]");
  std::optional<ErrorInfo> info = GetErrorInfo(out.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->kind, ErrorKind::kInvalidValue);
  EXPECT_EQ(info->column, 2);
  out = Search("{}", "  abs('x')");
  info = GetErrorInfo(out.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->kind, ErrorKind::kInvalidType);
  EXPECT_EQ(info->column, 3);
  EXPECT_THAT(out.status().message(),
              HasSubstr("abs(): argument 1 must be number, got string"));
}

// ---------------------------------------------------------------------------
// Limits

TEST(Limits, DeepParenthesesAreRejected) {
  std::string expression =
      std::string(100000, '(') + "a" + std::string(100000, ')');
  EXPECT_THAT(Compile(expression),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("kMaxNestingDepth")));
}

TEST(Limits, DeepTreesAreRejected) {
  std::string nots(100000, '!');
  EXPECT_THAT(
      Compile(nots + "a"),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("deeper")));
  std::string brackets(100000, '[');
  EXPECT_THAT(
      Compile(brackets + "a"),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("deeper")));
  std::string ors = "a";
  for (int i = 0; i < 1000; ++i) absl::StrAppend(&ors, " || a");
  EXPECT_THAT(Compile(ors), StatusIs(absl::StatusCode::kResourceExhausted,
                                     HasSubstr("deeper")));
}

TEST(Limits, LongFlatChainsAreFine) {
  std::string chain = "a";
  for (int i = 0; i < 5000; ++i) absl::StrAppend(&chain, ".a");
  EXPECT_THAT(Compile(chain), IsOk());
  std::string pipes = "a";
  for (int i = 0; i < 5000; ++i) absl::StrAppend(&pipes, " | a");
  EXPECT_THAT(Compile(pipes), IsOk());
}

TEST(Limits, DeepLiteralsAndDocumentsAreRejected) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_THAT(Compile("`" + deep + "`"),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
  EXPECT_THAT(ParseJson(deep),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
  // A deep document built in code: reading a field is fine, copying it out
  // or comparing it hits kMaxValueDepth instead of the stack.
  Json doc = Json::array();
  for (int i = 0; i < 100000; ++i) {
    Json outer = Json::array();
    outer.push_back(std::move(doc));
    doc = std::move(outer);
  }
  Json root = Json::object();
  root["d"] = std::move(doc);
  ASSERT_OK_AND_ASSIGN(Expression type, Compile("type(d)"));
  EXPECT_THAT(type.Evaluate(root), IsOk());
  for (absl::string_view expression :
       {"d", "d == d", "to_string(d)", "[d]", "contains([d], d)"}) {
    ASSERT_OK_AND_ASSIGN(Expression e, Compile(expression));
    EXPECT_THAT(e.Evaluate(root),
                StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_))
        << expression;
  }
}

TEST(Limits, ExponentialOutputHitsTheCostBudget) {
  std::string expression = "@";
  for (int i = 0; i < 60; ++i) absl::StrAppend(&expression, " | [@, @]");
  ASSERT_OK_AND_ASSIGN(Expression e, Compile(expression));
  EvaluateOptions options;
  options.max_cost = 1'000'000;
  EXPECT_THAT(
      e.Evaluate(Json(1), options),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("cost budget")));
  std::string flatten = "[@]";
  for (int i = 0; i < 60; ++i) absl::StrAppend(&flatten, " | [@, @][]");
  ASSERT_OK_AND_ASSIGN(Expression f, Compile(flatten + " | length(@)"));
  EXPECT_THAT(f.Evaluate(Json(1), options),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
}

// The deepest expression the parser accepts evaluates on a small stack.
void* EvaluateDeepest(void* out) {
  std::string expression = "a";
  for (int i = 0; i < 120; ++i) absl::StrAppend(&expression, "[*].a");
  absl::StatusOr<Expression> e = Compile(expression);
  Json doc = Json::object();
  if (e.ok()) {
    absl::StatusOr<Json> result = e->Evaluate(doc);
    *static_cast<bool*>(out) = result.ok();
  }
  std::string too_deep = "a";
  for (int i = 0; i < 300; ++i) absl::StrAppend(&too_deep, "[*].a");
  *static_cast<bool*>(out) &= !Compile(too_deep).ok();
  return nullptr;
}

TEST(Limits, DeepestAcceptedExpressionFitsA1MiBStack) {
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, 1 << 20), 0);
  bool ok = false;
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, &attr, &EvaluateDeepest, &ok), 0);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
  pthread_attr_destroy(&attr);
  EXPECT_TRUE(ok);
}

// ---------------------------------------------------------------------------
// Concurrency

TEST(Expression, EvaluatesConcurrentlyFromManyThreads) {
  ASSERT_OK_AND_ASSIGN(
      Expression e,
      Compile("sort_by(people, &age)[?age > `20`].{n: name, t: merge(@, "
              "`{\"x\": 1}`).x}"));
  ASSERT_OK_AND_ASSIGN(Json doc, ParseJson(R"({"people": [
      {"name": "a", "age": 30}, {"name": "b", "age": 10},
      {"name": "c", "age": 25}]})"));
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        absl::StatusOr<Json> r = e.Evaluate(doc);
        if (!r.ok() ||
            DumpForTest(*r) != R"([{"n":"c","t":1},{"n":"a","t":1}])") {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace vigil::jmespath
