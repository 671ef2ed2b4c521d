// File: policy/jmespath/json_util.h
// -----------------------------------------------------------------------------
// JSON helpers shared by the JMESPath engine and its callers: exception-free
// parsing and serialisation of nlohmann::ordered_json, JMESPath equality and
// exact number comparison.
//
// Numbers: nlohmann keeps integers that fit in int64 or uint64 exactly
// (9223372036854775808 stays a uint64); everything else is a double. Integers
// print as plain decimal digits; doubles print in their shortest round-trip
// form, which always has a '.' or an exponent ("1.0", "1.5", "1e+21").

#ifndef VIGIL_POLICY_JMESPATH_JSON_UTIL_H_
#define VIGIL_POLICY_JMESPATH_JSON_UTIL_H_

#include <compare>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace vigil::jmespath {

// Object members keep their document order (keys(), values(), `*`, output).
using Json = nlohmann::ordered_json;

// ParseJson(): parses one JSON text (RFC 8259; surrounding whitespace allowed).
// Fails with kInvalidArgument (ErrorKind kSyntax, no column) when the text is
// not JSON, and kResourceExhausted (kLimitExceeded) when arrays/objects nest
// deeper than kMaxValueDepth. Never throws. The input may be untrusted.
absl::StatusOr<Json> ParseJson(absl::string_view text);

// SerializeJson(): compact JSON text (no spaces, "[0,1]"), object members in
// order, numbers as described in the file comment, invalid UTF-8 replaced by
// U+FFFD, NaN/infinity as null. Fails with kResourceExhausted when `value`
// nests deeper than kMaxValueDepth. Never throws.
absl::StatusOr<std::string> SerializeJson(const Json& value);

// CheckSerializable(): OK iff SerializeJson(value) succeeds (its error
// otherwise), without producing the text. Lets callers that may never need
// the text defer it.
absl::Status CheckSerializable(const Json& value);

// JsonEqual(): JMESPath `==`: same type and value; numbers compare exactly
// across int64/uint64/double (1 == 1.0, 2^63 != 2^63 - 1), objects ignore
// member order, arrays compare element-wise. true != 1. Returns false when
// either value nests deeper than kMaxValueDepth.
bool JsonEqual(const Json& a, const Json& b);

namespace internal {

// The six JMESPath types (nlohmann's binary/discarded count as null).
enum class Type { kNull, kBoolean, kNumber, kString, kArray, kObject };

// Inline: every comparison and type check asks.
inline Type TypeOf(const Json& value) {
  using ValueT = Json::value_t;
  switch (value.type()) {
    case ValueT::boolean:
      return Type::kBoolean;
    case ValueT::number_integer:
    case ValueT::number_unsigned:
    case ValueT::number_float:
      return Type::kNumber;
    case ValueT::string:
      return Type::kString;
    case ValueT::array:
      return Type::kArray;
    case ValueT::object:
      return Type::kObject;
    case ValueT::null:
    case ValueT::binary:
    case ValueT::discarded:
      return Type::kNull;
  }
  return Type::kNull;
}

// "null", "boolean", "number", "string", "array", "object".
absl::string_view TypeName(Type type);

// Exact comparison of two JSON numbers (precondition: both are numbers).
// Unordered only when a NaN is involved (which JSON text cannot produce).
std::partial_ordering CompareNumbers(const Json& a, const Json& b);

// Result of a depth-limited structural comparison.
enum class Equality { kFalse, kTrue, kTooDeep };

// JsonEqual() with an explicit remaining depth budget.
Equality JsonEqualWithin(const Json& a, const Json& b, int depth_left);

// Returns false if `value` nests deeper than `depth_left` containers.
// Otherwise adds the number of JSON nodes in `value` to `*nodes` and returns
// true. Recursion is bounded by `depth_left`.
bool CheckDepthAndCount(const Json& value, int depth_left, int64_t* nodes);

// Compact, never-throwing dump (precondition: depth already checked).
std::string DumpCompact(const Json& value);

}  // namespace internal
}  // namespace vigil::jmespath

#endif  // VIGIL_POLICY_JMESPATH_JSON_UTIL_H_
