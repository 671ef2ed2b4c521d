// File: policy/program.h
// -----------------------------------------------------------------------------
// The compiled form of a policy that the evaluator runs: claim variables
// resolved to slots, functions to ids, literal JMESPath queries compiled and
// literal JSON parsed once, and each condition's `type == "literal"` test
// lifted out so claims are looked up by type instead of scanned.
//
// Internal to the policy engine; CompiledPolicy (compiler.h) owns one.

#ifndef VIGIL_POLICY_PROGRAM_H_
#define VIGIL_POLICY_PROGRAM_H_

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "policy/ast.h"
#include "policy/functions.h"
#include "policy/jmespath/jmespath.h"
#include "policy/query_cache.h"
#include "policy/source.h"
#include "policy/value.h"

namespace vigil::policy::internal {

struct Expr {
  enum class Kind { kLiteral, kPropertyRef, kCall };
  Kind kind = Kind::kLiteral;
  size_t offset = 0;
  Value literal;                                   // kLiteral
  int slot = -1;                                   // kPropertyRef
  ast::Property property = ast::Property::kValue;  // kPropertyRef
  Function function = Function::kJmesPath;         // kCall
  std::vector<Expr> args;                          // kCall
  // kCall of JmesPath with a literal query: the compiled query, or why the
  // literal does not compile (reported when the call runs).
  std::optional<jmespath::Expression> query;
  absl::Status query_status;
};

struct PropertyCondition {
  ast::Property property = ast::Property::kType;
  ast::CompareOp op = ast::CompareOp::kEq;
  Expr operand;
};

struct Condition {
  size_t offset = 0;
  bool negated = false;
  int slot = -1;  // -1: anonymous (existential only)
  // Set when the condition has `type == "<literal>"`: only claims of this
  // type can match.
  std::optional<std::string> type_key;
  std::vector<PropertyCondition> properties;
  std::string text;  // canonical text, for the trace
};

struct Action {
  ast::ActionKind kind = ast::ActionKind::kPermit;
  int claim_slot = -1;  // claim=IDENT form
  Expr type;
  Expr value;
  std::optional<Value::Kind> value_type;
};

struct Rule {
  ast::SectionKind section = ast::SectionKind::kIssuance;
  size_t offset = 0;
  SourceLocation location;
  std::string text;  // canonical text, for the trace
  std::vector<Condition> conditions;
  Action action;
  std::vector<std::string> slot_names;  // claim variable of each slot
  std::vector<size_t> slot_condition;   // index of the condition binding it
};

struct Program {
  std::shared_ptr<const Source> source;
  ast::Policy ast;
  bool is_rule_list = false;
  // A rule list compiled as issuancerules/configurationrules has no
  // authorization section and runs as if it had `=> permit();`.
  bool implicit_permit = false;
  int major = 1;
  int minor = 2;
  // Rules per section, indexed by ast::SectionKind.
  std::array<std::vector<Rule>, 3> sections;
  // Queries built at run time, compiled once across evaluations (shared by
  // all threads evaluating this program; internally synchronised).
  std::unique_ptr<QueryCache> runtime_queries = std::make_unique<QueryCache>();
};

}  // namespace vigil::policy::internal

#endif  // VIGIL_POLICY_PROGRAM_H_
