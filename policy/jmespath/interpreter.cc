#include "policy/jmespath/interpreter.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/status_macros.h"
#include "policy/jmespath/ast.h"
#include "policy/jmespath/error.h"
#include "policy/jmespath/functions.h"
#include "policy/jmespath/json_util.h"
#include "policy/jmespath/limits.h"
#include "policy/jmespath/value.h"

namespace vigil::jmespath::internal {
namespace {

// Eval recursion is bounded by the tree depth (kMaxNestingDepth) plus the
// nesting of expression references; this guard is defence in depth.
constexpr int kMaxEvalDepth = 2 * kMaxNestingDepth + 16;

class DepthGuard {
 public:
  explicit DepthGuard(int& depth) : depth_(depth) { ++depth_; }
  ~DepthGuard() { --depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  int& depth_;
};

// jmespath spec, "Slices": clamps an endpoint into the array.
int64_t AdjustEndpoint(int64_t length, int64_t endpoint, int64_t step) {
  if (endpoint < 0) {
    endpoint += length;
    if (endpoint < 0) endpoint = step < 0 ? -1 : 0;
  } else if (endpoint >= length) {
    endpoint = step < 0 ? length - 1 : length;
  }
  return endpoint;
}

}  // namespace

absl::Status Interpreter::CostExceeded() const {
  return MakeError(ErrorKind::kLimitExceeded, 0,
                   "evaluation exceeded its cost budget");
}

Value Interpreter::Pin(Value value) {
  if (!value.is_owned()) return value;
  if (value.json() != nullptr) {
    pinned_json_.push_back(std::move(value).ReleaseJson());
    return Value::Ref(pinned_json_.back());
  }
  pinned_lists_.push_back(std::move(value).ReleaseList());
  return Value::ListRef(pinned_lists_.back());
}

absl::StatusOr<Json> Interpreter::Materialize(Value value) {
  return MaterializeWithin(std::move(value), kMaxValueDepth);
}

absl::StatusOr<Json> Interpreter::MaterializeWithin(Value value,
                                                    int depth_left) {
  if (value.json() != nullptr) {
    if (value.is_owned()) return std::move(value).ReleaseJson();
    int64_t nodes = 0;
    if (!CheckDepthAndCount(*value.json(), depth_left, &nodes)) {
      return MakeError(ErrorKind::kLimitExceeded, 0,
                       "value nests deeper than kMaxValueDepth");
    }
    RETURN_IF_ERROR(Charge(nodes));
    return *value.json();
  }
  if (depth_left <= 0) {
    return MakeError(ErrorKind::kLimitExceeded, 0,
                     "value nests deeper than kMaxValueDepth");
  }
  const size_t n = value.ArraySize();
  RETURN_IF_ERROR(Charge(static_cast<int64_t>(n) + 1));
  Json array = Json::array();
  array.get_ptr<Json::array_t*>()->reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(Json element,
                     MaterializeWithin(value.TakeElement(i), depth_left - 1));
    array.get_ptr<Json::array_t*>()->push_back(std::move(element));
  }
  return array;
}

absl::StatusOr<Value> Interpreter::Eval(NodeId id, Value current) {
  DepthGuard guard(depth_);
  if (depth_ > kMaxEvalDepth) {
    return MakeError(ErrorKind::kLimitExceeded, ast_.nodes[id].column,
                     "evaluation nests too deeply");
  }
  if (++cost_ > max_cost_) return CostExceeded();
  return EvalNode(ast_.nodes[id], std::move(current));
}

absl::StatusOr<Value> Interpreter::EvalNode(const Node& node, Value current) {
  switch (node.kind) {
    case NodeKind::kIdentity:
      return current;
    case NodeKind::kField:
      return std::move(current).TakeField(node.name);
    case NodeKind::kLiteral:
      return Value::Ref(node.literal);
    case NodeKind::kSubexpression:
    case NodeKind::kPipe: {
      for (NodeId step : node.args) {
        ASSIGN_OR_RETURN(current, Eval(step, std::move(current)));
      }
      return current;
    }
    case NodeKind::kIndex:
      return EvalIndex(node, std::move(current));
    case NodeKind::kSlice:
      return EvalSlice(node, std::move(current));
    case NodeKind::kFlatten:
      return EvalFlatten(node, std::move(current));
    case NodeKind::kProjection:
      return EvalProjection(node, std::move(current));
    case NodeKind::kValueProjection:
      return EvalValueProjection(node, std::move(current));
    case NodeKind::kFilterProjection:
      return EvalFilter(node, std::move(current));
    case NodeKind::kMultiSelectList:
      return EvalMultiSelectList(node, std::move(current));
    case NodeKind::kMultiSelectHash:
      return EvalMultiSelectHash(node, std::move(current));
    case NodeKind::kOr:
    case NodeKind::kAnd: {
      Value pinned = Pin(std::move(current));
      ASSIGN_OR_RETURN(Value left, Eval(node.lhs, pinned.View()));
      const bool take_left =
          IsTruthy(left) == (node.kind == NodeKind::kOr);
      if (take_left) return left;
      return Eval(node.rhs, std::move(pinned));
    }
    case NodeKind::kNot: {
      ASSIGN_OR_RETURN(Value operand, Eval(node.lhs, std::move(current)));
      return Value::Bool(!IsTruthy(operand));
    }
    case NodeKind::kComparator:
      return EvalComparator(node, std::move(current));
    case NodeKind::kFunctionCall:
      return CallFunction(*this, node, std::move(current));
    case NodeKind::kExpressionRef:
      // The parser only allows '&' as a function argument, and functions
      // read the referenced expression from the syntax tree.
      return MakeError(ErrorKind::kInvalidType, node.column,
                       "expression reference used outside a function call");
  }
  return Value();
}

absl::StatusOr<Value> Interpreter::EvalIndex(const Node& node, Value current) {
  ASSIGN_OR_RETURN(Value base, Eval(node.lhs, std::move(current)));
  if (base.type() != Type::kArray) return Value();
  const int64_t size = static_cast<int64_t>(base.ArraySize());
  const int64_t index = node.index < 0 ? node.index + size : node.index;
  if (index < 0 || index >= size) return Value();
  return base.TakeElement(static_cast<size_t>(index));
}

absl::StatusOr<Value> Interpreter::EvalSlice(const Node& node, Value current) {
  ASSIGN_OR_RETURN(Value base, Eval(node.lhs, std::move(current)));
  if (base.type() != Type::kArray) return Value();
  const int64_t step = node.step.value_or(1);
  if (step == 0) {
    return MakeError(ErrorKind::kInvalidValue, node.column,
                     "slice step cannot be 0");
  }
  const int64_t length = static_cast<int64_t>(base.ArraySize());
  const int64_t start =
      node.start.has_value() ? AdjustEndpoint(length, *node.start, step)
                             : (step < 0 ? length - 1 : 0);
  const int64_t stop = node.stop.has_value()
                           ? AdjustEndpoint(length, *node.stop, step)
                           : (step < 0 ? -1 : length);
  std::vector<Value> out;
  if (step > 0) {
    if (stop > start) out.reserve(static_cast<size_t>((stop - start + step - 1) / step));
    for (int64_t i = start; i < stop; i += step) {
      out.push_back(base.TakeElement(static_cast<size_t>(i)));
    }
  } else {
    for (int64_t i = start; i > stop; i += step) {
      out.push_back(base.TakeElement(static_cast<size_t>(i)));
    }
  }
  RETURN_IF_ERROR(Charge(static_cast<int64_t>(out.size())));
  return Value::List(std::move(out));
}

absl::StatusOr<Value> Interpreter::EvalFlatten(const Node& node,
                                               Value current) {
  ASSIGN_OR_RETURN(Value base, Eval(node.lhs, std::move(current)));
  if (base.type() != Type::kArray) return Value();
  std::vector<Value> out;
  const size_t n = base.ArraySize();
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Value element = base.TakeElement(i);
    if (element.type() == Type::kArray) {
      const size_t m = element.ArraySize();
      for (size_t j = 0; j < m; ++j) out.push_back(element.TakeElement(j));
    } else {
      out.push_back(std::move(element));
    }
  }
  RETURN_IF_ERROR(Charge(static_cast<int64_t>(out.size())));
  return Value::List(std::move(out));
}

absl::StatusOr<Value> Interpreter::EvalProjection(const Node& node,
                                                  Value current) {
  ASSIGN_OR_RETURN(Value base, Eval(node.lhs, std::move(current)));
  if (base.type() != Type::kArray) return Value();
  const size_t n = base.ArraySize();
  std::vector<Value> out;
  out.reserve(n);
  const bool identity = ast_.nodes[node.rhs].kind == NodeKind::kIdentity;
  for (size_t i = 0; i < n; ++i) {
    Value element = base.TakeElement(i);
    if (identity) {
      if (!element.is_null()) out.push_back(std::move(element));
      continue;
    }
    ASSIGN_OR_RETURN(Value projected, Eval(node.rhs, std::move(element)));
    if (!projected.is_null()) out.push_back(std::move(projected));
  }
  return Value::List(std::move(out));
}

absl::StatusOr<Value> Interpreter::EvalValueProjection(const Node& node,
                                                       Value current) {
  ASSIGN_OR_RETURN(Value base, Eval(node.lhs, std::move(current)));
  if (base.type() != Type::kObject) return Value();
  std::vector<Value> members = std::move(base).TakeMemberValues();
  std::vector<Value> out;
  out.reserve(members.size());
  for (Value& member : members) {
    ASSIGN_OR_RETURN(Value projected, Eval(node.rhs, std::move(member)));
    if (!projected.is_null()) out.push_back(std::move(projected));
  }
  return Value::List(std::move(out));
}

absl::StatusOr<Value> Interpreter::EvalFilter(const Node& node,
                                              Value current) {
  ASSIGN_OR_RETURN(Value base, Eval(node.lhs, std::move(current)));
  if (base.type() != Type::kArray) return Value();
  const size_t n = base.ArraySize();
  std::vector<Value> out;
  const bool identity = ast_.nodes[node.rhs].kind == NodeKind::kIdentity;
  for (size_t i = 0; i < n; ++i) {
    Value element = base.TakeElement(i);
    bool keep;
    {
      // The condition's result may point into `element`; it dies here.
      ASSIGN_OR_RETURN(Value condition, Eval(node.condition, element.View()));
      keep = IsTruthy(condition);
    }
    if (!keep) continue;
    if (identity) {
      if (!element.is_null()) out.push_back(std::move(element));
      continue;
    }
    ASSIGN_OR_RETURN(Value projected, Eval(node.rhs, std::move(element)));
    if (!projected.is_null()) out.push_back(std::move(projected));
  }
  return Value::List(std::move(out));
}

absl::StatusOr<Value> Interpreter::EvalMultiSelectList(const Node& node,
                                                       Value current) {
  if (current.is_null()) return Value();
  Value pinned = Pin(std::move(current));
  std::vector<Value> out;
  out.reserve(node.args.size());
  for (NodeId arg : node.args) {
    ASSIGN_OR_RETURN(Value item, Eval(arg, pinned.View()));
    out.push_back(std::move(item));
  }
  return Value::List(std::move(out));
}

absl::StatusOr<Value> Interpreter::EvalMultiSelectHash(const Node& node,
                                                       Value current) {
  if (current.is_null()) return Value();
  Json object = Json::object();
  for (size_t i = 0; i < node.args.size(); ++i) {
    // Each result is materialised before `current` can go away.
    ASSIGN_OR_RETURN(Value item, Eval(node.args[i], current.View()));
    ASSIGN_OR_RETURN(Json json, Materialize(std::move(item)));
    object[node.keys[i]] = std::move(json);
  }
  return Value::Own(std::move(object));
}

absl::StatusOr<Value> Interpreter::EvalComparator(const Node& node,
                                                  Value current) {
  ASSIGN_OR_RETURN(Value left, Eval(node.lhs, current.View()));
  ASSIGN_OR_RETURN(Value right, Eval(node.rhs, current.View()));
  if (node.comparator == Comparator::kEq ||
      node.comparator == Comparator::kNe) {
    Equality eq = ValueEqual(left, right, kMaxValueDepth);
    if (eq == Equality::kTooDeep) {
      return MakeError(ErrorKind::kLimitExceeded, node.column,
                       "compared values nest deeper than kMaxValueDepth");
    }
    return Value::Bool((eq == Equality::kTrue) ==
                       (node.comparator == Comparator::kEq));
  }
  std::partial_ordering order = std::partial_ordering::unordered;
  const Type lt = left.type();
  const Type rt = right.type();
  if (lt == Type::kNumber && rt == Type::kNumber) {
    order = CompareNumbers(*left.json(), *right.json());
  } else if (lt == Type::kString && rt == Type::kString) {
    order = *left.string() <=> *right.string();
  } else {
    return Value();
  }
  switch (node.comparator) {
    case Comparator::kLt:
      return Value::Bool(order < 0);
    case Comparator::kLte:
      return Value::Bool(order <= 0);
    case Comparator::kGt:
      return Value::Bool(order > 0);
    case Comparator::kGte:
      return Value::Bool(order >= 0);
    default:
      return Value();
  }
}

}  // namespace vigil::jmespath::internal
