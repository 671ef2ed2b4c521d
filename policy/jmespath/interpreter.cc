#include "policy/jmespath/interpreter.h"

#include <algorithm>
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

absl::Status Interpreter::TooDeep(const Node& node) {
  return MakeError(ErrorKind::kLimitExceeded, node.column,
                   "evaluation nests too deeply");
}

Value Interpreter::Pin(Value value) {
  if (!value.is_owned()) return value;
  if (value.json() != nullptr) {
    pinned_json_.push_front(std::move(value).ReleaseJson());
    return Value::Ref(pinned_json_.front());
  }
  pinned_lists_.push_front(std::move(value).ReleaseList());
  return Value::ListRef(pinned_lists_.front());
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

absl::Status Interpreter::CheckMaterializableWithin(const Value& value,
                                                    int depth_left,
                                                    bool borrowed) {
  // Mirrors MaterializeWithin(): owned Json is not checked or charged
  // (moving it is free), referenced Json is, and so is each list. Elements
  // of a referenced list are taken as views there, so count as referenced.
  if (const Json* json = value.json()) {
    if (value.is_owned() && !borrowed) return absl::OkStatus();
    int64_t nodes = 0;
    if (!CheckDepthAndCount(*json, depth_left, &nodes)) {
      return MakeError(ErrorKind::kLimitExceeded, 0,
                       "value nests deeper than kMaxValueDepth");
    }
    return Charge(nodes);
  }
  if (depth_left <= 0) {
    return MakeError(ErrorKind::kLimitExceeded, 0,
                     "value nests deeper than kMaxValueDepth");
  }
  const std::vector<Value>& list = *value.list();
  RETURN_IF_ERROR(Charge(static_cast<int64_t>(list.size()) + 1));
  for (const Value& element : list) {
    RETURN_IF_ERROR(CheckMaterializableWithin(element, depth_left - 1,
                                              borrowed || !value.is_owned()));
  }
  return absl::OkStatus();
}

namespace {

bool OwnedWithin(const Value& value, int depth_left, bool borrowed) {
  if (const Json* json = value.json()) {
    if (!value.is_owned() || borrowed) return true;  // already checked
    int64_t nodes = 0;
    return CheckDepthAndCount(*json, depth_left, &nodes);
  }
  for (const Value& element : *value.list()) {
    if (!OwnedWithin(element, depth_left - 1, borrowed || !value.is_owned())) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status Interpreter::CheckSerializableAfterMaterializable(
    const Value& value) {
  if (!OwnedWithin(value, kMaxValueDepth, /*borrowed=*/false)) {
    return MakeError(ErrorKind::kLimitExceeded, 0,
                     "JSON nests deeper than kMaxValueDepth");
  }
  return absl::OkStatus();
}

absl::StatusOr<Value> Interpreter::Eval(NodeId id, Value current) {
  // A borrowed `current` outlives the result, so fields are looked up in
  // place; an owned one is moved from by EvalNode() instead.
  if (!current.is_owned()) {
    if (const Json* json = EvalPath(id, current)) return Value::Ref(*json);
  }
  DepthGuard guard(depth_);
  if (depth_ > kMaxEvalDepth) {
    return TooDeep(ast_.nodes[id]);
  }
  if (++cost_ > max_cost_) return CostExceeded();
  return EvalNode(ast_.nodes[id], std::move(current));
}

absl::StatusOr<Value> Interpreter::EvalNode(const Node& node, Value current) {
  switch (node.kind) {
    case NodeKind::kIdentity:
      return current;
    case NodeKind::kField:
      return std::move(current).TakeField(ast_.Name(node));
    case NodeKind::kLiteral:
      return Value::Ref(ast_.Literal(node));
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
      const bool take_left = IsTruthy(left) == (node.kind == NodeKind::kOr);
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
  const int64_t step = node.step_part().value_or(1);
  if (step == 0) {
    return MakeError(ErrorKind::kInvalidValue, node.column,
                     "slice step cannot be 0");
  }
  const int64_t length = static_cast<int64_t>(base.ArraySize());
  const int64_t start = (node.slice_parts & Node::kSliceStart)
                            ? AdjustEndpoint(length, node.index, step)
                            : (step < 0 ? length - 1 : 0);
  const int64_t stop = (node.slice_parts & Node::kSliceStop)
                           ? AdjustEndpoint(length, node.stop, step)
                           : (step < 0 ? -1 : length);
  std::vector<Value> out;
  if (step > 0) {
    if (stop > start)
      out.reserve(static_cast<size_t>((stop - start + step - 1) / step));
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
    RETURN_IF_ERROR(
        AppendProjected(node.rhs, identity, base.TakeElement(i), &out));
  }
  return Value::List(std::move(out));
}

// The right-hand side of a projection or filter applied to one element;
// null results are dropped (JMESPath spec, "Projections"). `identity` skips
// evaluating a bare `@`.
absl::Status Interpreter::AppendProjected(NodeId rhs, bool identity,
                                          Value element,
                                          std::vector<Value>* out) {
  if (identity) {
    if (!element.is_null()) out->push_back(std::move(element));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(Value projected, Eval(rhs, std::move(element)));
  if (!projected.is_null()) out->push_back(std::move(projected));
  return absl::OkStatus();
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

absl::StatusOr<Value> Interpreter::EvalFilter(const Node& node, Value current) {
  ASSIGN_OR_RETURN(Value base, Eval(node.lhs, std::move(current)));
  if (base.type() != Type::kArray) return Value();
  const size_t n = base.ArraySize();
  std::vector<Value> out;
  // Filters mostly keep a few elements: room for them saves regrowing.
  out.reserve(std::min<size_t>(n, 8));
  const bool identity = ast_.nodes[node.rhs].kind == NodeKind::kIdentity;
  for (size_t i = 0; i < n; ++i) {
    Value element = base.TakeElement(i);
    absl::Status error;
    const Truth keep = EvalCondition(node.condition, element, &error);
    if (keep == Truth::kError) return error;
    if (keep != Truth::kTrue) continue;
    RETURN_IF_ERROR(
        AppendProjected(node.rhs, identity, std::move(element), &out));
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
    object[ast_.Key(node, i)] = std::move(json);
  }
  return Value::Own(std::move(object));
}

absl::StatusOr<Value> Interpreter::EvalComparator(const Node& node,
                                                  Value current) {
  absl::Status error;
  switch (Compare(node, current, &error)) {
    case Truth::kFalse:
      return Value::Bool(false);
    case Truth::kTrue:
      return Value::Bool(true);
    case Truth::kNull:
      return Value();
    case Truth::kError:
      break;
  }
  return error;
}

// Comparator `node` on `current` (kNull for an ordering whose operands are
// not both numbers or both strings: JMESPath's null).
Interpreter::Truth Interpreter::Compare(const Node& node, const Value& current,
                                        absl::Status* error) {
  // Most filter conditions compare a field (chain) with a literal: no Value
  // is built for them. Operands are evaluated left to right either way.
  const Json* left = EvalPath(node.lhs, current);
  if (left != nullptr) {
    if (const Json* right = EvalPath(node.rhs, current)) {
      return CompareJson(node, *left, *right, error);
    }
  }
  absl::StatusOr<Value> left_value =
      left != nullptr ? Value::Ref(*left) : Eval(node.lhs, current.View());
  if (!left_value.ok()) {
    *error = left_value.status();
    return Truth::kError;
  }
  absl::StatusOr<Value> right_value = Eval(node.rhs, current.View());
  if (!right_value.ok()) {
    *error = right_value.status();
    return Truth::kError;
  }
  return CompareValues(node, *left_value, *right_value, error);
}

Interpreter::Truth Interpreter::CompareValues(const Node& node,
                                              const Value& left,
                                              const Value& right,
                                              absl::Status* error) {
  if (left.json() != nullptr && right.json() != nullptr) {
    return CompareJson(node, *left.json(), *right.json(), error);
  }
  // An array operand: equal only to an equal array, never ordered.
  if (node.comparator != Comparator::kEq &&
      node.comparator != Comparator::kNe) {
    return Truth::kNull;
  }
  return IsEqualOrError(node, ValueEqual(left, right, kMaxValueDepth), error);
}

Interpreter::Truth Interpreter::CompareJsonSlow(const Node& node,
                                                const Json& left,
                                                const Json& right,
                                                absl::Status* error) {
  const Type lt = TypeOf(left);
  const Type rt = TypeOf(right);
  if (node.comparator == Comparator::kEq ||
      node.comparator == Comparator::kNe) {
    return IsEqualOrError(node, JsonEqualWithin(left, right, kMaxValueDepth),
                          error);
  }
  std::partial_ordering order = std::partial_ordering::unordered;
  if (lt == Type::kNumber && rt == Type::kNumber) {
    order = CompareNumbers(left, right);
  } else if (lt == Type::kString && rt == Type::kString) {
    order = *left.get_ptr<const std::string*>() <=>
            *right.get_ptr<const std::string*>();
  } else {
    return Truth::kNull;
  }
  switch (node.comparator) {
    case Comparator::kLt:
      return TruthOf(order < 0);
    case Comparator::kLte:
      return TruthOf(order <= 0);
    case Comparator::kGt:
      return TruthOf(order > 0);
    case Comparator::kGte:
      return TruthOf(order >= 0);
    default:
      return Truth::kFalse;
  }
}

// The result of `==` or `!=` (`node`) given the operands' equality.
Interpreter::Truth Interpreter::IsEqualOrError(const Node& node,
                                               Equality equality,
                                               absl::Status* error) {
  if (equality == Equality::kTooDeep) {
    *error = MakeError(ErrorKind::kLimitExceeded, node.column,
                       "compared values nest deeper than kMaxValueDepth");
    return Truth::kError;
  }
  return TruthOf((equality == Equality::kTrue) ==
                 (node.comparator == Comparator::kEq));
}

// IsTruthy(Eval(id, view of current)) as kTrue/kFalse, without building the
// intermediate values of &&, ||, ! and comparisons (filter conditions).
// Visits, counts and fails exactly as Eval() would.
Interpreter::Truth Interpreter::EvalCondition(NodeId id, const Value& current,
                                              absl::Status* error) {
  const Node& node = ast_.nodes[id];
  switch (node.kind) {
    case NodeKind::kAnd:
    case NodeKind::kOr:
    case NodeKind::kNot:
    case NodeKind::kComparator:
      break;
    default: {
      if (const Json* json = EvalPath(id, current)) {
        return TruthOf(IsTruthy(*json));
      }
      absl::StatusOr<Value> value = Eval(id, current.View());
      if (!value.ok()) {
        *error = value.status();
        return Truth::kError;
      }
      return TruthOf(IsTruthy(*value));
    }
  }
  DepthGuard guard(depth_);
  if (depth_ > kMaxEvalDepth) {
    *error = TooDeep(node);
    return Truth::kError;
  }
  if (++cost_ > max_cost_) {
    *error = CostExceeded();
    return Truth::kError;
  }
  switch (node.kind) {
    case NodeKind::kAnd:
    case NodeKind::kOr: {
      const Truth left = EvalCondition(node.lhs, current, error);
      if (left == Truth::kError) return left;
      if ((left == Truth::kTrue) == (node.kind == NodeKind::kOr)) return left;
      return EvalCondition(node.rhs, current, error);
    }
    case NodeKind::kNot: {
      const Truth operand = EvalCondition(node.lhs, current, error);
      if (operand == Truth::kError) return operand;
      return TruthOf(operand != Truth::kTrue);
    }
    default: {
      const Truth result = Compare(node, current, error);
      return result == Truth::kNull ? Truth::kFalse : result;
    }
  }
}

}  // namespace vigil::jmespath::internal
