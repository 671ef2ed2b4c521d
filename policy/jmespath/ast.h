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

// Kept small (no strings or JSON inline): long expressions have hundreds of
// nodes, and a node array past malloc's mmap threshold made every Compile()
// of the deep-projection benchmark fault in fresh pages.
struct Node {
  NodeKind kind = NodeKind::kIdentity;
  Comparator comparator = Comparator::kEq;
  uint8_t slice_parts = 0;  // kSlice: bits kSliceStart/kSliceStop/kSliceStep.
  // kSubexpression whose steps are all kField (a.b.c): the interpreter
  // follows it with plain member lookups (set once the tree is complete).
  bool field_chain = false;
  int32_t column = 0;  // 1-based column of the token that made the node.
  int32_t depth = 1;   // 1 + depth of the deepest child.
  NodeId lhs = kNoNode;
  NodeId rhs = kNoNode;
  NodeId condition = kNoNode;
  // kField, kFunctionCall: index of the name in Ast::names; kMultiSelectHash:
  // index of the first of args.size() keys in Ast::names; kLiteral: index in
  // Ast::literals.
  int32_t data = -1;
  std::vector<NodeId> args;
  int64_t index = 0;  // kIndex: the index; kSlice: the start.
  int64_t stop = 0;   // kSlice
  int64_t step = 0;   // kSlice
  const FunctionSpec* function = nullptr;

  static constexpr uint8_t kSliceStart = 1;
  static constexpr uint8_t kSliceStop = 2;
  static constexpr uint8_t kSliceStep = 4;
  std::optional<int64_t> start_part() const {
    return (slice_parts & kSliceStart) ? std::optional<int64_t>(index)
                                       : std::nullopt;
  }
  std::optional<int64_t> stop_part() const {
    return (slice_parts & kSliceStop) ? std::optional<int64_t>(stop)
                                      : std::nullopt;
  }
  std::optional<int64_t> step_part() const {
    return (slice_parts & kSliceStep) ? std::optional<int64_t>(step)
                                      : std::nullopt;
  }
};

struct Ast {
  std::vector<Node> nodes;
  std::vector<std::string> names;  // field names, function names, hash keys
  std::vector<Json> literals;
  NodeId root = kNoNode;

  // kField / kFunctionCall: the name.
  const std::string& Name(const Node& node) const { return names[node.data]; }
  // kMultiSelectHash: the key of args[i].
  const std::string& Key(const Node& node, size_t i) const {
    return names[node.data + i];
  }
  // kLiteral: the value.
  const Json& Literal(const Node& node) const { return literals[node.data]; }
};

// An S-expression rendering for tests and debugging, e.g.
// "(projection (field foo) (field bar))".
std::string DebugString(const Ast& ast);

}  // namespace vigil::jmespath::internal

#endif  // VIGIL_POLICY_JMESPATH_AST_H_
