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

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/jmespath/error.h"
#include "policy/jmespath/json_util.h"
#include "policy/jmespath/limits.h"

namespace vigil::jmespath {

namespace internal {
struct Ast;
}  // namespace internal

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
