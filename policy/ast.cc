#include "policy/ast.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vigil::policy::ast {
namespace {

std::string QuoteString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default: out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

absl::string_view SectionName(SectionKind kind) {
  switch (kind) {
    case SectionKind::kConfiguration: return "configurationrules";
    case SectionKind::kAuthorization: return "authorizationrules";
    case SectionKind::kIssuance: return "issuancerules";
  }
  return "?";
}

absl::string_view PropertyName(Property property) {
  switch (property) {
    case Property::kType: return "type";
    case Property::kValue: return "value";
    case Property::kIssuer: return "issuer";
    case Property::kValueType: return "valueType";
  }
  return "?";
}

absl::string_view CompareOpName(CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return "==";
    case CompareOp::kNe: return "!=";
    case CompareOp::kLt: return "<";
    case CompareOp::kLe: return "<=";
    case CompareOp::kGt: return ">";
    case CompareOp::kGe: return ">=";
  }
  return "?";
}

absl::string_view ActionName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kPermit: return "permit";
    case ActionKind::kDeny: return "deny";
    case ActionKind::kAdd: return "add";
    case ActionKind::kIssue: return "issue";
    case ActionKind::kIssueProperty: return "issueproperty";
  }
  return "?";
}

const Section* Policy::Find(SectionKind kind) const {
  for (const Section& s : sections) {
    if (s.kind == kind) return &s;
  }
  return nullptr;
}

std::string FormatExpr(const Expr& expr) {
  switch (expr.kind) {
    case Expr::Kind::kBool: return expr.bool_value ? "true" : "false";
    case Expr::Kind::kInt: return absl::StrCat(expr.int_value);
    case Expr::Kind::kString: return QuoteString(expr.string_value);
    case Expr::Kind::kPropertyRef:
      return absl::StrCat(expr.identifier, ".", PropertyName(expr.property));
    case Expr::Kind::kCall:
      return absl::StrCat(
          expr.function, "(",
          absl::StrJoin(expr.args, ", ",
                        [](std::string* out, const Expr& e) {
                          out->append(FormatExpr(e));
                        }),
          ")");
  }
  return "?";
}

std::string FormatCondition(const Condition& condition) {
  std::string out;
  if (condition.negated) out += "!";
  if (!condition.identifier.empty()) absl::StrAppend(&out, condition.identifier, ":");
  out += "[";
  out += absl::StrJoin(condition.properties, ", ",
                       [](std::string* o, const PropertyCondition& p) {
                         absl::StrAppend(o, PropertyName(p.property), " ",
                                         CompareOpName(p.op), " ",
                                         FormatExpr(p.operand));
                       });
  out += "]";
  return out;
}

std::string FormatRule(const Rule& rule) {
  std::string out = absl::StrJoin(
      rule.conditions, " && ", [](std::string* o, const Condition& c) {
        o->append(FormatCondition(c));
      });
  if (!out.empty()) out += " ";
  absl::StrAppend(&out, "=> ", ActionName(rule.action.kind), "(");
  const Action& a = rule.action;
  if (!a.claim_identifier.empty()) {
    absl::StrAppend(&out, "claim = ", a.claim_identifier);
  } else if (a.type.has_value() || a.value.has_value()) {
    std::vector<std::string> args;
    if (a.type) args.push_back(absl::StrCat("type = ", FormatExpr(*a.type)));
    if (a.value) args.push_back(absl::StrCat("value = ", FormatExpr(*a.value)));
    if (a.value_type) {
      args.push_back(absl::StrCat("valueType = ", QuoteString(*a.value_type)));
    }
    out += absl::StrJoin(args, ", ");
  }
  out += ");";
  return out;
}

std::string Format(const Policy& policy) {
  std::string out;
  if (policy.is_rule_list) {
    for (const Section& s : policy.sections) {
      for (const Rule& r : s.rules) absl::StrAppend(&out, FormatRule(r), "\n");
    }
    return out;
  }
  absl::StrAppend(&out, "version=", policy.major, ".", policy.minor, ";\n");
  for (const Section& s : policy.sections) {
    absl::StrAppend(&out, SectionName(s.kind), " {\n");
    for (const Rule& r : s.rules) absl::StrAppend(&out, "  ", FormatRule(r), "\n");
    out += "};\n";
  }
  return out;
}

}  // namespace vigil::policy::ast
