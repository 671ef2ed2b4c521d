// File: policy/jmespath/value.h
// -----------------------------------------------------------------------------
// Value: a JSON value during evaluation, without copying the input document.
//
// A Value is one of
//   - a reference to a Json that outlives the evaluation (the input document,
//     a literal in the syntax tree, or a value pinned in the evaluation arena),
//   - an owned Json (built by evaluation, e.g. a function result),
//   - an owned list of Values (an array built by a projection, filter, slice,
//     flatten or multi-select list, not yet turned into Json), or
//   - a reference to such a list.
// Projections therefore collect pointers into the document, and JSON is
// copied once, when the final result is materialised.
//
// Lifetime rule: a reference Value is valid while what it points at lives.
// View() of an owned Value points into that Value, so it must not outlive it
// or survive a move of it; the interpreter pins owned values it needs to view
// beyond one call (see interpreter.cc).
//
// Internal to policy/jmespath.

#ifndef VIGIL_POLICY_JMESPATH_VALUE_H_
#define VIGIL_POLICY_JMESPATH_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "policy/jmespath/json_util.h"

namespace vigil::jmespath::internal {

inline const Json& NullJson() {
  static const Json* const kNull = new Json(nullptr);
  return *kNull;
}

// The first member named `name` (as ordered_map::find), or null. Field
// lookup is the interpreter's most frequent operation and objects are small
// vectors, so comparing the first byte before calling memcmp pays off (and
// inlining it into the lookups of field chains).
template <typename Object>
auto FindMember(Object& object, const std::string& name)
    -> decltype(&object.begin()->second) {
  const size_t size = name.size();
  const char* data = name.data();
  for (auto& member : object) {
    const std::string& key = member.first;
    if (key.size() == size &&
        (size == 0 ||
         (key[0] == data[0] && std::memcmp(key.data(), data, size) == 0))) {
      return &member.second;
    }
  }
  return nullptr;
}

// The member `name` of `json`, or NullJson() when `json` is null (a list
// Value's json()), not an object, or has no such member.
inline const Json* MemberOrNull(const Json* json, const std::string& name) {
  const auto* object =
      json != nullptr ? json->get_ptr<const Json::object_t*>() : nullptr;
  if (object == nullptr) return &NullJson();
  const Json* member = FindMember(*object, name);
  return member != nullptr ? member : &NullJson();
}

class Value {
 public:
  // Null.
  Value() : rep_(Rep::kJsonRef), json_ref_(&NullJson()) {}

  static Value Ref(const Json& json) { return Value(&json); }
  static Value Own(Json json) {
    Value v;
    v.rep_ = Rep::kJson;
    new (&v.json_) Json(std::move(json));
    return v;
  }
  static Value List(std::vector<Value> items) {
    Value v;
    v.rep_ = Rep::kList;
    v.list_ = new std::vector<Value>(std::move(items));
    return v;
  }
  static Value ListRef(const std::vector<Value>& items) {
    Value v;
    v.rep_ = Rep::kListRef;
    v.list_ref_ = &items;
    return v;
  }
  static Value Bool(bool b);

  Value(Value&& other) noexcept : rep_(Rep::kJsonRef) {
    MoveFrom(std::move(other));
  }
  Value& operator=(Value&& other) noexcept {
    if (this != &other) {
      Destroy();
      MoveFrom(std::move(other));
    }
    return *this;
  }
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;
  ~Value() { Destroy(); }

  Type type() const {
    const Json* j = json();
    return j != nullptr ? TypeOf(*j) : Type::kArray;
  }
  bool is_null() const { return type() == Type::kNull; }
  bool is_owned() const { return rep_ == Rep::kJson || rep_ == Rep::kList; }

  // The Json, or nullptr when this is a list.
  const Json* json() const {
    switch (rep_) {
      case Rep::kJsonRef:
        return json_ref_;
      case Rep::kJson:
        return &json_;
      default:
        return nullptr;
    }
  }
  // The list, or nullptr when this is a Json.
  const std::vector<Value>* list() const {
    switch (rep_) {
      case Rep::kList:
        return list_;
      case Rep::kListRef:
        return list_ref_;
      default:
        return nullptr;
    }
  }

  // A non-owning Value for the same data (see the lifetime rule).
  Value View() const {
    if (const Json* j = json()) return Ref(*j);
    return ListRef(*list());
  }

  // Moves the Json out of an owned Json value (precondition: rep kJson).
  Json ReleaseJson() && { return std::move(json_); }
  // Moves the list out of an owned list value (precondition: rep kList).
  std::vector<Value> ReleaseList() && { return std::move(*list_); }

  // Pointer to the string, or nullptr if not a string.
  const std::string* string() const {
    const Json* j = json();
    return j != nullptr ? j->get_ptr<const std::string*>() : nullptr;
  }

  // Array access (precondition: type() == kArray).
  size_t ArraySize() const {
    const std::vector<Value>* l = list();
    return l != nullptr ? l->size() : json()->size();
  }
  // Element i as a reference valid while this Value lives (unmoved).
  Value ElementView(size_t i) const;
  // Element i, moved out of an owned array or referenced from a borrowed one.
  // Each element may be taken once.
  Value TakeElement(size_t i) {
    // Inline for borrowed arrays (the document): filters and projections
    // take every element.
    if (rep_ == Rep::kJsonRef) {
      return Ref((*json_ref_->get_ptr<const Json::array_t*>())[i]);
    }
    return TakeOtherElement(i);
  }

  // Object member `name`, moved out (owned) or referenced; null if this is
  // not an object or has no such member.
  Value TakeField(const std::string& name) &&;

  // The member values of an object (precondition: type() == kObject), moved
  // out (owned) or referenced, in member order.
  std::vector<Value> TakeMemberValues() &&;

 private:
  enum class Rep : uint8_t { kJsonRef, kJson, kListRef, kList };

  explicit Value(const Json* ref) : rep_(Rep::kJsonRef), json_ref_(ref) {}
  Value TakeOtherElement(size_t i);

  // Inline for the common borrowed case; destroying owned data is not.
  void Destroy() {
    if (is_owned()) DestroyOwned();
  }
  void DestroyOwned();
  // Precondition: *this holds nothing that needs destroying.
  void MoveFrom(Value&& other) {
    rep_ = other.rep_;
    switch (rep_) {
      case Rep::kJsonRef:
        json_ref_ = other.json_ref_;
        return;
      case Rep::kListRef:
        list_ref_ = other.list_ref_;
        return;
      case Rep::kJson:
        new (&json_) Json(std::move(other.json_));
        break;
      case Rep::kList:
        list_ = other.list_;
        other.rep_ = Rep::kJsonRef;
        other.json_ref_ = &NullJson();
        return;
    }
    other.Destroy();
    other.json_ref_ = &NullJson();
  }

  // Only the member named by rep_ is alive. References are trivially
  // destructible, so a borrowed Value costs nothing to move or destroy.
  Rep rep_;
  union {
    const Json* json_ref_;
    const std::vector<Value>* list_ref_;
    Json json_;
    std::vector<Value>* list_;  // Owned (kList); a pointer because Value
                                // is incomplete here and to keep Value small.
  };
};

// JMESPath truthiness: false, null, "", [] and {} are false; all else true
// (including 0).
bool IsTruthy(const Value& v);
bool IsTruthy(const Json& json);

// JMESPath equality of two values (lists compare like arrays).
Equality ValueEqual(const Value& a, const Value& b, int depth_left);

}  // namespace vigil::jmespath::internal

#endif  // VIGIL_POLICY_JMESPATH_VALUE_H_
