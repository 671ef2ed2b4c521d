// File: policy/lexer.h
// -----------------------------------------------------------------------------
// The policy language's lexer (maa-spec.md §1.4): policy text -> PolicyTokens.
// Named PolicyToken so it cannot be confused with a JWT. Keywords (version,
// section names, type/value/issuer, permit, add, ...) are plain identifiers;
// the parser gives them meaning by position.
//
// Internal to the policy compiler; use compiler.h.

#ifndef VIGIL_POLICY_LEXER_H_
#define VIGIL_POLICY_LEXER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "policy/issue.h"
#include "policy/source.h"

namespace vigil::policy {

// WARNING: TokenKindName() in lexer.cc is indexed by this order.
enum class TokenKind : uint8_t {
  kEof,
  kIdentifier,  // [A-Za-z_][A-Za-z0-9_]*
  kInteger,     // [0-9]+ (a leading '-' is part of the literal, see Lex())
  kString,      // "..." with C-style escapes
  kLBracket,    // [
  kRBracket,    // ]
  kLParen,      // (
  kRParen,      // )
  kLBrace,      // {
  kRBrace,      // }
  kComma,       // ,
  kSemicolon,   // ;
  kColon,       // :
  kDot,         // .
  kArrow,       // =>
  kAndAnd,      // &&
  kBang,        // !
  kAssign,      // =
  kEq,          // ==
  kNe,          // !=
  kLt,          // <
  kLe,          // <=
  kGt,          // >
  kGe,          // >=
  kError,       // a character or literal the lexer rejected (already reported)
};

// How a token kind is shown in messages: "']'", "identifier", "end of input".
absl::string_view TokenKindName(TokenKind kind);

struct PolicyToken {
  TokenKind kind = TokenKind::kEof;
  size_t offset = 0;  // byte offset of the first character
  size_t end = 0;     // byte offset one past the last character
  // kIdentifier: the name; kString: the decoded value.
  std::string text;
  // kInteger: the value (an out-of-range literal is reported and becomes 0).
  int64_t integer = 0;
};

// Lex(): all tokens of `source`, ending with one kEof token. `//` comments
// run to the end of the line and are skipped. Problems (an unknown character,
// an unterminated string, an integer out of int64 range, '||') are appended
// to `issues` as errors, and a kError token stands in for the bad input so
// the parser can carry on. An unknown escape sequence in a string ("\[") is
// kept as written, backslash included. Never fails otherwise.
std::vector<PolicyToken> Lex(const Source& source, std::vector<Issue>* issues);

// Describe(): a token as a message shows it: "'=>'", "identifier 'c'",
// "string \"x\"", "integer 15", "end of input".
std::string Describe(const PolicyToken& token);

}  // namespace vigil::policy

#endif  // VIGIL_POLICY_LEXER_H_
