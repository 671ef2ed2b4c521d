#include "policy/jmespath/lexer.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "policy/jmespath/error.h"
#include "policy/jmespath/json_util.h"
#include "policy/jmespath/limits.h"

namespace vigil::jmespath::internal {
namespace {

constexpr int64_t kNumberClamp = int64_t{1} << 62;

bool IsIdentifierStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsIdentifierChar(char c) {
  return IsIdentifierStart(c) || (c >= '0' && c <= '9');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
 public:
  explicit Lexer(absl::string_view text) : text_(text) {}

  absl::StatusOr<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    // Most tokens are one to a few bytes; this avoids regrowing the vector
    // (capped so a huge expression does not reserve far more than it uses).
    tokens.reserve(std::min<size_t>(text_.size() / 2 + 2, 1024));
    // Columns are counted incrementally: ColumnAt() per token would make
    // long expressions quadratic to parse.
    size_t counted = 0;
    int32_t column = 1;
    while (true) {
      while (pos_ < text_.size() && IsWhitespace(text_[pos_])) ++pos_;
      Token token;
      token.offset = pos_;
      for (; counted < pos_; ++counted) {
        if ((static_cast<unsigned char>(text_[counted]) & 0xC0) != 0x80) {
          ++column;
        }
      }
      token.column = column;
      if (pos_ >= text_.size()) {
        tokens.push_back(std::move(token));
        return tokens;
      }
      absl::Status status = Next(token);
      if (!status.ok()) return status;
      tokens.push_back(std::move(token));
    }
  }

 private:
  static bool IsWhitespace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }

  absl::Status Error(size_t offset, absl::string_view detail) const {
    return MakeError(ErrorKind::kSyntax, ColumnAt(text_, offset), detail);
  }

  char Peek(size_t ahead) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  // One token starting at pos_ (not whitespace, not end).
  absl::Status Next(Token& token) {
    const char c = text_[pos_];
    if (IsIdentifierStart(c)) {
      size_t start = pos_;
      while (pos_ < text_.size() && IsIdentifierChar(text_[pos_])) ++pos_;
      token.type = TokenType::kUnquotedIdentifier;
      token.text = std::string(text_.substr(start, pos_ - start));
      return absl::OkStatus();
    }
    if (IsDigit(c) || (c == '-' && IsDigit(Peek(1)))) return Number(token);
    switch (c) {
      case '.':
        return Single(token, TokenType::kDot);
      case '*':
        return Single(token, TokenType::kStar);
      case ']':
        return Single(token, TokenType::kRbracket);
      case '{':
        return Single(token, TokenType::kLbrace);
      case '}':
        return Single(token, TokenType::kRbrace);
      case '(':
        return Single(token, TokenType::kLparen);
      case ')':
        return Single(token, TokenType::kRparen);
      case ',':
        return Single(token, TokenType::kComma);
      case ':':
        return Single(token, TokenType::kColon);
      case '@':
        return Single(token, TokenType::kCurrent);
      case '[':
        if (Peek(1) == ']') return Double(token, TokenType::kFlatten);
        if (Peek(1) == '?') return Double(token, TokenType::kFilter);
        return Single(token, TokenType::kLbracket);
      case '|':
        if (Peek(1) == '|') return Double(token, TokenType::kOr);
        return Single(token, TokenType::kPipe);
      case '&':
        if (Peek(1) == '&') return Double(token, TokenType::kAnd);
        return Single(token, TokenType::kExpref);
      case '!':
        if (Peek(1) == '=') return Double(token, TokenType::kNe);
        return Single(token, TokenType::kNot);
      case '<':
        if (Peek(1) == '=') return Double(token, TokenType::kLte);
        return Single(token, TokenType::kLt);
      case '>':
        if (Peek(1) == '=') return Double(token, TokenType::kGte);
        return Single(token, TokenType::kGt);
      case '=':
        if (Peek(1) == '=') return Double(token, TokenType::kEq);
        return Error(pos_, "unexpected '=' (did you mean '=='?)");
      case '"':
        return QuotedIdentifier(token);
      case '\'':
        return RawString(token);
      case '`':
        return JsonLiteral(token);
      default:
        break;
    }
    if (c == '-') return Error(pos_, "'-' must be followed by a digit");
    return Error(pos_, absl::StrCat("unexpected character '",
                                    absl::CEscape(text_.substr(pos_, 1)), "'"));
  }

  absl::Status Single(Token& token, TokenType type) {
    token.type = type;
    pos_ += 1;
    return absl::OkStatus();
  }
  absl::Status Double(Token& token, TokenType type) {
    token.type = type;
    pos_ += 2;
    return absl::OkStatus();
  }

  absl::Status Number(Token& token) {
    const bool negative = text_[pos_] == '-';
    if (negative) ++pos_;
    int64_t magnitude = 0;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) {
      const int digit = text_[pos_] - '0';
      // Clamp without overflowing: only multiply while the result stays
      // within kNumberClamp (found by the libFuzzer pass: 22222222222222222222).
      if (magnitude <= (kNumberClamp - digit) / 10) {
        magnitude = magnitude * 10 + digit;
      } else {
        magnitude = kNumberClamp;
      }
      ++pos_;
    }
    token.type = TokenType::kNumber;
    token.number = negative ? -magnitude : magnitude;
    return absl::OkStatus();
  }

  // Reads up to the closing `delimiter`; a backslash keeps itself and the
  // next character (jmespath.py _consume_until). Returns the raw content.
  absl::StatusOr<absl::string_view> Delimited(char delimiter) {
    const size_t open = pos_;
    ++pos_;
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != delimiter) {
      pos_ += text_[pos_] == '\\' ? 2 : 1;
    }
    if (pos_ >= text_.size()) {
      return Error(open, absl::StrCat("unterminated ", std::string(1, delimiter),
                                      " (opened here)"));
    }
    absl::string_view content = text_.substr(start, pos_ - start);
    ++pos_;
    return content;
  }

  // quoted-identifier = quote *(unescaped-char / escaped-char) quote
  absl::Status QuotedIdentifier(Token& token) {
    const size_t open = pos_;
    absl::StatusOr<absl::string_view> content = Delimited('"');
    if (!content.ok()) return content.status();
    std::string json_text = absl::StrCat("\"", *content, "\"");
    Json parsed = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_string()) {
      return Error(open, "invalid quoted identifier (not a valid JSON string)");
    }
    token.type = TokenType::kQuotedIdentifier;
    token.text = std::move(*parsed.get_ptr<std::string*>());
    return absl::OkStatus();
  }

  // raw-string = "'" *raw-string-char "'"; only \' is unescaped, every other
  // backslash is kept (jmespath.py and the compliance suite: '\\' is two
  // backslashes).
  absl::Status RawString(Token& token) {
    absl::StatusOr<absl::string_view> content = Delimited('\'');
    if (!content.ok()) return content.status();
    token.type = TokenType::kLiteral;
    token.literal = absl::StrReplaceAll(*content, {{"\\'", "'"}});
    return absl::OkStatus();
  }

  // literal = "`" json-value "`"; \` stands for a backtick.
  absl::Status JsonLiteral(Token& token) {
    const size_t open = pos_;
    absl::StatusOr<absl::string_view> content = Delimited('`');
    if (!content.ok()) return content.status();
    std::string json_text = absl::StrReplaceAll(*content, {{"\\`", "`"}});
    Json parsed = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      return Error(open, "invalid JSON literal");
    }
    int64_t nodes = 0;
    if (!CheckDepthAndCount(parsed, kMaxValueDepth, &nodes)) {
      return MakeError(ErrorKind::kLimitExceeded, ColumnAt(text_, open),
                       "JSON literal nests too deeply");
    }
    token.type = TokenType::kLiteral;
    token.literal = std::move(parsed);
    return absl::OkStatus();
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::string_view TokenTypeName(TokenType type) {
  switch (type) {
    case TokenType::kEof:
      return "end of expression";
    case TokenType::kUnquotedIdentifier:
      return "identifier";
    case TokenType::kQuotedIdentifier:
      return "quoted identifier";
    case TokenType::kLiteral:
      return "literal";
    case TokenType::kNumber:
      return "number";
    case TokenType::kDot:
      return "'.'";
    case TokenType::kStar:
      return "'*'";
    case TokenType::kLbracket:
      return "'['";
    case TokenType::kRbracket:
      return "']'";
    case TokenType::kLbrace:
      return "'{'";
    case TokenType::kRbrace:
      return "'}'";
    case TokenType::kLparen:
      return "'('";
    case TokenType::kRparen:
      return "')'";
    case TokenType::kComma:
      return "','";
    case TokenType::kColon:
      return "':'";
    case TokenType::kPipe:
      return "'|'";
    case TokenType::kOr:
      return "'||'";
    case TokenType::kAnd:
      return "'&&'";
    case TokenType::kNot:
      return "'!'";
    case TokenType::kExpref:
      return "'&'";
    case TokenType::kFilter:
      return "'[?'";
    case TokenType::kFlatten:
      return "'[]'";
    case TokenType::kCurrent:
      return "'@'";
    case TokenType::kEq:
      return "'=='";
    case TokenType::kNe:
      return "'!='";
    case TokenType::kLt:
      return "'<'";
    case TokenType::kLte:
      return "'<='";
    case TokenType::kGt:
      return "'>'";
    case TokenType::kGte:
      return "'>='";
  }
  return "token";
}

int ColumnAt(absl::string_view text, size_t offset) {
  if (offset > text.size()) offset = text.size();
  int column = 1;
  for (size_t i = 0; i < offset; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
  }
  return column;
}

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view expression) {
  return Lexer(expression).Run();
}

}  // namespace vigil::jmespath::internal
