#include "policy/property.h"

#include "absl/strings/str_cat.h"

namespace vigil::policy {

std::string CheckPropertyValue(absl::string_view type, const Value& value) {
  auto bad = [&](absl::string_view want) {
    return absl::StrCat(type, " must be ", want, ", got ",
                        Value::KindName(value.kind()), " ", value.DebugString());
  };
  if (type == kRequireValidAikCert || type == kOmitX5c) {
    if (value.kind() != Value::Kind::kBool) return bad("a Boolean");
  } else if (type == kRequiredPcrMask) {
    if (value.kind() != Value::Kind::kInt || value.int_value() < 0 ||
        value.int_value() > 0xFFFFFF) {
      return bad("an Integer in 0..16777215 (0xFFFFFF)");
    }
  } else if (type == kReportValidityInMinutes) {
    if (value.kind() != Value::Kind::kInt || value.int_value() < 1 ||
        value.int_value() > 365 * 24 * 60) {
      return bad("an Integer in 1..525600 (one year)");
    }
  }
  return "";
}

void ApplyProperty(absl::string_view type, const Value& value,
                   PolicyProperties* props) {
  if (type == kRequireValidAikCert) props->require_valid_aik_cert = value.bool_value();
  if (type == kOmitX5c) props->omit_x5c = value.bool_value();
  if (type == kRequiredPcrMask) props->required_pcr_mask = value.int_value();
  if (type == kReportValidityInMinutes) {
    props->report_validity_in_minutes = value.int_value();
  }
}

std::optional<Value::Kind> ValueTypeFromName(absl::string_view name) {
  if (name == "String") return Value::Kind::kString;
  if (name == "Integer") return Value::Kind::kInt;
  if (name == "Boolean") return Value::Kind::kBool;
  return std::nullopt;
}

}  // namespace vigil::policy
