// File: policy/jmespath/jmespath.h
// -----------------------------------------------------------------------------
// JMESPath (https://jmespath.org/specification.html) for Vigil's policy
// language, as Azure Attestation's JmesPath() function uses it (maa-spec.md
// §1.7): the full specification, all built-in functions, plus
// equals_ignore_case(a, b). Passes the whole official compliance suite
// (testdata/compliance/).
//
//   ASSIGN_OR_RETURN(jmespath::Expression query,
//                    jmespath::Compile("events[?type == 'EV_SEPARATOR'].pcr"));
//   ASSIGN_OR_RETURN(jmespath::Json result, query.Evaluate(document));
//
//   // Azure's JmesPath(json, query): JSON text in, JSON text out.
//   ASSIGN_OR_RETURN(std::string text, jmespath::Search(json_text, "foo"));
//   // No match gives the four characters "null".
//
// Errors: every failure is a status whose message reads
// "<kind> error at column N: <detail>" and whose kind and column
// GetErrorInfo() (error.h) returns: kSyntax, kUnknownFunction, kInvalidArity
// and (for misplaced '&expr') kInvalidType from Compile(); kInvalidType and
// kInvalidValue from Evaluate(); kLimitExceeded from either (limits.h). Codes:
// kInvalidArgument, or kResourceExhausted for kLimitExceeded.
//
// Numbers stay exact: integers are int64/uint64, compared exactly with each
// other and with doubles, summed exactly, and printed without exponent or
// decimal point (json_util.h).
//
// Differences from jmespath.py (the reference implementation) where the
// specification leaves room: unknown functions and arity errors are reported
// at compile time; arguments must be separated by ',' (no trailing comma);
// '&expr' is a compile error outside a function argument; literals must be
// valid JSON (no JEP-12 legacy `foo` literals); a slice after an index
// (a[0][1:2]) projects, as the grammar says; contains('abc', `1`) is false.

#ifndef VIGIL_POLICY_JMESPATH_JMESPATH_H_
#define VIGIL_POLICY_JMESPATH_JMESPATH_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/jmespath/error.h"
#include "policy/jmespath/json_util.h"
#include "policy/jmespath/limits.h"

namespace vigil::jmespath {

namespace internal {
struct Ast;
class Value;
struct ResultState;
}  // namespace internal

class Result;

struct EvaluateOptions {
  // Evaluation stops with kLimitExceeded past this cost (limits.h).
  int64_t max_cost = kDefaultMaxEvaluationCost;
};

// A compiled JMESPath expression. Immutable; cheap to copy (copies share the
// tree); safe to evaluate from many threads at once.
class Expression {
 public:
  // Expression::Evaluate(): the result of the expression on `document` (null
  // when nothing matches). Fails with kInvalidType (a function argument of
  // the wrong type), kInvalidValue (slice step 0) or kLimitExceeded (cost
  // budget, or a value nesting deeper than kMaxValueDepth is copied or
  // compared). `document` may be untrusted; it is only read, and must not be
  // modified during the call. The result is a copy the caller owns.
  absl::StatusOr<Json> Evaluate(const Json& document) const;
  absl::StatusOr<Json> Evaluate(const Json& document,
                                const EvaluateOptions& options) const;

  // Expression::Evaluate() on a shared document, without copying: the result
  // refers to the parts of `input` it selects (and keeps `input` alive).
  // Fails exactly as Evaluate(input.ToJson()) does; Result::Serialize() and
  // CheckSerializable() then behave as SerializeJson() on that result.
  absl::StatusOr<Result> EvaluateShared(const Result& input) const;
  absl::StatusOr<Result> EvaluateShared(const Result& input,
                                        const EvaluateOptions& options) const;

  // Expression::text(): the source text it was compiled from.
  const std::string& text() const { return *text_; }

  // Expression::DebugString(): the syntax tree as an S-expression, e.g.
  // "(projection (field foo) (field bar))"; for tests and debugging only.
  std::string DebugString() const;

 private:
  friend absl::StatusOr<Expression> Compile(absl::string_view expression);
  Expression(std::shared_ptr<const internal::Ast> ast,
             std::shared_ptr<const std::string> text)
      : ast_(std::move(ast)), text_(std::move(text)) {}

  std::shared_ptr<const internal::Ast> ast_;
  std::shared_ptr<const std::string> text_;
};

// Result: a JSON value that shares the documents it was selected from
// instead of copying them (a JMESPath result is mostly pointers into its
// input). Either one Json, or an array whose elements are Results.
// Immutable, cheap to copy (copies share), safe to read from many threads.
//
//   Result events = Result::Of(std::make_shared<const Json>(std::move(doc)));
//   ASSIGN_OR_RETURN(Result r, query.EvaluateShared(events));
//   if (const Json* j = r.json()) ...; else for (i < r.array_size())
//   r.element(i)
class Result {
 public:
  // Null.
  Result();
  // The whole of `document`.
  static Result Of(std::shared_ptr<const Json> document);

  // The value when it is one Json, or null when it is an array of Results.
  const Json* json() const { return json_; }
  // The elements of an array of Results (precondition: json() == nullptr).
  size_t array_size() const;
  Result element(size_t i) const;

  // Identifies the value: two Results with the same identity are the same
  // value (not necessarily the reverse).
  const void* identity() const;

  // The value as one Json (copies what it refers to).
  Json ToJson() const;
  // CheckSerializable(ToJson()) and SerializeJson(ToJson()), without the copy.
  absl::Status CheckSerializable() const;
  absl::StatusOr<std::string> Serialize() const;

 private:
  friend class Expression;
  Result(std::shared_ptr<const void> owner, const internal::Value& value);

  // Keeps what json_ / list_ point into alive.
  std::shared_ptr<const void> owner_;
  const Json* json_ = nullptr;
  const std::vector<internal::Value>* list_ = nullptr;
  // CheckSerializable() of a whole EvaluateShared() result, found while
  // evaluating (in the state owner_ keeps alive); null when not known.
  const absl::Status* serializable_ = nullptr;
};

// Compile(): parses `expression` once for any number of evaluations. Fails
// with kSyntax, kUnknownFunction, kInvalidArity, kInvalidType (an '&expr'
// argument where a value is expected or the reverse) or kLimitExceeded
// (longer than kMaxExpressionLength, nesting deeper than kMaxNestingDepth, a
// literal nesting deeper than kMaxValueDepth). `expression` may be untrusted.
absl::StatusOr<Expression> Compile(absl::string_view expression);

// Search(): Azure Attestation's JmesPath(json, query): parses `json_text`
// (ParseJson), evaluates `expression` on it and returns the result as compact
// JSON text (SerializeJson): "null" when nothing matches, a string result
// with its quotes, integers as plain digits. Fails as ParseJson, Compile and
// Evaluate do.
absl::StatusOr<std::string> Search(absl::string_view json_text,
                                   absl::string_view expression);

}  // namespace vigil::jmespath

#endif  // VIGIL_POLICY_JMESPATH_JMESPATH_H_
