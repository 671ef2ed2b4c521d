// File: policy/ast.h
// -----------------------------------------------------------------------------
// The syntax tree of a policy (maa-spec.md §1.3-§1.5), as the parser builds it
// and the checker and compiler read it. Every node records the byte offset it
// starts at (for issues and the trace).
//
//   version=1.2;                         Policy{version 1.2}
//   authorizationrules {                 Section{kAuthorization}
//     c:[type=="x", value==true]         Condition{identifier "c", 2 props}
//       => permit();                     Action{kPermit}
//   };

#ifndef VIGIL_POLICY_AST_H_
#define VIGIL_POLICY_AST_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace vigil::policy::ast {

enum class SectionKind { kConfiguration, kAuthorization, kIssuance };

// "configurationrules", "authorizationrules", "issuancerules".
absl::string_view SectionName(SectionKind kind);

// A claim property a condition tests or an expression reads.
enum class Property { kType, kValue, kIssuer, kValueType };
absl::string_view PropertyName(Property property);  // "type", ...

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };
absl::string_view CompareOpName(CompareOp op);  // "==", ...

// valueExpr := STRING | INTEGER | "true" | "false" | IDENT "." prop | funcCall
struct Expr {
  enum class Kind { kBool, kInt, kString, kPropertyRef, kCall };
  Kind kind = Kind::kBool;
  size_t offset = 0;
  size_t end = 0;
  bool bool_value = false;
  int64_t int_value = 0;
  std::string string_value;   // kString
  std::string identifier;     // kPropertyRef: the claim variable
  size_t property_offset = 0;  // kPropertyRef: where the property name is
  Property property = Property::kValue;  // kPropertyRef
  std::string function;        // kCall
  std::vector<Expr> args;      // kCall
};

// propCond := prop compOp valueExpr
struct PropertyCondition {
  size_t offset = 0;
  Property property = Property::kType;
  CompareOp op = CompareOp::kEq;
  size_t op_offset = 0;
  // The operator was a single '=' that compat mode read as '=='.
  bool single_equals = false;
  Expr operand;
};

// condition := ["!"] [IDENT ":"] "[" propCond ("," propCond)* "]"
struct Condition {
  size_t offset = 0;
  size_t end = 0;
  bool negated = false;
  std::string identifier;  // empty when anonymous
  size_t identifier_offset = 0;
  std::vector<PropertyCondition> properties;
};

enum class ActionKind { kPermit, kDeny, kAdd, kIssue, kIssueProperty };
absl::string_view ActionName(ActionKind kind);  // "permit", ...

// action := "permit" "(" ")" | "deny" "(" ")"
//         | ("add"|"issue"|"issueproperty") "(" actionArgs ")"
struct Action {
  size_t offset = 0;
  ActionKind kind = ActionKind::kPermit;
  // claim=IDENT form.
  std::string claim_identifier;
  size_t claim_offset = 0;
  // type=..., value=... [, valueType="..."] form.
  std::optional<Expr> type;
  std::optional<Expr> value;
  std::optional<std::string> value_type;
  size_t value_type_offset = 0;
};

// rule := [conditionList] "=>" action ";"
struct Rule {
  size_t offset = 0;
  size_t end = 0;  // one past the ';' (or the action when ';' was missing)
  std::vector<Condition> conditions;
  Action action;
};

struct Section {
  SectionKind kind = SectionKind::kAuthorization;
  size_t offset = 0;
  std::vector<Rule> rules;
};

// policy := versionInfo section* EOF, or, for a rule list, rule* EOF.
struct Policy {
  bool is_rule_list = false;
  int major = 1;
  int minor = 2;
  size_t version_offset = 0;
  std::vector<Section> sections;

  // The section of `kind`, or null.
  const Section* Find(SectionKind kind) const;
};

// Format(): the canonical text of a policy: one rule per line, single spaces,
// conditions as `c:[type == "x", value == true]`, strings re-escaped. Used
// for golden baselines; compiling the output gives the same tree.
std::string Format(const Policy& policy);
std::string FormatRule(const Rule& rule);
std::string FormatCondition(const Condition& condition);
std::string FormatExpr(const Expr& expr);

}  // namespace vigil::policy::ast

#endif  // VIGIL_POLICY_AST_H_
