#include "policy/functions.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"

namespace vigil::policy {
namespace {

using jmespath::Json;

constexpr std::array<FunctionInfo, 6> kFunctions = {{
    {Function::kJmesPath, "JmesPath", 2, "JmesPath(json, query)"},
    {Function::kJsonToClaimValue, "JsonToClaimValue", 1,
     "JsonToClaimValue(json)"},
    {Function::kIsSubsetOf, "IsSubsetOf", 2, "IsSubsetOf(set, set)"},
    {Function::kAppendString, "AppendString", 2,
     "AppendString(string, string)"},
    {Function::kNegateBool, "NegateBool", 1, "NegateBool(boolean)"},
    {Function::kContainsOnlyValue, "ContainsOnlyValue", 2,
     "ContainsOnlyValue(set, value)"},
}};

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diag + (a[i - 1] == b[j - 1] ? 0u : 1u)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The members of a Set, a scalar as its only member, none for Empty; a view
// into `v` (no copies: sets are read once per call).
absl::Span<const Value> Members(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kSet:
      return v.set_members();
    case Value::Kind::kEmpty:
      return {};
    default:
      return absl::Span<const Value>(&v, 1);
  }
}

std::string WrongKind(int index, const Value& got, absl::string_view want) {
  return absl::StrCat("argument ", index, ": got ", Value::KindName(got.kind()),
                      ", want ", want);
}

absl::StatusOr<Value> ScalarFromJson(const Json& j) {
  if (j.is_boolean()) return Value::Bool(j.get<bool>());
  if (j.is_number_unsigned()) {
    uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) {
      return absl::InvalidArgumentError(
          absl::StrCat("integer ", u, " is outside the 64-bit signed range"));
    }
    return Value::Int(static_cast<int64_t>(u));
  }
  if (j.is_number_integer()) return Value::Int(j.get<int64_t>());
  if (j.is_number_float()) {
    double d = j.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && d >= -9.2233720368547758e18 &&
        d < 9.2233720368547758e18) {
      return Value::Int(static_cast<int64_t>(d));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("number ", jmespath::internal::DumpCompact(j),
                     " has a fraction; claim values are integers"));
  }
  if (j.is_string()) return Value::String(j.get<std::string>());
  return absl::InvalidArgumentError("unreachable");
}

}  // namespace

const FunctionInfo* FindFunction(absl::string_view name) {
  for (const FunctionInfo& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FunctionInfo& GetFunctionInfo(Function id) {
  for (const FunctionInfo& f : kFunctions) {
    if (f.id == id) return f;
  }
  return kFunctions[0];
}

absl::string_view SuggestFunction(absl::string_view name) {
  for (const FunctionInfo& f : kFunctions) {
    if (absl::EqualsIgnoreCase(f.name, name)) return f.name;
  }
  for (const FunctionInfo& f : kFunctions) {
    if (EditDistance(f.name, name) <= 2) return f.name;
  }
  return "";
}

namespace {

// Element `i` of an array, as a Set member.
absl::StatusOr<Value> SetMember(size_t i, const Json* e) {
  if (e == nullptr || e->is_object() || e->is_array() || e->is_null()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "array element ", i, " is ",
        e == nullptr
            ? "an array"
            : (e->is_null() ? "null"
                            : (e->is_object() ? "an object" : "an array")),
        "; a set holds only booleans, integers and strings"));
  }
  absl::StatusOr<Value> m = ScalarFromJson(*e);
  if (!m.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("array element ", i, ": ", m.status().message()));
  }
  return m;
}

}  // namespace

absl::StatusOr<Value> JsonToValue(const Json& document) {
  if (document.is_null()) return Value();
  if (document.is_object()) {
    return absl::InvalidArgumentError("a JSON object cannot be a claim value");
  }
  if (document.is_array()) {
    std::vector<Value> members;
    members.reserve(document.size());
    for (size_t i = 0; i < document.size(); ++i) {
      absl::StatusOr<Value> m = SetMember(i, &document[i]);
      if (!m.ok()) return m.status();
      members.push_back(*std::move(m));
    }
    return Value::Set(std::move(members));
  }
  return ScalarFromJson(document);
}

absl::StatusOr<Value> JsonToValue(const jmespath::Result& document) {
  if (const Json* json = document.json()) return JsonToValue(*json);
  // An array of shared parts: each element is one Json or a nested array.
  const size_t n = document.array_size();
  std::vector<Value> members;
  members.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    absl::StatusOr<Value> m = SetMember(i, document.element(i).json());
    if (!m.ok()) return m.status();
    members.push_back(*std::move(m));
  }
  return Value::Set(std::move(members));
}

absl::StatusOr<Value> IsSubsetOf(const Value& a, const Value& b) {
  absl::Span<const Value> sub = Members(a);
  absl::Span<const Value> super = Members(b);
  for (const Value& m : sub) {
    if (std::find(super.begin(), super.end(), m) == super.end()) {
      return Value::Bool(false);
    }
  }
  return Value::Bool(true);
}

absl::StatusOr<Value> AppendString(const Value& a, const Value& b) {
  if (a.kind() != Value::Kind::kString) {
    return absl::InvalidArgumentError(WrongKind(1, a, "String"));
  }
  if (b.kind() != Value::Kind::kString) {
    return absl::InvalidArgumentError(WrongKind(2, b, "String"));
  }
  Value out = Value::String(absl::StrCat(a.string_value(), b.string_value()));
  out.set_read_only(a.read_only() || b.read_only());
  return out;
}

absl::StatusOr<Value> NegateBool(const Value& b) {
  if (b.kind() != Value::Kind::kBool) {
    return absl::InvalidArgumentError(WrongKind(1, b, "Boolean"));
  }
  Value out = Value::Bool(!b.bool_value());
  out.set_read_only(b.read_only());
  return out;
}

absl::StatusOr<Value> ContainsOnlyValue(const Value& set, const Value& v) {
  if (!v.is_scalar()) {
    return absl::InvalidArgumentError(
        WrongKind(2, v, "a single Boolean, Integer or String"));
  }
  absl::Span<const Value> members = Members(set);
  if (members.empty()) return Value::Bool(false);
  for (const Value& m : members) {
    if (!(m == v)) return Value::Bool(false);
  }
  return Value::Bool(true);
}

}  // namespace vigil::policy
