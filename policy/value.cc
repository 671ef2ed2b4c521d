#include "policy/value.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vigil::policy {

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.b_ = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.kind_ = Kind::kInt;
  v.i_ = i;
  return v;
}

Value Value::String(std::string s) {
  return String(std::make_shared<const std::string>(std::move(s)));
}

Value Value::String(std::shared_ptr<const std::string> s) {
  Value v;
  v.kind_ = Kind::kString;
  v.s_ = s ? std::move(s) : std::make_shared<const std::string>();
  return v;
}

Value Value::JsonDocument(jmespath::Json document) {
  absl::StatusOr<std::string> text = jmespath::SerializeJson(document);
  if (!text.ok()) return Value();
  return JsonText(std::make_shared<const std::string>(*std::move(text)),
                  std::make_shared<const jmespath::Json>(std::move(document)));
}

Value Value::JsonText(std::shared_ptr<const std::string> text,
                      std::shared_ptr<const jmespath::Json> document) {
  Value v = String(std::move(text));
  v.json_ = std::move(document);
  return v;
}

Value Value::Set(std::vector<Value> members) {
  std::vector<Value> flat;
  flat.reserve(members.size());
  for (Value& m : members) {
    if (m.kind_ == Kind::kSet) {
      for (const Value& inner : *m.set_) flat.push_back(inner);
    } else if (m.kind_ != Kind::kEmpty) {
      flat.push_back(std::move(m));
    }
  }
  Value v;
  v.kind_ = Kind::kSet;
  v.set_ = std::make_shared<const std::vector<Value>>(std::move(flat));
  return v;
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case Value::Kind::kEmpty: return true;
    case Value::Kind::kBool: return a.b_ == b.b_;
    case Value::Kind::kInt: return a.i_ == b.i_;
    case Value::Kind::kString: return a.s_ == b.s_ || *a.s_ == *b.s_;
    case Value::Kind::kSet: {
      const std::vector<Value>& x = *a.set_;
      const std::vector<Value>& y = *b.set_;
      if (x.size() != y.size()) return false;
      std::vector<bool> used(y.size(), false);
      for (const Value& m : x) {
        bool found = false;
        for (size_t j = 0; j < y.size(); ++j) {
          if (!used[j] && m == y[j]) {
            used[j] = true;
            found = true;
            break;
          }
        }
        if (!found) return false;
      }
      return true;
    }
  }
  return false;
}

jmespath::Json Value::ToJson() const {
  switch (kind_) {
    case Kind::kEmpty: return jmespath::Json();
    case Kind::kBool: return jmespath::Json(b_);
    case Kind::kInt: return jmespath::Json(i_);
    case Kind::kString: return jmespath::Json(*s_);
    case Kind::kSet: {
      jmespath::Json array = jmespath::Json::array();
      for (const Value& m : *set_) array.push_back(m.ToJson());
      return array;
    }
  }
  return jmespath::Json();
}

absl::string_view Value::KindName(Kind kind) {
  switch (kind) {
    case Kind::kEmpty: return "Empty";
    case Kind::kBool: return "Boolean";
    case Kind::kInt: return "Integer";
    case Kind::kString: return "String";
    case Kind::kSet: return "Set";
  }
  return "?";
}

std::string Value::DebugString(size_t max_string) const {
  switch (kind_) {
    case Kind::kEmpty: return "empty";
    case Kind::kBool: return b_ ? "true" : "false";
    case Kind::kInt: return absl::StrCat(i_);
    case Kind::kString: {
      std::string body;
      bool cut = s_->size() > max_string;
      absl::string_view shown =
          cut ? absl::string_view(*s_).substr(0, max_string) : *s_;
      for (char c : shown) {
        if (c == '"' || c == '\\') body.push_back('\\');
        if (c == '\n') {
          body += "\\n";
          continue;
        }
        body.push_back(c);
      }
      if (cut) return absl::StrCat("\"", body, "...\" (", s_->size(), " bytes)");
      return absl::StrCat("\"", body, "\"");
    }
    case Kind::kSet:
      return absl::StrCat(
          "[",
          absl::StrJoin(*set_, ", ",
                        [max_string](std::string* out, const Value& m) {
                          out->append(m.DebugString(max_string));
                        }),
          "]");
  }
  return "?";
}

}  // namespace vigil::policy
