// File: policy/functions.h
// -----------------------------------------------------------------------------
// The six claim-rule functions of policy version 1.2 (maa-spec.md §1.7): the
// table the checker validates calls against, and the pure ones' semantics.
// JmesPath() lives in the evaluator, which owns the per-evaluation caches.
//
// Internal to the policy engine.

#ifndef VIGIL_POLICY_FUNCTIONS_H_
#define VIGIL_POLICY_FUNCTIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/jmespath/jmespath.h"
#include "policy/jmespath/json_util.h"
#include "policy/value.h"

namespace vigil::policy {

enum class Function {
  kJmesPath,
  kJsonToClaimValue,
  kIsSubsetOf,
  kAppendString,
  kNegateBool,
  kContainsOnlyValue,
};

struct FunctionInfo {
  Function id;
  absl::string_view name;       // as written in policies: "JmesPath"
  int arity;
  absl::string_view signature;  // "JmesPath(json, query)"
};

// FindFunction(): the function named exactly `name` (names are
// case-sensitive), or null.
const FunctionInfo* FindFunction(absl::string_view name);

// GetFunctionInfo(): the table entry of `id`.
const FunctionInfo& GetFunctionInfo(Function id);

// SuggestFunction(): the known function `name` was probably meant to be
// (same letters in another case, or at most two edits away), or "".
absl::string_view SuggestFunction(absl::string_view name);

// The functions below fail with kInvalidArgument and a message without the
// function name ("argument 1: got Integer, want String"); the evaluator adds
// the rule and call location.

// JsonToValue(): JsonToClaimValue() on a parsed document: integer -> Integer
// (an integral number with a fraction part of zero is accepted; other
// fractions and integers outside int64 fail), boolean, string (unquoted),
// array of those -> Set, null -> Empty. Objects and arrays holding objects,
// arrays or null fail.
absl::StatusOr<Value> JsonToValue(const jmespath::Json& document);
// The same on a shared document or JMESPath result, without copying it.
absl::StatusOr<Value> JsonToValue(const jmespath::Result& document);

// IsSubsetOf(a, b): every member of `a` is a member of `b` (a scalar counts as
// a one-member set, Empty as the empty set). Never read-only.
absl::StatusOr<Value> IsSubsetOf(const Value& a, const Value& b);

// AppendString(a, b): both Strings; read-only if either is.
absl::StatusOr<Value> AppendString(const Value& a, const Value& b);

// NegateBool(b): a Boolean; read-only if `b` is.
absl::StatusOr<Value> NegateBool(const Value& b);

// ContainsOnlyValue(set, v): true iff `set` has at least one member and every
// member equals the scalar `v`. Never read-only.
absl::StatusOr<Value> ContainsOnlyValue(const Value& set, const Value& v);

}  // namespace vigil::policy

#endif  // VIGIL_POLICY_FUNCTIONS_H_
