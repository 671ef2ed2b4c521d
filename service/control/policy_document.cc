#include "service/control/policy_document.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"

namespace vigil::control {
namespace {

// maa-spec §5.1, StoredAttestationPolicy.
constexpr char kPolicyClaim[] = "AttestationPolicy";

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("payload: \"", kPolicyClaim, "\"", what));
}

// The policy text of the claim's value, and how it was encoded (see the file
// comment of policy_document.h for the fallback).
absl::Status ReadPolicyText(const std::string& value, std::string* text,
                            PolicyTextEncoding* encoding) {
  if (value.empty()) {
    return Invalid(" is empty (a reset has an empty payload instead)");
  }
  absl::StatusOr<std::vector<uint8_t>> bytes = Base64UrlDecode(value);
  if (!bytes.ok()) {
    // Preview-API form: the text itself. JSON strings are UTF-8 already
    // (the strict parser refuses anything else).
    *text = value;
    *encoding = PolicyTextEncoding::kRawText;
    return absl::OkStatus();
  }
  std::string decoded(bytes->begin(), bytes->end());
  if (const size_t bad = FindInvalidUtf8(decoded);
      bad != absl::string_view::npos) {
    return Invalid(absl::StrCat(": base64url decodes to invalid UTF-8 at byte ",
                                bad, " (the policy must be UTF-8 text)"));
  }
  *text = std::move(decoded);
  *encoding = PolicyTextEncoding::kBase64Url;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PolicyDocument> DecodePolicyDocument(absl::string_view jws) {
  ASSIGN_OR_RETURN(VerifiedManagementJws verified, DecodeManagementJws(jws));
  if (!verified.claims().has_value()) {
    return PolicyDocument(std::move(verified), "", PolicyTextEncoding::kNone);
  }
  const token::Json& claims = *verified.claims();
  auto it = claims.find(kPolicyClaim);
  if (it == claims.end()) {
    return Invalid(
        " is missing (want {\"AttestationPolicy\": BASE64URL(policy)}, "
        "maa-spec §5.1; a reset has an empty payload)");
  }
  if (!it->is_string()) return Invalid(": not a string");
  std::string text;
  PolicyTextEncoding encoding = PolicyTextEncoding::kNone;
  RETURN_IF_ERROR(
      ReadPolicyText(it->get_ref<const std::string&>(), &text, &encoding));
  return PolicyDocument(std::move(verified), std::move(text), encoding);
}

}  // namespace vigil::control
