#include "policy/checker.h"

#include <map>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "policy/functions.h"
#include "policy/property.h"

namespace vigil::policy {
namespace {

using ast::ActionKind;
using ast::CompareOp;
using ast::Expr;
using ast::Property;
using ast::SectionKind;

class Checker {
 public:
  Checker(const Source& source, Mode mode, std::vector<Issue>* issues)
      : source_(source), mode_(mode), issues_(issues) {}

  void Run(const ast::Policy& policy) {
    major_ = policy.major;
    minor_ = policy.minor;
    if (!policy.is_rule_list) CheckStructure(policy);
    for (const ast::Section& section : policy.sections) {
      for (const ast::Rule& rule : section.rules) CheckRule(section.kind, rule);
    }
  }

 private:
  void Error(size_t offset, std::string message) {
    issues_->emplace_back(Issue::Severity::kError, offset,
                          source_.Location(offset), std::move(message));
  }
  void Slip(size_t offset, std::string message) {
    issues_->emplace_back(mode_ == Mode::kStrict ? Issue::Severity::kError
                                                 : Issue::Severity::kWarning,
                          offset, source_.Location(offset), std::move(message));
  }
  bool Is12() const { return major_ == 1 && minor_ >= 2; }
  std::string VersionText() const { return absl::StrCat(major_, ".", minor_); }

  void CheckStructure(const ast::Policy& policy) {
    bool known = major_ == 1 && minor_ >= 0 && minor_ <= 2;
    if (!known) {
      Error(policy.version_offset,
            absl::StrCat("unsupported policy version ", VersionText(),
                         " (supported: 1.0, 1.1, 1.2)"));
      major_ = 1;
      minor_ = 2;
    }
    std::map<SectionKind, size_t> seen;
    int last = -1;
    for (const ast::Section& s : policy.sections) {
      auto it = seen.find(s.kind);
      if (it != seen.end()) {
        Error(s.offset, absl::StrCat("duplicate ", ast::SectionName(s.kind),
                                     " section (first at ",
                                     source_.Location(it->second).ToString(),
                                     ")"));
        continue;
      }
      seen.emplace(s.kind, s.offset);
      if (static_cast<int>(s.kind) < last) {
        Error(s.offset,
              absl::StrCat(ast::SectionName(s.kind),
                           " must come before ",
                           ast::SectionName(static_cast<SectionKind>(last)),
                           " (order: configurationrules, authorizationrules, "
                           "issuancerules)"));
      }
      last = std::max(last, static_cast<int>(s.kind));
      if (s.kind == SectionKind::kConfiguration && major_ == 1 && minor_ < 1) {
        Error(s.offset, absl::StrCat("configurationrules needs policy version "
                                     "1.1 or later (this policy is ",
                                     VersionText(), ")"));
      }
    }
    if (!seen.count(SectionKind::kAuthorization)) {
      Error(source_.text().size(),
            "the policy has no authorizationrules section (without one no "
            "rule can permit())");
    }
  }

  // Claim variables bound so far in the rule: name -> index of its condition.
  using Scope = std::map<std::string, size_t>;

  void CheckRule(SectionKind section, const ast::Rule& rule) {
    Scope declared;  // every variable of the rule, for messages
    for (size_t i = 0; i < rule.conditions.size(); ++i) {
      const ast::Condition& c = rule.conditions[i];
      if (!c.identifier.empty()) {
        if (declared.count(c.identifier)) {
          Error(c.identifier_offset,
                absl::StrCat("claim variable '", c.identifier,
                             "' is declared twice in this rule"));
        } else {
          declared.emplace(c.identifier, i);
        }
      }
    }
    Scope bound;
    for (size_t i = 0; i < rule.conditions.size(); ++i) {
      const ast::Condition& c = rule.conditions[i];
      if (c.negated) {
        if (!Is12()) {
          Error(c.offset, absl::StrCat("the absence condition '!' needs policy "
                                       "version 1.2 (this policy is ",
                                       VersionText(), ")"));
        }
        if (!c.identifier.empty()) {
          Error(c.identifier_offset,
                "an absence condition '!' matches no claim, so it cannot bind "
                "a claim variable");
        }
      }
      for (const ast::PropertyCondition& p : c.properties) {
        CheckPropertyCondition(p, bound, declared);
      }
      if (!c.identifier.empty() && !c.negated) bound.emplace(c.identifier, i);
    }
    CheckAction(section, rule.action, bound, declared);
  }

  void CheckPropertyCondition(const ast::PropertyCondition& p,
                              const Scope& bound, const Scope& declared) {
    CheckExpr(p.operand, bound, declared);
    const Expr& e = p.operand;
    bool ordering = p.op != CompareOp::kEq && p.op != CompareOp::kNe;
    if (p.property != Property::kValue) {
      if (ordering) {
        Error(p.op_offset,
              absl::StrCat("'", ast::CompareOpName(p.op), "' compares integers; ",
                           ast::PropertyName(p.property),
                           " is a string (use '==' or '!=')"));
      } else if (e.kind == Expr::Kind::kInt || e.kind == Expr::Kind::kBool) {
        Error(e.offset, absl::StrCat(ast::PropertyName(p.property),
                                     " is a string; it is compared with ",
                                     ast::FormatExpr(e)));
      } else if (p.property == Property::kValueType &&
                 e.kind == Expr::Kind::kString &&
                 !ValueTypeFromName(e.string_value).has_value()) {
        Error(e.offset, absl::StrCat("unknown valueType \"", e.string_value,
                                     "\" (String, Integer or Boolean)"));
      }
    } else if (ordering &&
               (e.kind == Expr::Kind::kString || e.kind == Expr::Kind::kBool)) {
      Error(p.op_offset,
            absl::StrCat("'", ast::CompareOpName(p.op),
                         "' compares integers, not ",
                         e.kind == Expr::Kind::kString ? "strings" : "booleans",
                         " (only '==' and '!=' apply)"));
    }
  }

  void CheckAction(SectionKind section, const ast::Action& a, const Scope& bound,
                   const Scope& declared) {
    absl::string_view name = ast::ActionName(a.kind);
    auto disallowed = [&](absl::string_view allowed) {
      return absl::StrCat(name, "() is not allowed in ",
                          ast::SectionName(section), " (allowed there: ",
                          allowed, ")");
    };
    absl::string_view allowed =
        section == SectionKind::kConfiguration ? "issueproperty"
        : section == SectionKind::kAuthorization
            ? "permit, deny, add"
            : "add, issue, issueproperty";
    switch (a.kind) {
      case ActionKind::kPermit:
      case ActionKind::kDeny:
        if (section != SectionKind::kAuthorization) Error(a.offset, disallowed(allowed));
        break;
      case ActionKind::kAdd:
        if (section == SectionKind::kConfiguration) Error(a.offset, disallowed(allowed));
        break;
      case ActionKind::kIssue:
        if (section == SectionKind::kAuthorization) {
          Slip(a.offset, mode_ == Mode::kStrict
                             ? disallowed(allowed)
                             : "issue() in authorizationrules is run as add() "
                               "(nothing is issued from authorizationrules)");
        } else if (section == SectionKind::kConfiguration) {
          Error(a.offset, disallowed(allowed));
        }
        break;
      case ActionKind::kIssueProperty:
        if (section == SectionKind::kAuthorization) Error(a.offset, disallowed(allowed));
        break;
    }
    if (!a.claim_identifier.empty()) {
      CheckVariable(a.claim_identifier, a.claim_offset, bound, declared);
      return;
    }
    if (a.type) {
      CheckExpr(*a.type, bound, declared);
      if (a.type->kind == Expr::Kind::kInt || a.type->kind == Expr::Kind::kBool) {
        Error(a.type->offset, "a claim type must be a string");
      } else if (a.type->kind == Expr::Kind::kString &&
                 a.type->string_value.empty()) {
        Error(a.type->offset, "a claim type must not be empty");
      }
    }
    if (a.value) CheckExpr(*a.value, bound, declared);
    std::optional<Value::Kind> declared_kind;
    if (a.value_type) {
      declared_kind = ValueTypeFromName(*a.value_type);
      if (!declared_kind) {
        Error(a.value_type_offset,
              absl::StrCat("unknown valueType \"", *a.value_type,
                           "\" (String, Integer or Boolean)"));
      }
    }
    std::optional<Value::Kind> literal_kind;
    if (a.value) {
      switch (a.value->kind) {
        case Expr::Kind::kBool: literal_kind = Value::Kind::kBool; break;
        case Expr::Kind::kInt: literal_kind = Value::Kind::kInt; break;
        case Expr::Kind::kString: literal_kind = Value::Kind::kString; break;
        default: break;
      }
    }
    if (declared_kind && literal_kind && *declared_kind != *literal_kind) {
      Error(a.value->offset,
            absl::StrCat("value ", ast::FormatExpr(*a.value), " is not of valueType ",
                         *a.value_type));
    }
    if (a.kind == ActionKind::kIssueProperty && a.type && a.value &&
        a.type->kind == Expr::Kind::kString && literal_kind) {
      Value literal = *literal_kind == Value::Kind::kBool
                          ? Value::Bool(a.value->bool_value)
                      : *literal_kind == Value::Kind::kInt
                          ? Value::Int(a.value->int_value)
                          : Value::String(a.value->string_value);
      std::string problem = CheckPropertyValue(a.type->string_value, literal);
      if (!problem.empty()) Error(a.value->offset, std::move(problem));
    }
  }

  void CheckVariable(const std::string& name, size_t offset, const Scope& bound,
                     const Scope& declared) {
    if (bound.count(name)) return;
    if (declared.count(name)) {
      Error(offset, absl::StrCat("claim variable '", name,
                                 "' is used before its condition binds it "
                                 "(refer only to earlier conditions)"));
      return;
    }
    std::string message = absl::StrCat("unbound claim variable '", name, "'");
    if (bound.empty()) {
      absl::StrAppend(&message, " (no condition of this rule declares one)");
    } else {
      std::vector<std::string> names;
      for (const auto& [n, i] : bound) names.push_back(n);
      absl::StrAppend(&message, " (this rule declares ",
                      absl::StrJoin(names, ", "), ")");
    }
    Error(offset, std::move(message));
  }

  void CheckExpr(const Expr& e, const Scope& bound, const Scope& declared) {
    switch (e.kind) {
      case Expr::Kind::kPropertyRef:
        CheckVariable(e.identifier, e.offset, bound, declared);
        return;
      case Expr::Kind::kCall:
        CheckCall(e, bound, declared);
        return;
      default:
        return;
    }
  }

  void CheckCall(const Expr& e, const Scope& bound, const Scope& declared) {
    for (const Expr& arg : e.args) CheckExpr(arg, bound, declared);
    const FunctionInfo* f = FindFunction(e.function);
    if (f == nullptr) {
      std::string message = absl::StrCat("unknown function '", e.function, "'");
      absl::string_view suggestion = SuggestFunction(e.function);
      if (!suggestion.empty()) {
        absl::StrAppend(&message, "; did you mean '", suggestion, "'?");
      }
      Error(e.offset, std::move(message));
      return;
    }
    if (!Is12()) {
      Error(e.offset, absl::StrCat("function calls need policy version 1.2 "
                                   "(this policy is ",
                                   VersionText(), ")"));
    }
    if (static_cast<int>(e.args.size()) != f->arity) {
      Error(e.offset, absl::StrCat(f->name, "() takes ", f->arity, " argument",
                                   f->arity == 1 ? "" : "s", " (", f->signature,
                                   "), got ", e.args.size()));
      return;
    }
    auto want = [&](size_t i, Expr::Kind kind, absl::string_view what) {
      const Expr& arg = e.args[i];
      bool literal = arg.kind == Expr::Kind::kBool || arg.kind == Expr::Kind::kInt ||
                     arg.kind == Expr::Kind::kString;
      if (literal && arg.kind != kind) {
        Error(arg.offset, absl::StrCat("argument ", i + 1, " of ", f->name,
                                       "() must be ", what, ", got ",
                                       ast::FormatExpr(arg)));
      }
    };
    switch (f->id) {
      case Function::kJmesPath:
        want(0, Expr::Kind::kString, "a string of JSON text");
        want(1, Expr::Kind::kString, "a query string");
        break;
      case Function::kJsonToClaimValue:
        want(0, Expr::Kind::kString, "a string of JSON text");
        break;
      case Function::kAppendString:
        want(0, Expr::Kind::kString, "a string");
        want(1, Expr::Kind::kString, "a string");
        break;
      case Function::kNegateBool:
        want(0, Expr::Kind::kBool, "a boolean");
        break;
      case Function::kIsSubsetOf:
      case Function::kContainsOnlyValue:
        break;
    }
  }

  const Source& source_;
  Mode mode_;
  std::vector<Issue>* issues_;
  int major_ = 1;
  int minor_ = 2;
};

}  // namespace

void Check(const ast::Policy& policy, const Source& source, Mode mode,
           std::vector<Issue>* issues) {
  Checker(source, mode, issues).Run(policy);
}

}  // namespace vigil::policy
