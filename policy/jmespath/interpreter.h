// File: policy/jmespath/interpreter.h
// -----------------------------------------------------------------------------
// Interpreter: evaluates a syntax tree against a document, one instance per
// evaluation (it holds the evaluation's arena and cost counter; the tree and
// the document are only read).
//
// Ownership (see value.h): Eval() consumes `current` and returns a Value that
// is valid while the tree, the document, this interpreter and whatever
// `current` referenced are alive. Eval never returns a reference into the
// storage of an owned `current`: it moves out of it, or pins it in the arena
// first when it must view it more than once and keep the results.
//
// Internal to policy/jmespath; use jmespath.h.

#ifndef VIGIL_POLICY_JMESPATH_INTERPRETER_H_
#define VIGIL_POLICY_JMESPATH_INTERPRETER_H_

#include <cstdint>
#include <forward_list>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "policy/jmespath/ast.h"
#include "policy/jmespath/json_util.h"
#include "policy/jmespath/limits.h"
#include "policy/jmespath/value.h"

namespace vigil::jmespath::internal {

// Eval recursion is bounded by the tree depth (kMaxNestingDepth) plus the
// nesting of expression references; this guard is defence in depth.
inline constexpr int kMaxEvalDepth = 2 * kMaxNestingDepth + 16;

class Interpreter {
 public:
  Interpreter(const Ast& ast, int64_t max_cost)
      : ast_(ast), max_cost_(max_cost) {}
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Evaluates node `id` with `current` as the current node (@).
  // Fails with the JMESPath error kinds of functions.h, kInvalidValue for a
  // zero slice step, and kLimitExceeded when the cost budget or a depth limit
  // is exceeded.
  absl::StatusOr<Value> Eval(NodeId id, Value current);

  // Eval() of a field, a chain of fields (a.b.c), a literal or @ as the Json
  // it selects, without building a Value (most operands of filter conditions
  // and function arguments are these). The result points into `current` or
  // the tree. Returns null, having done nothing, when `id` is another kind,
  // is @ of a list, or Eval() would fail (depth or cost); otherwise counts
  // the nodes exactly as Eval() does.
  // Inline: it is most of the work of filter conditions.
  const Json* EvalPath(NodeId id, const Value& current);

  // The value as Json: moves owned data, copies referenced data. Fails with
  // kLimitExceeded when a referenced value nests deeper than kMaxValueDepth
  // or the copy exceeds the cost budget.
  absl::StatusOr<Json> Materialize(Value value);

  // Fails exactly when Materialize(view of `value`) would, charging the same
  // cost, but copies nothing: for results that are kept as views into the
  // document (jmespath::Result).
  absl::Status CheckMaterializable(const Value& value) {
    return CheckMaterializableWithin(value, kMaxValueDepth, /*borrowed=*/false);
  }

  // After CheckMaterializable(value) succeeded: whether SerializeJson() of
  // the materialised value would succeed (its error if not), checking only
  // what CheckMaterializable() did not (owned Json).
  static absl::Status CheckSerializableAfterMaterializable(const Value& value);

  // The evaluation arena, which values returned by Eval() may point into;
  // moving it keeps the addresses (call only after the last Eval()).
  struct Arena {
    std::forward_list<Json> json;
    std::forward_list<std::vector<Value>> lists;
  };
  Arena ReleaseArena() && {
    return Arena{std::move(pinned_json_), std::move(pinned_lists_)};
  }

  // Returns a reference Value for `value`, moving owned data into the arena,
  // which lives as long as this interpreter.
  Value Pin(Value value);

  // Adds `units` to the evaluation cost; fails with kLimitExceeded past the
  // budget.
  absl::Status Charge(int64_t units) {
    cost_ += units;
    if (cost_ > max_cost_) return CostExceeded();
    return absl::OkStatus();
  }

  const Ast& ast() const { return ast_; }

 private:
  absl::StatusOr<Value> EvalNode(const Node& node, Value current);
  absl::StatusOr<Value> EvalIndex(const Node& node, Value current);
  absl::StatusOr<Value> EvalSlice(const Node& node, Value current);
  absl::StatusOr<Value> EvalFlatten(const Node& node, Value current);
  absl::StatusOr<Value> EvalProjection(const Node& node, Value current);
  absl::StatusOr<Value> EvalValueProjection(const Node& node, Value current);
  absl::StatusOr<Value> EvalFilter(const Node& node, Value current);
  absl::Status AppendProjected(NodeId rhs, bool identity, Value element,
                               std::vector<Value>* out);
  absl::StatusOr<Value> EvalMultiSelectList(const Node& node, Value current);
  absl::StatusOr<Value> EvalMultiSelectHash(const Node& node, Value current);
  absl::StatusOr<Value> EvalComparator(const Node& node, Value current);
  // The outcome of a filter condition or a comparison. Conditions run once
  // per array element, so they return this in a register, with any error in
  // an out-parameter, rather than a StatusOr in memory (whose narrow stores
  // and wide reloads stalled every comparison).
  enum class Truth : uint8_t {
    kFalse,
    kTrue,
    kNull,   // an ordering of values that are not both numbers or strings
    kError,  // *error says why
  };
  static Truth TruthOf(bool b) { return b ? Truth::kTrue : Truth::kFalse; }
  Truth EvalCondition(NodeId id, const Value& current, absl::Status* error);
  Truth Compare(const Node& node, const Value& current, absl::Status* error);
  static Truth CompareValues(const Node& node, const Value& left,
                             const Value& right, absl::Status* error);
  // Inline for the usual field-vs-literal cases (different types, or two
  // strings, compared for equality); CompareJsonSlow() does the rest.
  static Truth CompareJson(const Node& node, const Json& left,
                           const Json& right, absl::Status* error) {
    if (node.comparator == Comparator::kEq ||
        node.comparator == Comparator::kNe) {
      const bool eq = node.comparator == Comparator::kEq;
      const Type lt = TypeOf(left);
      if (lt != TypeOf(right)) return TruthOf(!eq);
      if (lt == Type::kString) {
        return TruthOf((*left.get_ptr<const std::string*>() ==
                        *right.get_ptr<const std::string*>()) == eq);
      }
    }
    return CompareJsonSlow(node, left, right, error);
  }
  static Truth CompareJsonSlow(const Node& node, const Json& left,
                               const Json& right, absl::Status* error);
  static Truth IsEqualOrError(const Node& node, Equality equality,
                              absl::Status* error);
  absl::StatusOr<Json> MaterializeWithin(Value value, int depth_left);
  absl::Status CheckMaterializableWithin(const Value& value, int depth_left,
                                         bool borrowed);
  // Out of line, so the hot callers do not build statuses inline.
  absl::Status CostExceeded() const;
  static absl::Status TooDeep(const Node& node);

  const Ast& ast_;
  const int64_t max_cost_;
  int64_t cost_ = 0;
  int depth_ = 0;
  // Stable addresses; forward_list (unlike deque) allocates nothing until
  // something is pinned, which most evaluations never do.
  std::forward_list<Json> pinned_json_;
  std::forward_list<std::vector<Value>> pinned_lists_;
};

inline const Json* Interpreter::EvalPath(NodeId id, const Value& current) {
  const Node& node = ast_.nodes[id];
  // Eval() counts one unit per node and fails past kMaxEvalDepth; when that
  // could happen here, Eval() must run instead to fail the same way.
  auto fits = [&](int depth, int64_t nodes) {
    return depth_ + depth <= kMaxEvalDepth && cost_ + nodes <= max_cost_;
  };
  switch (node.kind) {
    case NodeKind::kField:
      if (!fits(1, 1)) return nullptr;
      cost_ += 1;
      return MemberOrNull(current.json(), ast_.Name(node));
    case NodeKind::kSubexpression: {
      if (!node.field_chain) return nullptr;
      // The chain node, then each step one level deeper.
      const int64_t nodes = 1 + static_cast<int64_t>(node.args.size());
      if (!fits(2, nodes)) return nullptr;
      cost_ += nodes;
      const Json* json = current.json();
      for (NodeId step : node.args) {
        json = MemberOrNull(json, ast_.Name(ast_.nodes[step]));
      }
      return json;
    }
    case NodeKind::kLiteral:
      if (!fits(1, 1)) return nullptr;
      cost_ += 1;
      return &ast_.Literal(node);
    case NodeKind::kIdentity: {
      const Json* json = current.json();
      if (json == nullptr || !fits(1, 1)) return nullptr;
      cost_ += 1;
      return json;
    }
    default:
      return nullptr;
  }
}

}  // namespace vigil::jmespath::internal

#endif  // VIGIL_POLICY_JMESPATH_INTERPRETER_H_
