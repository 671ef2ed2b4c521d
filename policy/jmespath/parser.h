// File: policy/jmespath/parser.h
// -----------------------------------------------------------------------------
// Parse: JMESPath expression text -> syntax tree. A Pratt (top-down operator
// precedence) parser with the binding powers of the JMESPath specification's
// reference implementation (jmespath.py parser.py); each parse function starts
// with the grammar production it implements.
//
// Internal to policy/jmespath; use jmespath.h.

#ifndef VIGIL_POLICY_JMESPATH_PARSER_H_
#define VIGIL_POLICY_JMESPATH_PARSER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/jmespath/ast.h"

namespace vigil::jmespath::internal {

// Parse(): the syntax tree of `expression`, with functions resolved.
// Fails with
//   - kSyntax: the text is not a JMESPath expression (column of the
//     offending token; "expected ']' (to close '[' at column 3), got ','");
//   - kUnknownFunction: a call names no built-in function;
//   - kInvalidArity: a call has the wrong number of arguments;
//   - kInvalidType: an argument is (or is not) an expression reference when
//     the function requires the opposite;
//   - kLimitExceeded: the text is longer than kMaxExpressionLength or nests
//     deeper than kMaxNestingDepth.
// The input may be untrusted.
absl::StatusOr<Ast> Parse(absl::string_view expression);

}  // namespace vigil::jmespath::internal

#endif  // VIGIL_POLICY_JMESPATH_PARSER_H_
