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

void Value::JsonRep::MakeDocument() const {
  absl::call_once(make_once_, [this] {
    jmespath::Result made =
        jmespath::Result::Of(std::make_shared<const jmespath::Json>(make_()));
    document_ = made.CheckSerializable().ok()
                    ? std::move(made)
                    : jmespath::Result::Of(
                          std::make_shared<const jmespath::Json>(nullptr));
  });
}

const std::shared_ptr<const std::string>& Value::JsonRep::Text() const {
  absl::call_once(once_, [this] {
    // The depth was checked when the value (or its lazy document) was made,
    // so this cannot fail.
    if (text_ == nullptr) {
      absl::StatusOr<std::string> text = document().Serialize();
      text_ = std::make_shared<const std::string>(text.ok() ? *std::move(text)
                                                            : std::string());
    }
  });
  return text_;
}

Value Value::JsonDocument(jmespath::Json document) {
  absl::StatusOr<Value> v =
      FromJson(std::make_shared<const jmespath::Json>(std::move(document)));
  return v.ok() ? *std::move(v) : Value();
}

absl::StatusOr<Value> Value::FromJson(
    std::shared_ptr<const jmespath::Json> document) {
  return FromResult(jmespath::Result::Of(std::move(document)));
}

absl::StatusOr<Value> Value::FromResult(jmespath::Result document) {
  // Checked now so the text can be produced later without a failure path.
  absl::Status serializable = document.CheckSerializable();
  if (!serializable.ok()) return serializable;
  Value v;
  v.kind_ = Kind::kString;
  v.json_ = std::make_shared<const JsonRep>(std::move(document), nullptr);
  return v;
}

Value Value::JsonText(std::shared_ptr<const std::string> text,
                      std::shared_ptr<const jmespath::Json> document) {
  if (document == nullptr) return String(std::move(text));
  if (text == nullptr) text = std::make_shared<const std::string>();
  Value v;
  v.kind_ = Kind::kString;
  v.json_ = std::make_shared<const JsonRep>(
      jmespath::Result::Of(std::move(document)), std::move(text));
  return v;
}

Value Value::LazyJsonDocument(std::function<jmespath::Json()> make,
                              WhenKept when_kept) {
  Value v;
  v.kind_ = Kind::kString;
  v.json_ = std::make_shared<const JsonRep>(std::move(make),
                                            when_kept == WhenKept::kOmit);
  return v;
}

Value Value::Set(std::vector<Value> members) {
  Value v;
  v.kind_ = Kind::kSet;
  // Usually every member is a scalar already: keep the vector as it is.
  if (std::all_of(members.begin(), members.end(),
                  [](const Value& m) { return m.is_scalar(); })) {
    v.set_ = std::make_shared<const std::vector<Value>>(std::move(members));
    return v;
  }
  std::vector<Value> flat;
  flat.reserve(members.size());
  for (Value& m : members) {
    if (m.kind_ == Kind::kSet) {
      for (const Value& inner : *m.set_) flat.push_back(inner);
    } else if (m.kind_ != Kind::kEmpty) {
      flat.push_back(std::move(m));
    }
  }
  v.set_ = std::make_shared<const std::vector<Value>>(std::move(flat));
  return v;
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case Value::Kind::kEmpty:
      return true;
    case Value::Kind::kBool:
      return a.b_ == b.b_;
    case Value::Kind::kInt:
      return a.i_ == b.i_;
    case Value::Kind::kString:
      // Equal documents serialise to equal texts, so shared JmesPath()
      // results compare without being serialised.
      if (a.json_ != nullptr && b.json_ != nullptr &&
          (a.json_ == b.json_ ||
           (a.json_->document().identity() == b.json_->document().identity() &&
            a.json_->text_derived() && b.json_->text_derived()))) {
        return true;
      }
      return a.shared_string() == b.shared_string() ||
             a.string_value() == b.string_value();
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
    case Kind::kEmpty:
      return jmespath::Json();
    case Kind::kBool:
      return jmespath::Json(b_);
    case Kind::kInt:
      return jmespath::Json(i_);
    case Kind::kString:
      return jmespath::Json(string_value());
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
    case Kind::kEmpty:
      return "Empty";
    case Kind::kBool:
      return "Boolean";
    case Kind::kInt:
      return "Integer";
    case Kind::kString:
      return "String";
    case Kind::kSet:
      return "Set";
  }
  return "?";
}

std::string Value::DebugString(size_t max_string) const {
  switch (kind_) {
    case Kind::kEmpty:
      return "empty";
    case Kind::kBool:
      return b_ ? "true" : "false";
    case Kind::kInt:
      return absl::StrCat(i_);
    case Kind::kString: {
      const std::string& s = string_value();
      std::string body;
      bool cut = s.size() > max_string;
      absl::string_view shown =
          cut ? absl::string_view(s).substr(0, max_string) : s;
      for (char c : shown) {
        if (c == '"' || c == '\\') body.push_back('\\');
        if (c == '\n') {
          body += "\\n";
          continue;
        }
        body.push_back(c);
      }
      if (cut) return absl::StrCat("\"", body, "...\" (", s.size(), " bytes)");
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
