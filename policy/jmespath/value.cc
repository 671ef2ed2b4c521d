#include "policy/jmespath/value.h"

#include <cstring>
#include <string>
#include <utility>

#include "policy/jmespath/json_util.h"

namespace vigil::jmespath::internal {

Value Value::Bool(bool b) {
  static const Json* const kTrue = new Json(true);
  static const Json* const kFalse = new Json(false);
  return Ref(b ? *kTrue : *kFalse);
}

Value Value::ElementView(size_t i) const {
  if (const std::vector<Value>* l = list()) return (*l)[i].View();
  return Ref((*json())[i]);
}

Value Value::TakeOtherElement(size_t i) {
  switch (rep_) {
    case Rep::kJsonRef:
      return Ref((*json_ref_)[i]);
    case Rep::kJson:
      return Own(std::move(json_[i]));
    case Rep::kListRef:
      return (*list_ref_)[i].View();
    case Rep::kList:
      return std::move((*list_)[i]);
  }
  return Value();
}

void Value::DestroyOwned() {
  if (rep_ == Rep::kJson) {
    json_.~Json();
  } else {
    delete list_;
  }
  rep_ = Rep::kJsonRef;
}

Value Value::TakeField(const std::string& name) && {
  switch (rep_) {
    case Rep::kJsonRef:
      return Ref(*MemberOrNull(json_ref_, name));
    case Rep::kJson: {
      auto* object = json_.get_ptr<Json::object_t*>();
      if (object == nullptr) return Value();
      Json* member = FindMember(*object, name);
      return member == nullptr ? Value() : Own(std::move(*member));
    }
    case Rep::kListRef:
    case Rep::kList:
      return Value();
  }
  return Value();
}

std::vector<Value> Value::TakeMemberValues() && {
  std::vector<Value> out;
  if (rep_ == Rep::kJsonRef) {
    out.reserve(json_ref_->size());
    for (const Json& member : *json_ref_) out.push_back(Ref(member));
  } else if (rep_ == Rep::kJson) {
    out.reserve(json_.size());
    for (Json& member : json_) out.push_back(Own(std::move(member)));
  }
  return out;
}

bool IsTruthy(const Value& v) {
  if (const std::vector<Value>* l = v.list()) return !l->empty();
  return IsTruthy(*v.json());
}

bool IsTruthy(const Json& j) {
  switch (TypeOf(j)) {
    case Type::kNull:
      return false;
    case Type::kBoolean:
      return *j.get_ptr<const bool*>();
    case Type::kNumber:
      return true;
    case Type::kString:
      return !j.get_ptr<const std::string*>()->empty();
    case Type::kArray:
    case Type::kObject:
      return !j.empty();
  }
  return false;
}

Equality ValueEqual(const Value& a, const Value& b, int depth_left) {
  const Json* ja = a.json();
  const Json* jb = b.json();
  if (ja != nullptr && jb != nullptr)
    return JsonEqualWithin(*ja, *jb, depth_left);
  if (a.type() != Type::kArray || b.type() != Type::kArray) {
    return Equality::kFalse;
  }
  if (depth_left <= 0) return Equality::kTooDeep;
  const size_t n = a.ArraySize();
  if (n != b.ArraySize()) return Equality::kFalse;
  for (size_t i = 0; i < n; ++i) {
    Equality e = ValueEqual(a.ElementView(i), b.ElementView(i), depth_left - 1);
    if (e != Equality::kTrue) return e;
  }
  return Equality::kTrue;
}

}  // namespace vigil::jmespath::internal
