#include "policy/jmespath/json_util.h"

#include <cmath>
#include <compare>
#include <cstdint>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "policy/jmespath/error.h"
#include "policy/jmespath/limits.h"

namespace vigil::jmespath {
namespace internal {
namespace {

using ValueT = Json::value_t;

bool IsIntegerType(ValueT t) {
  return t == ValueT::number_integer || t == ValueT::number_unsigned;
}

absl::int128 AsInt128(const Json& v) {
  if (v.type() == ValueT::number_unsigned) {
    return absl::int128(*v.get_ptr<const Json::number_unsigned_t*>());
  }
  return absl::int128(*v.get_ptr<const Json::number_integer_t*>());
}

// Exact comparison of an integer in [-2^63, 2^64) with a double.
std::partial_ordering CompareIntDouble(absl::int128 i, double d) {
  if (std::isnan(d)) return std::partial_ordering::unordered;
  if (d >= 0x1p64) return std::partial_ordering::less;
  if (d < -0x1p63) return std::partial_ordering::greater;
  double truncated = std::trunc(d);
  absl::int128 t(truncated);  // Exact: |truncated| < 2^64.
  if (i < t) return std::partial_ordering::less;
  if (i > t) return std::partial_ordering::greater;
  if (d > truncated) return std::partial_ordering::less;
  if (d < truncated) return std::partial_ordering::greater;
  return std::partial_ordering::equivalent;
}

}  // namespace

absl::string_view TypeName(Type type) {
  switch (type) {
    case Type::kNull:
      return "null";
    case Type::kBoolean:
      return "boolean";
    case Type::kNumber:
      return "number";
    case Type::kString:
      return "string";
    case Type::kArray:
      return "array";
    case Type::kObject:
      return "object";
  }
  return "null";
}

std::partial_ordering CompareNumbers(const Json& a, const Json& b) {
  const bool a_int = IsIntegerType(a.type());
  const bool b_int = IsIntegerType(b.type());
  if (a_int && b_int) {
    const absl::int128 x = AsInt128(a);
    const absl::int128 y = AsInt128(b);
    if (x < y) return std::partial_ordering::less;
    if (x > y) return std::partial_ordering::greater;
    return std::partial_ordering::equivalent;
  }
  if (a_int) {
    return CompareIntDouble(AsInt128(a), *b.get_ptr<const double*>());
  }
  if (b_int) {
    return 0 <=> CompareIntDouble(AsInt128(b), *a.get_ptr<const double*>());
  }
  return *a.get_ptr<const double*>() <=> *b.get_ptr<const double*>();
}

Equality JsonEqualWithin(const Json& a, const Json& b, int depth_left) {
  const Type ta = TypeOf(a);
  if (ta != TypeOf(b)) return Equality::kFalse;
  switch (ta) {
    case Type::kNull:
      return Equality::kTrue;
    case Type::kBoolean:
      return *a.get_ptr<const bool*>() == *b.get_ptr<const bool*>()
                 ? Equality::kTrue
                 : Equality::kFalse;
    case Type::kNumber:
      return CompareNumbers(a, b) == 0 ? Equality::kTrue : Equality::kFalse;
    case Type::kString:
      return *a.get_ptr<const std::string*>() ==
                     *b.get_ptr<const std::string*>()
                 ? Equality::kTrue
                 : Equality::kFalse;
    case Type::kArray: {
      if (depth_left <= 0) return Equality::kTooDeep;
      if (a.size() != b.size()) return Equality::kFalse;
      for (size_t i = 0; i < a.size(); ++i) {
        Equality e = JsonEqualWithin(a[i], b[i], depth_left - 1);
        if (e != Equality::kTrue) return e;
      }
      return Equality::kTrue;
    }
    case Type::kObject: {
      if (depth_left <= 0) return Equality::kTooDeep;
      if (a.size() != b.size()) return Equality::kFalse;
      for (auto it = a.begin(); it != a.end(); ++it) {
        auto other = b.find(it.key());
        if (other == b.end()) return Equality::kFalse;
        Equality e = JsonEqualWithin(it.value(), *other, depth_left - 1);
        if (e != Equality::kTrue) return e;
      }
      return Equality::kTrue;
    }
  }
  return Equality::kFalse;
}

bool CheckDepthAndCount(const Json& value, int depth_left, int64_t* nodes) {
  // Walks the containers directly: nlohmann's generic iterators cost
  // several times more per node, and every JmesPath() result that points
  // into a document is walked (Interpreter::CheckMaterializable).
  ++*nodes;
  auto child_ok = [&](const Json& child) {
    if (!child.is_structured()) {
      ++*nodes;
      return true;
    }
    return CheckDepthAndCount(child, depth_left - 1, nodes);
  };
  if (const auto* array = value.get_ptr<const Json::array_t*>()) {
    if (depth_left <= 0) return false;
    for (const Json& child : *array) {
      if (!child_ok(child)) return false;
    }
  } else if (const auto* object = value.get_ptr<const Json::object_t*>()) {
    if (depth_left <= 0) return false;
    for (const auto& member : *object) {
      if (!child_ok(member.second)) return false;
    }
  }
  return true;
}

std::string DumpCompact(const Json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false,
                    Json::error_handler_t::replace);
}

}  // namespace internal

absl::StatusOr<Json> ParseJson(absl::string_view text) {
  Json parsed = Json::parse(text.begin(), text.end(), /*cb=*/nullptr,
                            /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return internal::MakeError(ErrorKind::kSyntax, 0, "malformed JSON text");
  }
  int64_t nodes = 0;
  if (!internal::CheckDepthAndCount(parsed, kMaxValueDepth, &nodes)) {
    return internal::MakeError(ErrorKind::kLimitExceeded, 0,
                               "JSON nests deeper than kMaxValueDepth");
  }
  return parsed;
}

absl::Status CheckSerializable(const Json& value) {
  int64_t nodes = 0;
  if (!internal::CheckDepthAndCount(value, kMaxValueDepth, &nodes)) {
    return internal::MakeError(ErrorKind::kLimitExceeded, 0,
                               "JSON nests deeper than kMaxValueDepth");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SerializeJson(const Json& value) {
  absl::Status serializable = CheckSerializable(value);
  if (!serializable.ok()) return serializable;
  return internal::DumpCompact(value);
}

bool JsonEqual(const Json& a, const Json& b) {
  return internal::JsonEqualWithin(a, b, kMaxValueDepth) ==
         internal::Equality::kTrue;
}

}  // namespace vigil::jmespath
