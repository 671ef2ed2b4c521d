// File: policy/jmespath/ast.h
// -----------------------------------------------------------------------------
// The JMESPath syntax tree. Nodes live in one vector and refer to each other by
// index, so a tree is one allocation-light, trivially destructible-in-a-loop
// value (no recursive destructors however deep the tree) that is immutable
// after parsing and safe to share between threads.
//
// Internal to policy/jmespath; use jmespath.h.

#ifndef VIGIL_POLICY_JMESPATH_AST_H_
#define VIGIL_POLICY_JMESPATH_AST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/jmespath/json_util.h"

namespace vigil::jmespath::internal {

struct FunctionSpec;

using NodeId = int32_t;
inline constexpr NodeId kNoNode = -1;

enum class NodeKind : uint8_t {
  kIdentity,          // @, or the implicit right side of a projection.
  kField,             // name: lhs unused.
  kLiteral,           // literal.
  kSubexpression,     // args[0] . args[1] . ... (evaluated left to right)
  kIndex,             // lhs [index]
  kSlice,             // lhs [start:stop:step] (wrapped in a kProjection)
  kFlatten,           // lhs []  (wrapped in a kProjection)
  kProjection,        // lhs is an array; rhs applied to each element.
  kValueProjection,   // lhs is an object; rhs applied to each member value.
  kFilterProjection,  // lhs [? condition ] rhs
  kMultiSelectList,   // [args...]
  kMultiSelectHash,   // {keys[i]: args[i], ...}
  kOr,                // lhs || rhs
  kAnd,               // lhs && rhs
  kNot,               // ! lhs
  kComparator,        // lhs <comparator> rhs
  kPipe,              // args[0] | args[1] | ...
  kFunctionCall,      // function(args...)
  kExpressionRef,     // & lhs (only as a function argument)
};

enum class Comparator : uint8_t { kEq, kNe, kLt, kLte, kGt, kGte };

struct Node {
  NodeKind kind = NodeKind::kIdentity;
  Comparator comparator = Comparator::kEq;
  int32_t column = 0;  // 1-based column of the token that made the node.
  int32_t depth = 1;   // 1 + depth of the deepest child.
  NodeId lhs = kNoNode;
  NodeId rhs = kNoNode;
  NodeId condition = kNoNode;
  std::vector<NodeId> args;
  std::vector<std::string> keys;
  std::string name;  // kField: the key; kFunctionCall: the function name.
  Json literal;
  int64_t index = 0;
  std::optional<int64_t> start, stop, step;
  const FunctionSpec* function = nullptr;
};

struct Ast {
  std::vector<Node> nodes;
  NodeId root = kNoNode;
};

// An S-expression rendering for tests and debugging, e.g.
// "(projection (field foo) (field bar))".
std::string DebugString(const Ast& ast);

}  // namespace vigil::jmespath::internal

#endif  // VIGIL_POLICY_JMESPATH_AST_H_
