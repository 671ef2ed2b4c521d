#include "policy/parser.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "policy/lexer.h"

namespace vigil::policy {
namespace {

using ast::ActionKind;
using ast::CompareOp;
using ast::Expr;
using ast::Property;
using ast::SectionKind;

constexpr int kMaxExprDepth = 64;
constexpr size_t kMaxIssues = 100;

class Parser {
 public:
  Parser(const Source& source, Mode mode, std::vector<Issue>* issues)
      : source_(source), mode_(mode), issues_(issues) {
    tokens_ = Lex(source, issues);
  }

  // policy := versionInfo section* EOF
  ast::Policy ParsePolicy() {
    ast::Policy policy;
    if (!ParseVersion(&policy)) SyncToSection();
    while (!At(TokenKind::kEof) && !TooManyIssues()) {
      if (!ParseSection(&policy)) SyncToSection();
    }
    return policy;
  }

  // ruleList := rule* EOF
  ast::Policy ParseRuleList(SectionKind kind) {
    ast::Policy policy;
    policy.is_rule_list = true;
    ast::Section section;
    section.kind = kind;
    if (AtIdentifier("version") && Peek(1).kind == TokenKind::kAssign) {
      Error(Cur().offset,
            "a rule list has no version header; compile a complete policy "
            "instead");
      SyncRule();
    }
    while (!At(TokenKind::kEof) && !TooManyIssues()) {
      if (At(TokenKind::kRBrace)) {
        Error(Cur().offset, absl::StrCat("unexpected ", Describe(Cur()),
                                         " (a rule list has no sections)"));
        Advance();
        continue;
      }
      ParseRuleOrSync(&section);
    }
    policy.sections.push_back(std::move(section));
    return policy;
  }

 private:
  // ----- token access -----
  const PolicyToken& Cur() const { return tokens_[pos_]; }
  const PolicyToken& Peek(size_t ahead) const {
    size_t i = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  bool At(TokenKind kind) const { return Cur().kind == kind; }
  bool AtIdentifier(absl::string_view name) const {
    return Cur().kind == TokenKind::kIdentifier && Cur().text == name;
  }
  const PolicyToken& Advance() {
    const PolicyToken& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool Accept(TokenKind kind) {
    if (!At(kind)) return false;
    Advance();
    return true;
  }

  // ----- issues -----
  bool TooManyIssues() const { return issues_->size() >= kMaxIssues; }

  void Report(Issue::Severity severity, size_t offset, std::string message) {
    if (issues_->size() >= kMaxIssues) return;
    issues_->emplace_back(severity, offset, source_.Location(offset),
                          std::move(message));
    if (issues_->size() == kMaxIssues) {
      issues_->emplace_back(Issue::Severity::kError, offset,
                            source_.Location(offset),
                            "too many problems; stopping here");
    }
  }
  void Error(size_t offset, std::string message) {
    Report(Issue::Severity::kError, offset, std::move(message));
  }
  // A documented slip: an error in strict mode, a warning in compat mode.
  void Slip(size_t offset, std::string message) {
    Report(mode_ == Mode::kStrict ? Issue::Severity::kError
                                  : Issue::Severity::kWarning,
           offset, std::move(message));
  }
  // "expected X, got Y" at the current token. Tokens the lexer rejected were
  // reported already, so they do not get a second message.
  void Expected(absl::string_view what) {
    if (At(TokenKind::kError)) return;
    Error(Cur().offset, absl::StrCat("expected ", what, ", got ", Describe(Cur())));
  }
  // Consumes the closing token of a pair or reports
  // "expected ']' (to close '[' at 3:5)".
  bool ExpectClose(TokenKind close, TokenKind open, size_t open_offset) {
    if (Accept(close)) return true;
    if (At(TokenKind::kError)) return false;
    Error(Cur().offset,
          absl::StrCat("expected ", TokenKindName(close), " (to close ",
                       TokenKindName(open), " at ",
                       source_.Location(open_offset).ToString(), "), got ",
                       Describe(Cur())));
    return false;
  }
  bool Expect(TokenKind kind, absl::string_view context) {
    if (Accept(kind)) return true;
    Expected(absl::StrCat(TokenKindName(kind), context.empty() ? "" : " ",
                          context));
    return false;
  }

  // ----- recovery -----
  // Skips to just after the next ';' or to a '}' / end of input.
  void SyncRule() {
    while (!At(TokenKind::kEof) && !At(TokenKind::kRBrace)) {
      if (Accept(TokenKind::kSemicolon)) return;
      Advance();
    }
  }
  // Skips to the next section keyword at the start of a section, or the end.
  void SyncToSection() {
    while (!At(TokenKind::kEof)) {
      if (At(TokenKind::kIdentifier) && SectionFromName(Cur().text).has_value() &&
          Peek(1).kind == TokenKind::kLBrace) {
        return;
      }
      Advance();
    }
  }

  static std::optional<SectionKind> SectionFromName(absl::string_view name) {
    std::string lower = absl::AsciiStrToLower(name);
    if (lower == "configurationrules") return SectionKind::kConfiguration;
    if (lower == "authorizationrules") return SectionKind::kAuthorization;
    if (lower == "issuancerules") return SectionKind::kIssuance;
    return std::nullopt;
  }

  // Whether the current token can start a rule (used to supply a missing ';').
  bool AtRuleStart() const {
    switch (Cur().kind) {
      case TokenKind::kLBracket:
      case TokenKind::kBang:
      case TokenKind::kArrow:
        return true;
      case TokenKind::kIdentifier:
        return Peek(1).kind == TokenKind::kColon;
      default:
        return false;
    }
  }

  // versionInfo := "version" "=" INTEGER "." INTEGER ";"
  bool ParseVersion(ast::Policy* policy) {
    policy->version_offset = Cur().offset;
    if (!AtIdentifier("version")) {
      if (At(TokenKind::kError)) return false;
      std::string message = absl::StrCat(
          "expected 'version' (a policy starts with version=MAJOR.MINOR;), got ",
          Describe(Cur()));
      if (AtRuleStart()) {
        absl::StrAppend(&message,
                        "; to compile a bare list of rules use the rule-list "
                        "mode");
      }
      Error(Cur().offset, std::move(message));
      return false;
    }
    Advance();
    if (!Expect(TokenKind::kAssign, "after 'version'")) return false;
    if (!At(TokenKind::kInteger)) {
      Expected("a version number such as 1.2");
      return false;
    }
    int64_t major = Advance().integer;
    if (!Expect(TokenKind::kDot, "in the version number (MAJOR.MINOR)")) {
      return false;
    }
    if (!At(TokenKind::kInteger)) {
      Expected("the minor version number");
      return false;
    }
    int64_t minor = Advance().integer;
    policy->major = static_cast<int>(std::min<int64_t>(major, 1 << 20));
    policy->minor = static_cast<int>(std::min<int64_t>(minor, 1 << 20));
    if (!At(TokenKind::kSemicolon)) {
      Expected("';' after the version");
      return false;
    }
    Advance();
    return true;
  }

  // section := SECTIONNAME "{" rule* "}" ";"
  bool ParseSection(ast::Policy* policy) {
    if (!At(TokenKind::kIdentifier)) {
      Expected(
          "a section ('configurationrules', 'authorizationrules' or "
          "'issuancerules')");
      return false;
    }
    std::optional<SectionKind> kind = SectionFromName(Cur().text);
    if (!kind.has_value()) {
      Expected(
          "a section ('configurationrules', 'authorizationrules' or "
          "'issuancerules')");
      return false;
    }
    ast::Section section;
    section.kind = *kind;
    section.offset = Cur().offset;
    if (Cur().text != ast::SectionName(*kind)) {
      Slip(Cur().offset,
           absl::StrCat("section keyword '", Cur().text, "' should be written '",
                        ast::SectionName(*kind), "'"));
    }
    Advance();
    size_t open = Cur().offset;
    if (!Expect(TokenKind::kLBrace, absl::StrCat("after '", ast::SectionName(*kind), "'"))) {
      return false;
    }
    while (!At(TokenKind::kRBrace) && !At(TokenKind::kEof) && !TooManyIssues()) {
      ParseRuleOrSync(&section);
    }
    bool closed = ExpectClose(TokenKind::kRBrace, TokenKind::kLBrace, open);
    policy->sections.push_back(std::move(section));
    if (!closed) return false;
    if (!Accept(TokenKind::kSemicolon)) {
      if (At(TokenKind::kEof) ||
          (At(TokenKind::kIdentifier) && SectionFromName(Cur().text))) {
        Slip(tokens_[pos_ - 1].end,
             absl::StrCat("expected ';' after '}' (to end ",
                                        ast::SectionName(policy->sections.back().kind),
                                        "), got ", Describe(Cur())));
      } else {
        Expected("';' after '}'");
        return false;
      }
    }
    return true;
  }

  void ParseRuleOrSync(ast::Section* section) {
    size_t before = pos_;
    ast::Rule rule;
    if (ParseRule(&rule)) {
      section->rules.push_back(std::move(rule));
    } else {
      SyncRule();
      if (pos_ == before && !At(TokenKind::kEof) && !At(TokenKind::kRBrace)) {
        Advance();
      }
    }
  }

  // rule := [conditionList] "=>" action ";"
  bool ParseRule(ast::Rule* rule) {
    rule->offset = Cur().offset;
    if (!At(TokenKind::kArrow)) {
      if (!ParseConditionList(&rule->conditions)) return false;
    }
    if (!At(TokenKind::kArrow)) {
      Expected(rule->conditions.empty() ? "a condition '[' or '=>'"
                                        : "'&&' or '=>'");
      return false;
    }
    Advance();
    if (!ParseAction(&rule->action)) return false;
    rule->end = tokens_[pos_ > 0 ? pos_ - 1 : 0].end;
    if (Accept(TokenKind::kSemicolon)) {
      rule->end = tokens_[pos_ - 1].end;
      return true;
    }
    if (At(TokenKind::kRBrace) || At(TokenKind::kEof) || AtRuleStart()) {
      Slip(rule->end,
           absl::StrCat("expected ';' after the rule at ",
                        source_.Location(rule->offset).ToString(), ", got ",
                        Describe(Cur())));
      return true;
    }
    Expected("';' after the rule's action");
    return false;
  }

  // conditionList := condition ("&&" condition)*
  bool ParseConditionList(std::vector<ast::Condition>* conditions) {
    do {
      ast::Condition condition;
      if (!ParseCondition(&condition)) return false;
      conditions->push_back(std::move(condition));
    } while (Accept(TokenKind::kAndAnd));
    return true;
  }

  // condition := ["!"] [IDENT ":"] "[" propCond ("," propCond)* "]"
  bool ParseCondition(ast::Condition* condition) {
    condition->offset = Cur().offset;
    if (Accept(TokenKind::kBang)) condition->negated = true;
    if (At(TokenKind::kIdentifier) && Peek(1).kind == TokenKind::kColon) {
      condition->identifier = Cur().text;
      condition->identifier_offset = Cur().offset;
      Advance();
      Advance();
    }
    if (!At(TokenKind::kLBracket)) {
      Expected(condition->identifier.empty() && !condition->negated
                   ? "a condition '[' or '=>'"
                   : "'[' to start the condition");
      return false;
    }
    size_t open = Cur().offset;
    Advance();
    do {
      ast::PropertyCondition prop;
      if (!ParsePropertyCondition(&prop)) return false;
      condition->properties.push_back(std::move(prop));
    } while (Accept(TokenKind::kComma));
    if (!ExpectClose(TokenKind::kRBracket, TokenKind::kLBracket, open)) {
      return false;
    }
    condition->end = tokens_[pos_ - 1].end;
    return true;
  }

  std::optional<Property> PropertyFromName(absl::string_view name) {
    if (name == "type") return Property::kType;
    if (name == "value") return Property::kValue;
    if (name == "issuer") return Property::kIssuer;
    if (name == "valueType") return Property::kValueType;
    return std::nullopt;
  }

  // propCond := ("type"|"value"|"issuer"|"valueType") compOp valueExpr
  bool ParsePropertyCondition(ast::PropertyCondition* prop) {
    prop->offset = Cur().offset;
    if (!At(TokenKind::kIdentifier)) {
      Expected("a claim property (type, value, issuer or valueType)");
      return false;
    }
    std::optional<Property> property = PropertyFromName(Cur().text);
    if (!property) {
      Error(Cur().offset,
            absl::StrCat("unknown claim property '", Cur().text,
                         "' (expected type, value, issuer or valueType)"));
      return false;
    }
    prop->property = *property;
    Advance();
    prop->op_offset = Cur().offset;
    switch (Cur().kind) {
      case TokenKind::kEq: prop->op = CompareOp::kEq; break;
      case TokenKind::kNe: prop->op = CompareOp::kNe; break;
      case TokenKind::kLt: prop->op = CompareOp::kLt; break;
      case TokenKind::kLe: prop->op = CompareOp::kLe; break;
      case TokenKind::kGt: prop->op = CompareOp::kGt; break;
      case TokenKind::kGe: prop->op = CompareOp::kGe; break;
      case TokenKind::kAssign:
        prop->op = CompareOp::kEq;
        prop->single_equals = true;
        Slip(Cur().offset,
             mode_ == Mode::kStrict
                 ? "'=' cannot compare in a condition; use '=='"
                 : "'=' in a condition is read as '=='");
        break;
      default:
        Expected("a comparison operator ('==', '!=', '<', '<=', '>', '>=')");
        return false;
    }
    Advance();
    return ParseExpr(&prop->operand, 0);
  }

  // action := "permit" "(" ")" | "deny" "(" ")"
  //         | ("add" | "issue" | "issueproperty") "(" actionArgs ")"
  bool ParseAction(ast::Action* action) {
    action->offset = Cur().offset;
    if (!At(TokenKind::kIdentifier)) {
      Expected("an action (permit, deny, add, issue or issueproperty)");
      return false;
    }
    const std::string& name = Cur().text;
    if (name == "permit") {
      action->kind = ActionKind::kPermit;
    } else if (name == "deny") {
      action->kind = ActionKind::kDeny;
    } else if (name == "add") {
      action->kind = ActionKind::kAdd;
    } else if (name == "issue") {
      action->kind = ActionKind::kIssue;
    } else if (name == "issueproperty") {
      action->kind = ActionKind::kIssueProperty;
    } else {
      Expected("an action (permit, deny, add, issue or issueproperty)");
      return false;
    }
    Advance();
    size_t open = Cur().offset;
    if (!Expect(TokenKind::kLParen, absl::StrCat("after '", name, "'"))) {
      return false;
    }
    if (action->kind == ActionKind::kPermit || action->kind == ActionKind::kDeny) {
      if (!At(TokenKind::kRParen) && !At(TokenKind::kError)) {
        Error(Cur().offset, absl::StrCat(name, "() takes no arguments"));
        return false;
      }
    } else if (!ParseActionArgs(action, name)) {
      return false;
    }
    return ExpectClose(TokenKind::kRParen, TokenKind::kLParen, open);
  }

  // actionArgs := "claim" "=" IDENT
  //             | argName "=" valueExpr ("," argName "=" valueExpr)*
  //   argName  := "type" | "value" | "valueType"
  bool ParseActionArgs(ast::Action* action, absl::string_view name) {
    if (At(TokenKind::kRParen)) {
      Error(Cur().offset,
            absl::StrCat(name,
                         "() needs claim=IDENTIFIER or type=..., value=..."));
      return false;
    }
    if (AtIdentifier("claim") && Peek(1).kind == TokenKind::kAssign) {
      Advance();
      Advance();
      if (!At(TokenKind::kIdentifier)) {
        Expected("a claim variable after 'claim='");
        return false;
      }
      action->claim_identifier = Cur().text;
      action->claim_offset = Cur().offset;
      Advance();
      return true;
    }
    do {
      if (!At(TokenKind::kIdentifier) || Peek(1).kind != TokenKind::kAssign) {
        Expected(absl::StrCat(
            "'claim=' or 'type=', 'value=', 'valueType=' (arguments of ", name,
            "() are named)"));
        return false;
      }
      std::string arg = Cur().text;
      size_t arg_offset = Cur().offset;
      Advance();
      Advance();
      if (arg == "type" || arg == "value") {
        std::optional<Expr>& slot = arg == "type" ? action->type : action->value;
        if (slot.has_value()) {
          Error(arg_offset, absl::StrCat("duplicate argument '", arg, "'"));
          return false;
        }
        Expr expr;
        if (!ParseExpr(&expr, 0)) return false;
        slot = std::move(expr);
      } else if (arg == "valueType") {
        if (!At(TokenKind::kString)) {
          Expected("a string (\"String\", \"Integer\" or \"Boolean\")");
          return false;
        }
        action->value_type = Cur().text;
        action->value_type_offset = Cur().offset;
        Advance();
      } else {
        Error(arg_offset,
              absl::StrCat("unknown argument '", arg, "' of ", name,
                           "() (expected type, value or valueType)"));
        return false;
      }
    } while (Accept(TokenKind::kComma));
    if (!action->type.has_value() || !action->value.has_value()) {
      Error(action->offset,
            absl::StrCat(name, "() needs both type= and value="));
      return false;
    }
    return true;
  }

  // valueExpr := STRING | INTEGER | "true" | "false" | IDENT "." prop | funcCall
  bool ParseExpr(Expr* expr, int depth) {
    expr->offset = Cur().offset;
    if (depth > kMaxExprDepth) {
      Error(Cur().offset, "expression nests too deeply");
      return false;
    }
    const PolicyToken& t = Cur();
    switch (t.kind) {
      case TokenKind::kString:
        expr->kind = Expr::Kind::kString;
        expr->string_value = t.text;
        break;
      case TokenKind::kInteger:
        expr->kind = Expr::Kind::kInt;
        expr->int_value = t.integer;
        break;
      case TokenKind::kIdentifier:
        if (Peek(1).kind == TokenKind::kLParen) return ParseCall(expr, depth);
        if (Peek(1).kind == TokenKind::kDot) {
          expr->kind = Expr::Kind::kPropertyRef;
          expr->identifier = t.text;
          Advance();
          Advance();
          expr->property_offset = Cur().offset;
          std::optional<Property> property;
          if (At(TokenKind::kIdentifier)) property = PropertyFromName(Cur().text);
          if (!property) {
            Expected("a claim property (type, value, issuer or valueType)");
            return false;
          }
          expr->property = *property;
          expr->end = Advance().end;
          return true;
        }
        if (t.text == "true" || t.text == "false") {
          expr->kind = Expr::Kind::kBool;
          expr->bool_value = t.text == "true";
          break;
        }
        Error(t.offset,
              absl::StrCat("expected a value, got ", Describe(t),
                           " (a claim's property is written ", t.text,
                           ".value)"));
        return false;
      default:
        Expected(
            "a value (string, integer, true, false, claim property or "
            "function call)");
        return false;
    }
    expr->end = Advance().end;
    return true;
  }

  // funcCall := FUNCNAME "(" [valueExpr ("," valueExpr)*] ")"
  bool ParseCall(Expr* expr, int depth) {
    expr->kind = Expr::Kind::kCall;
    expr->function = Advance().text;
    size_t open = Cur().offset;
    Advance();
    if (!At(TokenKind::kRParen)) {
      do {
        Expr arg;
        if (!ParseExpr(&arg, depth + 1)) return false;
        expr->args.push_back(std::move(arg));
      } while (Accept(TokenKind::kComma));
    }
    if (!ExpectClose(TokenKind::kRParen, TokenKind::kLParen, open)) return false;
    expr->end = tokens_[pos_ - 1].end;
    return true;
  }

  const Source& source_;
  Mode mode_;
  std::vector<Issue>* issues_;
  std::vector<PolicyToken> tokens_;
  size_t pos_ = 0;
};

}  // namespace

ast::Policy ParsePolicy(const Source& source, Mode mode,
                        std::vector<Issue>* issues) {
  return Parser(source, mode, issues).ParsePolicy();
}

ast::Policy ParseRuleList(const Source& source, Mode mode,
                          ast::SectionKind section, std::vector<Issue>* issues) {
  return Parser(source, mode, issues).ParseRuleList(section);
}

}  // namespace vigil::policy
