#include "policy/claim.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "policy/jmespath/json_util.h"

namespace vigil::policy {
namespace {

using jmespath::Json;

absl::Status FieldError(size_t index, absl::string_view field,
                        absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(
      "claims[", index, "]", field.empty() ? "" : ".", field, ": ", message));
}

absl::StatusOr<Value> ScalarFromJson(const Json& j, size_t index,
                                     absl::string_view field) {
  if (j.is_boolean()) return Value::Bool(j.get<bool>());
  if (j.is_number_integer()) {
    if (j.is_number_unsigned() &&
        j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return FieldError(index, field, "integer out of the 64-bit signed range");
    }
    return Value::Int(j.get<int64_t>());
  }
  if (j.is_number_float()) {
    return FieldError(index, field,
                      "got a number with a fraction, want an integer");
  }
  if (j.is_string()) return Value::String(j.get<std::string>());
  return FieldError(index, field, "want a boolean, an integer or a string");
}

// The JSON of a scalar claim value (Set members are scalars).
Json ScalarToJson(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kBool:
      return v.bool_value();
    case Value::Kind::kInt:
      return v.int_value();
    default:
      return v.string_value();
  }
}

// How deeply the JSON text `json` nests arrays and objects.
int NestingDepth(absl::string_view json) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char ch = json[i];
    if (in_string) {
      if (ch == '\\') {
        ++i;  // an escaped character, maybe a quote
      } else if (ch == '"') {
        in_string = false;
      }
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

void ClaimSet::Add(Claim claim) {
  if (claim.value.is_empty()) return;
  if (claim.value.kind() == Value::Kind::kSet &&
      claim.value.set_members().empty()) {
    return;  // a set of zero claims
  }
  claims_.push_back(std::move(claim));
}

void ClaimSet::Add(std::string type, Value value, absl::string_view issuer) {
  Add(Claim{std::move(type), std::move(value), std::string(issuer)});
}

bool IsJsonValuedClaimType(absl::string_view type) {
  return type == "events" || type == "bootEvents" || type == "pcrs" ||
         type == "x-ms-tpm-request-key" || type == "x-ms-tpm-other-keys";
}

absl::StatusOr<ClaimSet> ParseClaimsJson(absl::string_view json_text) {
  absl::StatusOr<Json> parsed = jmespath::ParseJson(json_text);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("claims: not JSON: ", parsed.status().message()));
  }
  if (!parsed->is_array()) {
    return absl::InvalidArgumentError("claims: want a JSON array of claims");
  }
  ClaimSet set;
  for (size_t i = 0; i < parsed->size(); ++i) {
    const Json& item = (*parsed)[i];
    if (!item.is_object()) return FieldError(i, "", "want an object");
    auto type_it = item.find("type");
    if (type_it == item.end() || !type_it->is_string() ||
        type_it->get_ref<const std::string&>().empty()) {
      return FieldError(i, "type", "want a non-empty string");
    }
    std::string type = type_it->get<std::string>();
    std::string issuer(kIssuerAttestationService);
    auto issuer_it = item.find("issuer");
    if (issuer_it != item.end()) {
      if (!issuer_it->is_string())
        return FieldError(i, "issuer", "want a string");
      issuer = issuer_it->get<std::string>();
    }
    bool read_only = type == "pcrs" && issuer == kIssuerAttestationService;
    auto ro_it = item.find("readOnly");
    if (ro_it != item.end()) {
      if (!ro_it->is_boolean())
        return FieldError(i, "readOnly", "want a boolean");
      read_only = ro_it->get<bool>();
    }
    for (auto it = item.begin(); it != item.end(); ++it) {
      if (it.key() != "type" && it.key() != "value" && it.key() != "issuer" &&
          it.key() != "readOnly") {
        return FieldError(i, it.key(), "unknown field");
      }
    }
    auto value_it = item.find("value");
    if (value_it == item.end()) return FieldError(i, "value", "missing");
    const Json& v = *value_it;
    Value value;
    if (IsJsonValuedClaimType(type) && (v.is_object() || v.is_array())) {
      value = Value::JsonDocument(v);
      if (value.is_empty())
        return FieldError(i, "value", "JSON nests too deeply");
    } else if (v.is_array()) {
      std::vector<Value> members;
      for (size_t k = 0; k < v.size(); ++k) {
        absl::StatusOr<Value> m =
            ScalarFromJson(v[k], i, absl::StrCat("value[", k, "]"));
        if (!m.ok()) return m.status();
        members.push_back(*std::move(m));
      }
      value = Value::Set(std::move(members));
    } else {
      absl::StatusOr<Value> m = ScalarFromJson(v, i, "value");
      if (!m.ok()) return m.status();
      value = *std::move(m);
    }
    value.set_read_only(read_only);
    set.Add(std::move(type), std::move(value), issuer);
  }
  return set;
}

WrittenClaims WriteClaimsJson(const ClaimSet& set) {
  WrittenClaims out;
  out.text.push_back('[');
  for (const Claim& c : set.claims()) {
    const Value& v = c.value;
    if (v.lazy()) {
      out.omitted.push_back(c.type);
      continue;
    }
    Json item = {{"type", c.type}};
    if (c.issuer != kIssuerAttestationService) item["issuer"] = c.issuer;
    const bool default_read_only =
        c.type == "pcrs" && c.issuer == kIssuerAttestationService;
    if (v.read_only() != default_read_only) item["readOnly"] = v.read_only();
    // A document goes in as its text (the value's own serialisation, made
    // once and kept), spliced in last rather than copied into `item`: the
    // copy and its second serialisation were most of the cost.
    const std::string* document = nullptr;
    if (v.kind() == Value::Kind::kSet) {
      Json members = Json::array();
      for (const Value& m : v.set_members()) members.push_back(ScalarToJson(m));
      item["value"] = std::move(members);
    } else if (IsJsonValuedClaimType(c.type) && v.json() != nullptr &&
               (v.json()->is_object() || v.json()->is_array())) {
      // Two levels (the array of claims, the claim) wrap it; one nesting
      // deeper than ParseClaimsJson reads back goes in as a string.
      if (NestingDepth(v.string_value()) + 2 <= jmespath::kMaxValueDepth) {
        document = &v.string_value();
      } else {
        item["value"] = v.string_value();
      }
    } else {
      item["value"] = ScalarToJson(v);
    }
    // Two levels deep at most (a Set's members): cannot fail.
    absl::StatusOr<std::string> one = jmespath::SerializeJson(item);
    if (!one.ok()) continue;
    if (document != nullptr) {
      one->back() = ',';  // was the closing brace
      one->append("\"value\":");
      one->append(*document);
      one->push_back('}');
    }
    if (out.text.size() > 1) out.text.push_back(',');
    out.text += *one;
  }
  out.text.push_back(']');
  return out;
}

}  // namespace vigil::policy
