#include "policy/jmespath/functions.h"

#include <algorithm>
#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/encoding.h"
#include "common/status_macros.h"
#include "policy/jmespath/ast.h"
#include "policy/jmespath/error.h"
#include "policy/jmespath/interpreter.h"
#include "policy/jmespath/json_util.h"
#include "policy/jmespath/limits.h"
#include "policy/jmespath/value.h"

namespace vigil::jmespath::internal {
namespace {

// ---------------------------------------------------------------------------
// Helpers

absl::Status TypeError(const Node& call, absl::string_view detail) {
  return MakeError(ErrorKind::kInvalidType, call.column,
                   absl::StrCat(call.function->name, "(): ", detail));
}

std::string DescribeMask(uint32_t mask) {
  std::vector<absl::string_view> names;
  if (mask & kArgNull) names.push_back("null");
  if (mask & kArgBoolean) names.push_back("boolean");
  if (mask & kArgNumber) names.push_back("number");
  if (mask & kArgString) names.push_back("string");
  if (mask & kArgArray) names.push_back("array");
  if (mask & kArgObject) names.push_back("object");
  if (mask & kArgArrayOfNumber) names.push_back("array of numbers");
  if (mask & kArgArrayOfString) names.push_back("array of strings");
  if (mask & kArgExpref) names.push_back("expression reference");
  return absl::StrJoin(names, " or ");
}

bool Accepts(uint32_t mask, const Value& v) {
  const Type t = v.type();
  uint32_t bit = 0;
  switch (t) {
    case Type::kNull:
      bit = kArgNull;
      break;
    case Type::kBoolean:
      bit = kArgBoolean;
      break;
    case Type::kNumber:
      bit = kArgNumber;
      break;
    case Type::kString:
      bit = kArgString;
      break;
    case Type::kArray:
      bit = kArgArray;
      break;
    case Type::kObject:
      bit = kArgObject;
      break;
  }
  if (mask & bit) return true;
  if (t != Type::kArray || !(mask & (kArgArrayOfNumber | kArgArrayOfString))) {
    return false;
  }
  const size_t n = v.ArraySize();
  if (n == 0) return true;
  const Type first = v.ElementView(0).type();
  if (first == Type::kNumber && !(mask & kArgArrayOfNumber)) return false;
  if (first == Type::kString && !(mask & kArgArrayOfString)) return false;
  if (first != Type::kNumber && first != Type::kString) return false;
  for (size_t i = 1; i < n; ++i) {
    if (v.ElementView(i).type() != first) return false;
  }
  return true;
}

NodeId ExprefBody(const Interpreter& interpreter, const Node& call, size_t i) {
  return interpreter.ast().nodes[call.args[i]].lhs;
}

bool IsNaN(const Json& j) {
  const double* d = j.get_ptr<const double*>();
  return d != nullptr && std::isnan(*d);
}

// A strict weak order on numbers (NaN after everything) or on strings.
bool Less(const Value& a, const Value& b) {
  if (const std::string* sa = a.string()) return *sa < *b.string();
  const Json& ja = *a.json();
  const Json& jb = *b.json();
  std::partial_ordering o = CompareNumbers(ja, jb);
  if (o == std::partial_ordering::unordered) return !IsNaN(ja) && IsNaN(jb);
  return o < 0;
}

double ToDouble(const Json& j) {
  if (const double* d = j.get_ptr<const double*>()) return *d;
  if (const auto* u = j.get_ptr<const Json::number_unsigned_t*>()) {
    return static_cast<double>(*u);
  }
  return static_cast<double>(*j.get_ptr<const Json::number_integer_t*>());
}

Json IntegerJson(absl::int128 v) {
  if (v >= std::numeric_limits<int64_t>::min() &&
      v <= std::numeric_limits<int64_t>::max()) {
    return Json(static_cast<int64_t>(v));
  }
  if (v > 0 && v <= std::numeric_limits<uint64_t>::max()) {
    return Json(static_cast<uint64_t>(v));
  }
  return Json(static_cast<double>(v));
}

// A double with an integral value as an integer Json when it fits.
Json IntegralDoubleJson(double d) {
  if (d >= -0x1p63 && d < 0x1p63) return Json(static_cast<int64_t>(d));
  if (d >= 0 && d < 0x1p64) return Json(static_cast<uint64_t>(d));
  return Json(d);
}

// Sum of an array of numbers: exact while all are integers, like Python.
Json SumOf(const Value& array) {
  absl::int128 exact = 0;
  double inexact = 0;
  bool is_exact = true;
  const size_t n = array.ArraySize();
  for (size_t i = 0; i < n; ++i) {
    Value element = array.ElementView(i);
    const Json& j = *element.json();
    if (is_exact && !j.is_number_float()) {
      if (const auto* u = j.get_ptr<const Json::number_unsigned_t*>()) {
        exact += *u;
      } else {
        exact += *j.get_ptr<const Json::number_integer_t*>();
      }
      continue;
    }
    if (is_exact) {
      is_exact = false;
      inexact = static_cast<double>(exact);
    }
    inexact += ToDouble(j);
  }
  return is_exact ? IntegerJson(exact) : Json(inexact);
}

size_t CodePointCount(absl::string_view s) {
  size_t count = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

// Decodes the code point at s[*i] and advances *i. Bytes that do not start a
// well-formed sequence decode to 0x110000 + byte, outside Unicode.
char32_t DecodeUtf8(absl::string_view s, size_t* i) {
  const unsigned char c = static_cast<unsigned char>(s[*i]);
  if (c < 0x80) {
    ++*i;
    return c;
  }
  size_t len = 0;
  const int32_t cp = DecodeUtf8Sequence(s, *i, &len);
  if (cp < 0) {
    ++*i;
    return 0x110000 + c;
  }
  *i += len;
  return static_cast<char32_t>(cp);
}

// Simple (1:1) case folding for ASCII, Latin-1, Latin Extended-A, Greek and
// Cyrillic capitals; other code points fold to themselves.
char32_t SimpleFold(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 0x20 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
  if (c >= 0x100 && c <= 0x17F) {
    if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F) {
      return c;
    }
    if (c == 0x178) return 0xFF;
    const bool odd_is_upper =
        (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    return (c % 2 == (odd_is_upper ? 1u : 0u)) ? c + 1 : c;
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 0x20;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  return c;
}

bool EqualsIgnoreCase(absl::string_view a, absl::string_view b) {
  size_t i = 0;
  size_t j = 0;
  while (true) {
    // ASCII on both sides (file paths, GUIDs): no decoding needed, and a
    // tight loop over local offsets (DecodeUtf8 takes i and j by address).
    // Raw pointers: absl's hardened string_view::operator[] bounds-checks
    // every byte.
    const size_t n = std::min(a.size() - i, b.size() - j);
    const unsigned char* pa = reinterpret_cast<const unsigned char*>(a.data());
    const unsigned char* pb = reinterpret_cast<const unsigned char*>(b.data());
    size_t k = 0;
    for (; k < n; ++k) {
      const unsigned char ca = pa[i + k];
      const unsigned char cb = pb[j + k];
      if ((ca | cb) >= 0x80) break;
      if (ca != cb && SimpleFold(ca) != SimpleFold(cb)) return false;
    }
    i += k;
    j += k;
    if (i == a.size() || j == b.size()) break;
    if (SimpleFold(DecodeUtf8(a, &i)) != SimpleFold(DecodeUtf8(b, &j))) {
      return false;
    }
  }
  return i == a.size() && j == b.size();
}

// Evaluates `&expr` on every element of `array` for *_by functions; every key
// must be a number or every key a string.
absl::StatusOr<std::vector<Value>> KeysOf(Interpreter& interpreter,
                                          const Node& call, const Value& array,
                                          NodeId body) {
  const size_t n = array.ArraySize();
  std::vector<Value> keys;
  keys.reserve(n);
  Type key_type = Type::kNull;
  for (size_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(Value key, interpreter.Eval(body, array.ElementView(i)));
    const Type t = key.type();
    if (i == 0) key_type = t;
    if ((t != Type::kNumber && t != Type::kString) || t != key_type) {
      return TypeError(
          call, absl::StrCat("expression must give a number or a string for "
                             "every element (consistently), got ",
                             TypeName(t), " for element ", i));
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

// ---------------------------------------------------------------------------
// The functions, in the specification's order.

absl::StatusOr<Value> Abs(Interpreter&, const Node&, Args& args) {
  const Json& n = *args[0].json();
  if (const auto* i = n.get_ptr<const Json::number_integer_t*>()) {
    if (*i >= 0) return std::move(args[0]);
    return Value::Own(IntegerJson(-absl::int128(*i)));
  }
  if (const double* d = n.get_ptr<const double*>()) {
    return Value::Own(Json(std::fabs(*d)));
  }
  return std::move(args[0]);  // Unsigned.
}

absl::StatusOr<Value> Avg(Interpreter&, const Node&, Args& args) {
  const size_t n = args[0].ArraySize();
  if (n == 0) return Value();
  return Value::Own(Json(ToDouble(SumOf(args[0])) / static_cast<double>(n)));
}

absl::StatusOr<Value> Ceil(Interpreter&, const Node&, Args& args) {
  const double* d = args[0].json()->get_ptr<const double*>();
  if (d == nullptr) return std::move(args[0]);
  return Value::Own(IntegralDoubleJson(std::ceil(*d)));
}

absl::StatusOr<Value> Contains(Interpreter&, const Node& call, Args& args) {
  if (const std::string* subject = args[0].string()) {
    const std::string* search = args[1].string();
    return Value::Bool(search != nullptr &&
                       absl::StrContains(*subject, *search));
  }
  const size_t n = args[0].ArraySize();
  for (size_t i = 0; i < n; ++i) {
    Equality eq = ValueEqual(args[0].ElementView(i), args[1], kMaxValueDepth);
    if (eq == Equality::kTooDeep) {
      return MakeError(ErrorKind::kLimitExceeded, call.column,
                       "contains(): values nest too deeply");
    }
    if (eq == Equality::kTrue) return Value::Bool(true);
  }
  return Value::Bool(false);
}

absl::StatusOr<Value> EndsWith(Interpreter&, const Node&, Args& args) {
  return Value::Bool(absl::EndsWith(*args[0].string(), *args[1].string()));
}

absl::StatusOr<Value> Floor(Interpreter&, const Node&, Args& args) {
  const double* d = args[0].json()->get_ptr<const double*>();
  if (d == nullptr) return std::move(args[0]);
  return Value::Own(IntegralDoubleJson(std::floor(*d)));
}

absl::StatusOr<Value> Join(Interpreter& interpreter, const Node&, Args& args) {
  const std::string& glue = *args[0].string();
  const Value& array = args[1];
  const size_t n = array.ArraySize();
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += glue;
    out += *array.ElementView(i).string();
  }
  RETURN_IF_ERROR(
      interpreter.Charge(static_cast<int64_t>(n + out.size() / 16)));
  return Value::Own(Json(std::move(out)));
}

absl::StatusOr<Value> Keys(Interpreter& interpreter, const Node&, Args& args) {
  const Json& object = *args[0].json();
  Json out = Json::array();
  for (auto it = object.begin(); it != object.end(); ++it) {
    out.push_back(it.key());
  }
  RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>(out.size())));
  return Value::Own(std::move(out));
}

absl::StatusOr<Value> Length(Interpreter&, const Node&, Args& args) {
  const Value& v = args[0];
  if (const std::string* s = v.string()) {
    return Value::Own(Json(static_cast<uint64_t>(CodePointCount(*s))));
  }
  if (v.type() == Type::kArray) {
    return Value::Own(Json(static_cast<uint64_t>(v.ArraySize())));
  }
  return Value::Own(Json(static_cast<uint64_t>(v.json()->size())));
}

absl::StatusOr<Value> Map(Interpreter& interpreter, const Node& call,
                          Args& args) {
  const NodeId body = ExprefBody(interpreter, call, 0);
  Value& array = args[1];
  const size_t n = array.ArraySize();
  std::vector<Value> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(Value mapped,
                     interpreter.Eval(body, array.TakeElement(i)));
    out.push_back(std::move(mapped));
  }
  return Value::List(std::move(out));
}

template <bool kMax>
absl::StatusOr<Value> Extreme(Interpreter&, const Node&, Args& args) {
  Value& array = args[0];
  const size_t n = array.ArraySize();
  if (n == 0) return Value();
  size_t best = 0;
  for (size_t i = 1; i < n; ++i) {
    const bool better =
        kMax ? Less(array.ElementView(best), array.ElementView(i))
             : Less(array.ElementView(i), array.ElementView(best));
    if (better) best = i;
  }
  return array.TakeElement(best);
}

template <bool kMax>
absl::StatusOr<Value> ExtremeBy(Interpreter& interpreter, const Node& call,
                                Args& args) {
  Value& array = args[0];
  if (array.ArraySize() == 0) return Value();
  ASSIGN_OR_RETURN(
      std::vector<Value> keys,
      KeysOf(interpreter, call, array, ExprefBody(interpreter, call, 1)));
  size_t best = 0;
  for (size_t i = 1; i < keys.size(); ++i) {
    const bool better =
        kMax ? Less(keys[best], keys[i]) : Less(keys[i], keys[best]);
    if (better) best = i;
  }
  keys.clear();
  return array.TakeElement(best);
}

absl::StatusOr<Value> Merge(Interpreter& interpreter, const Node&, Args& args) {
  if (args.size() == 1) return std::move(args[0]);
  Json out = Json::object();
  for (Value& arg : args) {
    ASSIGN_OR_RETURN(Json object, interpreter.Materialize(std::move(arg)));
    for (auto it = object.begin(); it != object.end(); ++it) {
      out[it.key()] = std::move(it.value());
    }
  }
  return Value::Own(std::move(out));
}

absl::StatusOr<Value> NotNull(Interpreter&, const Node&, Args& args) {
  for (Value& arg : args) {
    if (!arg.is_null()) return std::move(arg);
  }
  return Value();
}

absl::StatusOr<Value> Reverse(Interpreter& interpreter, const Node&,
                              Args& args) {
  Value& v = args[0];
  if (const std::string* s = v.string()) {
    std::string out;
    out.reserve(s->size());
    size_t end = s->size();
    while (end > 0) {
      size_t begin = end - 1;
      while (begin > 0 &&
             (static_cast<unsigned char>((*s)[begin]) & 0xC0) == 0x80) {
        --begin;
      }
      out.append(*s, begin, end - begin);
      end = begin;
    }
    return Value::Own(Json(std::move(out)));
  }
  const size_t n = v.ArraySize();
  RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>(n)));
  std::vector<Value> out;
  out.reserve(n);
  for (size_t i = n; i > 0; --i) out.push_back(v.TakeElement(i - 1));
  return Value::List(std::move(out));
}

absl::StatusOr<Value> Sort(Interpreter& interpreter, const Node&, Args& args) {
  Value& array = args[0];
  const size_t n = array.ArraySize();
  RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>(n)));
  std::vector<Value> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(array.TakeElement(i));
  std::stable_sort(out.begin(), out.end(),
                   [](const Value& a, const Value& b) { return Less(a, b); });
  return Value::List(std::move(out));
}

absl::StatusOr<Value> SortBy(Interpreter& interpreter, const Node& call,
                             Args& args) {
  Value& array = args[0];
  const size_t n = array.ArraySize();
  if (n == 0) return std::move(array);
  RETURN_IF_ERROR(interpreter.Charge(static_cast<int64_t>(n)));
  ASSIGN_OR_RETURN(
      std::vector<Value> keys,
      KeysOf(interpreter, call, array, ExprefBody(interpreter, call, 1)));
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&keys](size_t a, size_t b) {
    return Less(keys[a], keys[b]);
  });
  keys.clear();
  std::vector<Value> out;
  out.reserve(n);
  for (size_t i : order) out.push_back(array.TakeElement(i));
  return Value::List(std::move(out));
}

absl::StatusOr<Value> StartsWith(Interpreter&, const Node&, Args& args) {
  return Value::Bool(absl::StartsWith(*args[0].string(), *args[1].string()));
}

absl::StatusOr<Value> Sum(Interpreter&, const Node&, Args& args) {
  return Value::Own(SumOf(args[0]));
}

absl::StatusOr<Value> ToArray(Interpreter&, const Node&, Args& args) {
  if (args[0].type() == Type::kArray) return std::move(args[0]);
  std::vector<Value> out;
  out.push_back(std::move(args[0]));
  return Value::List(std::move(out));
}

absl::StatusOr<Value> ToNumber(Interpreter&, const Node&, Args& args) {
  const Type t = args[0].type();
  if (t == Type::kNumber) return std::move(args[0]);
  if (t != Type::kString) return Value();
  const std::string& text = *args[0].string();
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_number()) return Value();
  if (const double* d = parsed.get_ptr<const double*>()) {
    if (!std::isfinite(*d)) return Value();
  }
  return Value::Own(std::move(parsed));
}

absl::StatusOr<Value> ToString(Interpreter& interpreter, const Node&,
                               Args& args) {
  if (args[0].type() == Type::kString) return std::move(args[0]);
  if (const Json* j = args[0].json()) {
    int64_t nodes = 0;
    if (!CheckDepthAndCount(*j, kMaxValueDepth, &nodes)) {
      return MakeError(ErrorKind::kLimitExceeded, 0,
                       "to_string(): value nests deeper than kMaxValueDepth");
    }
    RETURN_IF_ERROR(interpreter.Charge(nodes));
    return Value::Own(Json(DumpCompact(*j)));
  }
  ASSIGN_OR_RETURN(Json json, interpreter.Materialize(std::move(args[0])));
  return Value::Own(Json(DumpCompact(json)));
}

absl::StatusOr<Value> TypeFn(Interpreter&, const Node&, Args& args) {
  return Value::Own(Json(std::string(TypeName(args[0].type()))));
}

absl::StatusOr<Value> Values(Interpreter&, const Node&, Args& args) {
  return Value::List(std::move(args[0]).TakeMemberValues());
}

// Azure Attestation: equals_ignore_case(a, b). Two strings compare equal
// ignoring case (SimpleFold); when either argument is null the result is
// false, so a missing field does not abort the whole query.
absl::StatusOr<Value> EqualsIgnoreCaseFn(Interpreter&, const Node&,
                                         Args& args) {
  const std::string* a = args[0].string();
  const std::string* b = args[1].string();
  return Value::Bool(a != nullptr && b != nullptr && EqualsIgnoreCase(*a, *b));
}

constexpr uint32_t kArrayOrString = kArgArray | kArgString;
constexpr uint32_t kNumbersOrStrings = kArgArrayOfNumber | kArgArrayOfString;

// Sorted by name for LookupFunction's binary search.
constexpr FunctionSpec kFunctions[] = {
    {"abs", 1, false, {kArgNumber, 0}, &Abs},
    {"avg", 1, false, {kArgArrayOfNumber, 0}, &Avg},
    {"ceil", 1, false, {kArgNumber, 0}, &Ceil},
    {"contains", 2, false, {kArrayOrString, kArgAny}, &Contains},
    {"ends_with", 2, false, {kArgString, kArgString}, &EndsWith},
    {"equals_ignore_case",
     2,
     false,
     {kArgString | kArgNull, kArgString | kArgNull},
     &EqualsIgnoreCaseFn},
    {"floor", 1, false, {kArgNumber, 0}, &Floor},
    {"join", 2, false, {kArgString, kArgArrayOfString}, &Join},
    {"keys", 1, false, {kArgObject, 0}, &Keys},
    {"length", 1, false, {kArgString | kArgArray | kArgObject, 0}, &Length},
    {"map", 2, false, {kArgExpref, kArgArray}, &Map},
    {"max", 1, false, {kNumbersOrStrings, 0}, &Extreme<true>},
    {"max_by", 2, false, {kArgArray, kArgExpref}, &ExtremeBy<true>},
    {"merge", 1, true, {kArgObject, 0}, &Merge},
    {"min", 1, false, {kNumbersOrStrings, 0}, &Extreme<false>},
    {"min_by", 2, false, {kArgArray, kArgExpref}, &ExtremeBy<false>},
    {"not_null", 1, true, {kArgAny, 0}, &NotNull},
    {"reverse", 1, false, {kArrayOrString, 0}, &Reverse},
    {"sort", 1, false, {kNumbersOrStrings, 0}, &Sort},
    {"sort_by", 2, false, {kArgArray, kArgExpref}, &SortBy},
    {"starts_with", 2, false, {kArgString, kArgString}, &StartsWith},
    {"sum", 1, false, {kArgArrayOfNumber, 0}, &Sum},
    {"to_array", 1, false, {kArgAny, 0}, &ToArray},
    {"to_number", 1, false, {kArgAny, 0}, &ToNumber},
    {"to_string", 1, false, {kArgAny, 0}, &ToString},
    {"type", 1, false, {kArgAny, 0}, &TypeFn},
    {"values", 1, false, {kArgObject, 0}, &Values},
};

}  // namespace

const FunctionSpec* LookupFunction(absl::string_view name) {
  const FunctionSpec* end = std::end(kFunctions);
  const FunctionSpec* it = std::lower_bound(
      std::begin(kFunctions), end, name,
      [](const FunctionSpec& f, absl::string_view n) { return f.name < n; });
  return (it != end && it->name == name) ? it : nullptr;
}

absl::StatusOr<Value> CallFunction(Interpreter& interpreter, const Node& call,
                                   Value current) {
  const FunctionSpec& spec = *call.function;
  const Ast& ast = interpreter.ast();
  size_t evaluated = 0;
  for (NodeId arg : call.args) {
    if (ast.nodes[arg].kind != NodeKind::kExpressionRef) ++evaluated;
  }
  // With several arguments, each is evaluated on a view of `current`, and a
  // result may be returned (not_null), so an owned `current` is pinned.
  Value input =
      evaluated > 1 ? interpreter.Pin(std::move(current)) : std::move(current);
  Args args;
  for (size_t i = 0; i < call.args.size(); ++i) {
    if (ast.nodes[call.args[i]].kind == NodeKind::kExpressionRef) {
      args.emplace_back();
      continue;
    }
    // A field (chain) or literal of a borrowed input is read in place.
    Value value;
    const Json* json =
        input.is_owned() ? nullptr : interpreter.EvalPath(call.args[i], input);
    if (json != nullptr) {
      value = Value::Ref(*json);
    } else {
      absl::StatusOr<Value> evaluated_arg = interpreter.Eval(
          call.args[i], evaluated > 1 ? input.View() : std::move(input));
      if (!evaluated_arg.ok()) return evaluated_arg.status();
      value = *std::move(evaluated_arg);
    }
    const uint32_t mask = spec.ParamType(i);
    if (!Accepts(mask, value)) {
      return TypeError(call, absl::StrCat("argument ", i + 1, " must be ",
                                          DescribeMask(mask), ", got ",
                                          TypeName(value.type())));
    }
    args.push_back(std::move(value));
  }
  return spec.impl(interpreter, call, args);
}

}  // namespace vigil::jmespath::internal
