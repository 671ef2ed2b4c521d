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

}  // namespace vigil::service::admin
