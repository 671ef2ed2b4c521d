// File: policy/jmespath/lexer.h
// -----------------------------------------------------------------------------
// Tokenize: JMESPath expression text -> tokens, per the JMESPath specification
// (https://jmespath.org/specification.html) and the reference implementation
// jmespath.py (lexer.py), whose token names are kept.
//
// Internal to policy/jmespath; use jmespath.h.

#ifndef VIGIL_POLICY_JMESPATH_LEXER_H_
#define VIGIL_POLICY_JMESPATH_LEXER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/jmespath/json_util.h"

namespace vigil::jmespath::internal {

// WARNING: BindingPower() in parser.cc is indexed by this order.
enum class TokenType : uint8_t {
  kEof,
  kUnquotedIdentifier,  // foo
  kQuotedIdentifier,    // "foo"
  kLiteral,             // `json` or 'raw string'
  kNumber,              // -?[0-9]+ (only inside brackets)
  kDot,                 // .
  kStar,                // *
  kLbracket,            // [
  kRbracket,            // ]
  kLbrace,              // {
  kRbrace,              // }
  kLparen,              // (
  kRparen,              // )
  kComma,               // ,
  kColon,               // :
  kPipe,                // |
  kOr,                  // ||
  kAnd,                 // &&
  kNot,                 // !
  kExpref,              // &
  kFilter,              // [?
  kFlatten,             // []
  kCurrent,             // @
  kEq,                  // ==
  kNe,                  // !=
  kLt,                  // <
  kLte,                 // <=
  kGt,                  // >
  kGte,                 // >=
};

inline constexpr int kTokenTypeCount = static_cast<int>(TokenType::kGte) + 1;

// How a token is shown in error messages: "'['", "identifier", ...
absl::string_view TokenTypeName(TokenType type);

struct Token {
  TokenType type = TokenType::kEof;
  size_t offset = 0;   // Byte offset in the expression.
  int32_t column = 1;  // ColumnAt(expression, offset), computed once here.
  std::string text;    // Identifier name (unescaped for quoted identifiers).
  Json literal;        // kLiteral: the value (a string for raw strings).
  int64_t number = 0;  // kNumber: saturated to +-2^62.
};

// Tokenize(): all tokens of `expression`, ending with one kEof token.
// Fails with kSyntax (column of the offending character) on an unknown
// character, a lone '=' or '-', an unterminated quote/backtick, a quoted
// identifier that is not a valid JSON string, or a literal that is not JSON.
// Literals nesting deeper than kMaxValueDepth fail with kLimitExceeded.
absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view expression);

// 1-based column, in code points, of byte `offset` of `text`.
int ColumnAt(absl::string_view text, size_t offset);

}  // namespace vigil::jmespath::internal

#endif  // VIGIL_POLICY_JMESPATH_LEXER_H_
