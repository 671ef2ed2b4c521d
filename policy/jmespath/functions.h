// File: policy/jmespath/functions.h
// -----------------------------------------------------------------------------
// The JMESPath built-in functions (specification, "Built-in Functions"): abs,
// avg, ceil, contains, ends_with, floor, join, keys, length, map, max, max_by,
// merge, min, min_by, not_null, reverse, sort, sort_by, starts_with, sum,
// to_array, to_number, to_string, type, values; plus Azure Attestation's
// equals_ignore_case(a, b).
//
// Names and arity are resolved when an expression is compiled
// (kUnknownFunction, kInvalidArity), and so is whether each argument must be
// an expression reference (&expr) or must not be one (kInvalidType). Value
// types are checked at call time (kInvalidType).
//
// Internal to policy/jmespath; use jmespath.h.

#ifndef VIGIL_POLICY_JMESPATH_FUNCTIONS_H_
#define VIGIL_POLICY_JMESPATH_FUNCTIONS_H_

#include <array>
#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/jmespath/ast.h"
#include "policy/jmespath/value.h"

namespace vigil::jmespath::internal {

class Interpreter;

// Accepted types of one parameter, as a bit set.
enum ArgType : uint32_t {
  kArgNull = 1u << 0,
  kArgBoolean = 1u << 1,
  kArgNumber = 1u << 2,
  kArgString = 1u << 3,
  kArgArray = 1u << 4,
  kArgObject = 1u << 5,
  kArgArrayOfNumber = 1u << 6,  // an array whose elements are all numbers
  kArgArrayOfString = 1u << 7,  // an array whose elements are all strings
  kArgExpref = 1u << 8,         // &expression
  kArgAny = kArgNull | kArgBoolean | kArgNumber | kArgString | kArgArray |
            kArgObject,
};

using Args = absl::InlinedVector<Value, 3>;

struct FunctionSpec;
using FunctionImpl = absl::StatusOr<Value> (*)(Interpreter& interpreter,
                                               const Node& call, Args& args);

struct FunctionSpec {
  absl::string_view name;
  int param_count;  // Declared parameters.
  bool variadic;    // The last parameter repeats (at least param_count args).
  std::array<uint32_t, 2> params;
  FunctionImpl impl;

  // Accepted types of argument `i` (precondition: i is within the arity).
  uint32_t ParamType(size_t i) const {
    return params[i < static_cast<size_t>(param_count) ? i : param_count - 1];
  }
};

// LookupFunction(): the function called `name`, or nullptr.
const FunctionSpec* LookupFunction(absl::string_view name);

// CallFunction(): evaluates the arguments of `call` (a kFunctionCall node)
// against `current`, checks their types and runs the function.
absl::StatusOr<Value> CallFunction(Interpreter& interpreter, const Node& call,
                                   Value current);

}  // namespace vigil::jmespath::internal

#endif  // VIGIL_POLICY_JMESPATH_FUNCTIONS_H_
