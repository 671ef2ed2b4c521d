#include "policy/lexer.h"

#include <array>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vigil::policy {
namespace {

constexpr std::array<absl::string_view, 25> kKindNames = {
    "end of input", "identifier", "integer", "string", "'['", "']'", "'('",
    "')'",          "'{'",        "'}'",     "','",    "';'", "':'", "'.'",
    "'=>'",         "'&&'",       "'!'",     "'='",    "'=='", "'!='", "'<'",
    "'<='",         "'>'",        "'>='",    "invalid input"};
static_assert(kKindNames.size() == static_cast<size_t>(TokenKind::kError) + 1);

bool IsIdentStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

class Lexer {
 public:
  Lexer(const Source& source, std::vector<Issue>* issues)
      : source_(source), text_(source.text()), issues_(issues) {}

  std::vector<PolicyToken> Run() {
    std::vector<PolicyToken> tokens;
    while (true) {
      SkipSpaceAndComments();
      PolicyToken token = Next();
      bool eof = token.kind == TokenKind::kEof;
      tokens.push_back(std::move(token));
      if (eof) break;
    }
    return tokens;
  }

 private:
  void Error(size_t offset, std::string message) {
    issues_->emplace_back(Issue::Severity::kError, offset,
                          source_.Location(offset), std::move(message));
  }

  void SkipSpaceAndComments() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
          c == '\v') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        return;
      }
    }
  }

  PolicyToken Make(TokenKind kind, size_t start) {
    PolicyToken token;
    token.kind = kind;
    token.offset = start;
    token.end = pos_;
    return token;
  }

  bool Peek(char c, size_t ahead = 0) const {
    return pos_ + ahead < text_.size() && text_[pos_ + ahead] == c;
  }

  PolicyToken Next() {
    size_t start = pos_;
    if (pos_ >= text_.size()) return Make(TokenKind::kEof, start);
    char c = text_[pos_];
    if (IsIdentStart(c)) {
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      PolicyToken token = Make(TokenKind::kIdentifier, start);
      token.text = text_.substr(start, pos_ - start);
      return token;
    }
    if (absl::ascii_isdigit(c) ||
        (c == '-' && pos_ + 1 < text_.size() &&
         absl::ascii_isdigit(text_[pos_ + 1]))) {
      return Integer();
    }
    if (c == '"') return String();
    ++pos_;
    switch (c) {
      case '[': return Make(TokenKind::kLBracket, start);
      case ']': return Make(TokenKind::kRBracket, start);
      case '(': return Make(TokenKind::kLParen, start);
      case ')': return Make(TokenKind::kRParen, start);
      case '{': return Make(TokenKind::kLBrace, start);
      case '}': return Make(TokenKind::kRBrace, start);
      case ',': return Make(TokenKind::kComma, start);
      case ';': return Make(TokenKind::kSemicolon, start);
      case ':': return Make(TokenKind::kColon, start);
      case '.': return Make(TokenKind::kDot, start);
      case '=':
        if (Peek('>')) { ++pos_; return Make(TokenKind::kArrow, start); }
        if (Peek('=')) { ++pos_; return Make(TokenKind::kEq, start); }
        return Make(TokenKind::kAssign, start);
      case '!':
        if (Peek('=')) { ++pos_; return Make(TokenKind::kNe, start); }
        return Make(TokenKind::kBang, start);
      case '<':
        if (Peek('=')) { ++pos_; return Make(TokenKind::kLe, start); }
        return Make(TokenKind::kLt, start);
      case '>':
        if (Peek('=')) { ++pos_; return Make(TokenKind::kGe, start); }
        return Make(TokenKind::kGt, start);
      case '&':
        if (Peek('&')) { ++pos_; return Make(TokenKind::kAndAnd, start); }
        Error(start, "unexpected '&' (conditions are joined with '&&')");
        return Make(TokenKind::kError, start);
      case '|':
        if (Peek('|')) {
          ++pos_;
          Error(start,
                "'||' is not part of the policy language; write one rule per "
                "alternative");
        } else {
          Error(start, "unexpected '|'");
        }
        return Make(TokenKind::kError, start);
      case '/':
        if (Peek('*')) {
          Error(start, "block comments are not supported; use '//'");
          while (pos_ < text_.size() &&
                 !(text_[pos_] == '*' && Peek('/', 1))) {
            ++pos_;
          }
          pos_ = std::min(text_.size(), pos_ + 2);
          return Make(TokenKind::kError, start);
        }
        break;
      default:
        break;
    }
    // Report the whole UTF-8 character, not just its first byte.
    while (pos_ < text_.size() &&
           (static_cast<unsigned char>(text_[pos_]) & 0xC0) == 0x80) {
      ++pos_;
    }
    absl::string_view ch = absl::string_view(text_).substr(start, pos_ - start);
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      Error(start, absl::StrFormat("unexpected character U+%04X",
                                   static_cast<unsigned char>(c)));
    } else {
      Error(start, absl::StrCat("unexpected character '", ch, "'"));
    }
    return Make(TokenKind::kError, start);
  }

  PolicyToken Integer() {
    size_t start = pos_;
    bool negative = text_[pos_] == '-';
    if (negative) ++pos_;
    // Accumulate as a negative number so INT64_MIN is representable.
    int64_t value = 0;
    bool overflow = false;
    while (pos_ < text_.size() && absl::ascii_isdigit(text_[pos_])) {
      int digit = text_[pos_] - '0';
      if (value < (std::numeric_limits<int64_t>::min() + digit) / 10) {
        overflow = true;
      } else {
        value = value * 10 - digit;
      }
      ++pos_;
    }
    if (!overflow && !negative && value == std::numeric_limits<int64_t>::min()) {
      overflow = true;
    }
    PolicyToken token = Make(TokenKind::kInteger, start);
    if (overflow) {
      Error(start, absl::StrCat("integer literal ",
                                text_.substr(start, pos_ - start),
                                " is out of the 64-bit signed range"));
      token.kind = TokenKind::kError;
      return token;
    }
    token.integer = negative ? value : -value;
    if (pos_ < text_.size() && IsIdentChar(text_[pos_])) {
      // "0xFF", "15abc": report rather than silently splitting the token.
      size_t bad = pos_;
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      Error(start, absl::StrCat("malformed integer literal '",
                                text_.substr(start, pos_ - start),
                                "' (only decimal integers are supported)"));
      (void)bad;
      token.kind = TokenKind::kError;
      token.end = pos_;
    }
    return token;
  }

  PolicyToken String() {
    size_t start = pos_++;
    std::string value;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n' || text_[pos_] == '\r') {
        std::string message = "unterminated string literal";
        absl::string_view body =
            absl::string_view(text_).substr(start, pos_ - start);
        if (body.find("\xE2\x80\x9D") != absl::string_view::npos ||
            body.find("\xE2\x80\x9C") != absl::string_view::npos) {
          absl::StrAppend(&message,
                          " (a typographic quote such as '\xE2\x80\x9D' does "
                          "not close a string; use '\"')");
        }
        Error(start, std::move(message));
        PolicyToken token = Make(TokenKind::kError, start);
        return token;
      }
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c == '\\' && pos_ + 1 < text_.size()) {
        char e = text_[pos_ + 1];
        switch (e) {
          case '"': value.push_back('"'); pos_ += 2; continue;
          case '\\': value.push_back('\\'); pos_ += 2; continue;
          case '/': value.push_back('/'); pos_ += 2; continue;
          case 'n': value.push_back('\n'); pos_ += 2; continue;
          case 't': value.push_back('\t'); pos_ += 2; continue;
          case 'r': value.push_back('\r'); pos_ += 2; continue;
          default:
            // Kept verbatim (maa-spec.md §1.4 "C-style escapes" covers only
            // \" and \\; "\[\*\]" in a published table row must reach
            // JMESPath unchanged, corpus README J5).
            value.push_back('\\');
            ++pos_;
            continue;
        }
      }
      value.push_back(c);
      ++pos_;
    }
    PolicyToken token = Make(TokenKind::kString, start);
    token.text = std::move(value);
    return token;
  }

  const Source& source_;
  const std::string& text_;
  std::vector<Issue>* issues_;
  size_t pos_ = 0;
};

std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

absl::string_view TokenKindName(TokenKind kind) {
  return kKindNames[static_cast<size_t>(kind)];
}

std::vector<PolicyToken> Lex(const Source& source, std::vector<Issue>* issues) {
  return Lexer(source, issues).Run();
}

std::string Describe(const PolicyToken& token) {
  switch (token.kind) {
    case TokenKind::kIdentifier:
      return absl::StrCat("identifier '", token.text, "'");
    case TokenKind::kString:
      if (token.text.size() > 40) {
        return absl::StrCat("string ", Quote(token.text.substr(0, 37)), "...");
      }
      return absl::StrCat("string ", Quote(token.text));
    case TokenKind::kInteger:
      return absl::StrCat("integer ", token.integer);
    default:
      return std::string(TokenKindName(token.kind));
  }
}

}  // namespace vigil::policy
