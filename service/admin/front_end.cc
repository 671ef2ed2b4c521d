#include "service/admin/front_end.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "policy/claim.h"
#include "service/control/policy_document.h"
#include "service/verifier/device_registry.h"

namespace vigil::service::admin {

absl::Status CheckAttestationTypeSize(absl::string_view type) {
  if (type.empty()) {
    return absl::InvalidArgumentError("attestation_type: missing");
  }
  if (type.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("attestation_type: ", type.size(), " bytes, limit 64"));
  }
  return absl::OkStatus();
}

absl::Status CheckJwsSize(absl::string_view field, absl::string_view jws) {
  if (jws.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": missing"));
  }
  if (jws.size() > kMaxAdminJwsBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", jws.size(), " bytes, limit ", kMaxAdminJwsBytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<auth::Caller> AuthenticateAudited(
    PolicyManager& manager, const auth::CallerAuthenticator& authenticator,
    const auth::Credentials& credentials, absl::string_view call) {
  absl::StatusOr<auth::Caller> caller = authenticator.Authenticate(credentials);
  if (!caller.ok()) {
    AuditAuthRefusal(manager, credentials.source, call,
                     caller.status().message());
  }
  return caller;
}

void AuditAuthRefusal(PolicyManager& manager, absl::string_view source,
                      absl::string_view call, absl::string_view why) {
  manager.AuditAuthDenied(auth::Caller{"(unauthenticated)", auth::Role::kNone,
                                       "", std::string(source)},
                          call, why);
}

absl::StatusOr<DryRunView> RunDryRun(PolicyManager& manager,
                                     const auth::Caller& caller,
                                     const DryRunFields& fields) {
  RETURN_IF_ERROR(CheckAttestationTypeSize(fields.attestation_type));
  if (fields.policy_text.has_value() == fields.policy_jws.has_value()) {
    return absl::InvalidArgumentError(
        "candidate: want exactly one of policy_text and policy_jws");
  }
  std::string text;
  if (fields.policy_text.has_value()) {
    text = *fields.policy_text;
    if (text.empty() || text.size() > kMaxAdminJwsBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy_text: ", text.size(), " bytes, want 1 to ",
                       kMaxAdminJwsBytes));
    }
  } else {
    RETURN_IF_ERROR(CheckJwsSize("policy_jws", *fields.policy_jws));
    ASSIGN_OR_RETURN(control::PolicyDocument doc,
                     control::DecodePolicyDocument(*fields.policy_jws));
    text = doc.policy_text();
  }
  if (fields.claims_json.empty() == fields.device_id.empty()) {
    return absl::InvalidArgumentError(
        "claims_json, device_id: want exactly one of them");
  }
  if (!fields.device_id.empty()) {
    RETURN_IF_ERROR(ValidateDeviceId(fields.device_id));
    return manager.DryRunDevice(caller, fields.attestation_type, text,
                                fields.device_id);
  }
  if (fields.claims_json.size() > kMaxAdminJwsBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("claims_json: ", fields.claims_json.size(),
                     " bytes, limit ", kMaxAdminJwsBytes));
  }
  absl::StatusOr<policy::ClaimSet> claims =
      policy::ParseClaimsJson(fields.claims_json);
  if (!claims.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("claims_json: ", claims.status().message()));
  }
  return manager.DryRun(caller, fields.attestation_type, text, *claims);
}

absl::StatusOr<store::AuditQuery> MakeAuditQuery(
    const AuditQueryFields& fields) {
  store::AuditQuery q;
  if (fields.since_unix != 0)
    q.since = absl::FromUnixSeconds(fields.since_unix);
  if (fields.until_unix != 0)
    q.until = absl::FromUnixSeconds(fields.until_unix);
  if (!fields.actor.empty()) q.actor_identity = fields.actor;
  if (!fields.action.empty()) {
    absl::StatusOr<store::AuditAction> a =
        store::ParseAuditAction(fields.action);
    if (!a.ok()) return a.status();
    q.action = *a;
  }
  if (!fields.attestation_type.empty()) {
    q.attestation_type = fields.attestation_type;
  }
  if (!fields.result.empty()) {
    absl::StatusOr<store::AuditResult> r =
        store::ParseAuditResult(fields.result);
    if (!r.ok()) return r.status();
    q.result = *r;
  }
  q.limit = fields.limit == 0 ? 100 : fields.limit;
  if (q.limit < 0 || q.limit > store::kMaxAuditLimit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "limit: ", fields.limit, ", want 1 to ", store::kMaxAuditLimit));
  }
  if (fields.after_id != 0) q.after_id = fields.after_id;
  q.order = fields.oldest_first ? store::AuditOrder::kOldestFirst
                                : store::AuditOrder::kNewestFirst;
  return q;
}

std::optional<int64_t> NextAuditCursor(
    const store::AuditQuery& query,
    const std::vector<store::AuditEntry>& page) {
  if (page.empty() || static_cast<int64_t>(page.size()) != query.limit) {
    return std::nullopt;
  }
  return page.back().id;
}

}  // namespace vigil::service::admin
