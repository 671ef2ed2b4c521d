#include "service/admin/front_end.h"

#include "absl/strings/str_cat.h"

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
    manager.AuditAuthDenied(auth::Caller{"(unauthenticated)", auth::Role::kNone,
                                         "", credentials.source},
                            call, caller.status().message());
  }
  return caller;
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
