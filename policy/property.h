// File: policy/property.h
// -----------------------------------------------------------------------------
// The property claims a policy can set with issueproperty() and the verifier
// acts on (maa-spec.md §1.6), with their documented defaults.

#ifndef VIGIL_POLICY_PROPERTY_H_
#define VIGIL_POLICY_PROPERTY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "policy/value.h"

namespace vigil::policy {

inline constexpr absl::string_view kRequireValidAikCert = "require_valid_aik_cert";
inline constexpr absl::string_view kRequiredPcrMask = "required_pcr_mask";
inline constexpr absl::string_view kReportValidityInMinutes = "report_validity_in_minutes";
inline constexpr absl::string_view kOmitX5c = "omit_x5c";

// The effective configuration after evaluation. Defaults are the documented
// ones; each is safe: an AIK certificate is required, every PCR 0-23 must be
// quoted, tokens live one day, and the x5c chain is included.
struct PolicyProperties {
  // TPM/VBS: a valid AIK certificate is required (default true).
  bool require_valid_aik_cert = true;
  // TPM/VBS: bit i set = PCR i must be in the quote (default 0xFFFFFF).
  int64_t required_pcr_mask = 0xFFFFFF;
  // Token lifetime in minutes (default one day; at most one year).
  int64_t report_validity_in_minutes = 24 * 60;
  // true: put x5t in the token header instead of x5c (default false).
  bool omit_x5c = false;
};

// CheckPropertyValue(): "" when `value` is acceptable for property `type`, else
// why not ("required_pcr_mask must be an Integer in 0..16777215, got ...").
// Unknown property types accept any value.
std::string CheckPropertyValue(absl::string_view type, const Value& value);

// ApplyProperty(): stores an accepted value of a known property in `props`;
// unknown types are ignored. Precondition: CheckPropertyValue() returned "".
void ApplyProperty(absl::string_view type, const Value& value,
                   PolicyProperties* props);

// ValueTypeFromName(): "String"/"Integer"/"Boolean" -> the value kind.
std::optional<Value::Kind> ValueTypeFromName(absl::string_view name);

}  // namespace vigil::policy

#endif  // VIGIL_POLICY_PROPERTY_H_
