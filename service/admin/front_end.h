// File: service/admin/front_end.h
// -----------------------------------------------------------------------------
// What every network front end of the PolicyManager shares (issue #6 §1,
// §2): the gRPC admin listener (service/grpc) and the REST mirror on the
// HTTPS endpoint (service/http) check request sizes with the same limits
// and authenticate with the same logic, auditing every caller they refuse
// before the manager ever sees the call. No transport here.
#ifndef VIGIL_SERVICE_ADMIN_FRONT_END_H_
#define VIGIL_SERVICE_ADMIN_FRONT_END_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/admin/policy_manager.h"
#include "service/auth/caller_authenticator.h"

namespace vigil::service::admin {

// Largest policy or certificate-change JWS accepted (a policy of ~750 KiB).
inline constexpr size_t kMaxAdminJwsBytes = 1u << 20;

// OK for a non-empty attestation type of at most 64 bytes (the manager
// checks its characters); kInvalidArgument naming `attestation_type`
// otherwise.
absl::Status CheckAttestationTypeSize(absl::string_view type);

// OK for a non-empty JWS of at most kMaxAdminJwsBytes; kInvalidArgument
// naming `field` and the size otherwise ("policy_jws: missing",
// "jws: 1048577 bytes, limit 1048576").
absl::Status CheckJwsSize(absl::string_view field, absl::string_view jws);

// The caller `credentials` identify, as `authenticator` decides. A
// kUnauthenticated answer is returned unchanged after it is audited
// (kAuthDenied, naming `call` and the reason) through `manager`.
absl::StatusOr<auth::Caller> AuthenticateAudited(
    PolicyManager& manager, const auth::CallerAuthenticator& authenticator,
    const auth::Credentials& credentials, absl::string_view call);

// The audit half of AuthenticateAudited, for front ends that answer the
// refused caller first and audit after (the gRPC admin listener): records
// kAuthDenied for a caller from `source` (Credentials::source), naming
// `call` and `why`.
void AuditAuthRefusal(PolicyManager& manager, absl::string_view source,
                      absl::string_view call, absl::string_view why);

// A dry run as both front ends receive it: exactly one candidate
// (policy_text, or policy_jws whose payload is the text) and exactly one
// subject (claims_json in `vigilctl policy eval`'s format, or device_id:
// the claims that device last attested with).
struct DryRunFields {
  std::string attestation_type;
  std::optional<std::string> policy_text;
  std::optional<std::string> policy_jws;
  std::string claims_json;
  std::string device_id;
};

// Checks `fields` and runs PolicyManager::DryRun or DryRunDevice. Fails
// with kInvalidArgument naming the field (sizes, both or neither of a
// pair, a malformed JWS, claims JSON or device id), else as the manager.
absl::StatusOr<DryRunView> RunDryRun(PolicyManager& manager,
                                     const auth::Caller& caller,
                                     const DryRunFields& fields);

// An audit query as both front ends receive it (gRPC's AuditQuery fields,
// REST's query parameters): zero or empty means "not filtered".
struct AuditQueryFields {
  int64_t since_unix = 0;
  int64_t until_unix = 0;
  std::string actor;
  std::string action;  // store::AuditActionName, e.g. "policy_set"
  std::string attestation_type;
  std::string result;  // store::AuditResultName, e.g. "denied"
  int64_t limit = 0;   // 0: 100
  int64_t after_id = 0;
  bool oldest_first = false;
};

// The store query `fields` ask for. Fails with kInvalidArgument naming the
// field: an unknown action or result, a limit outside 0..kMaxAuditLimit.
absl::StatusOr<store::AuditQuery> MakeAuditQuery(
    const AuditQueryFields& fields);

// The paging cursor of an answer to `query`: the last id when the page is
// full (there may be a next one), else nullopt.
std::optional<int64_t> NextAuditCursor(
    const store::AuditQuery& query, const std::vector<store::AuditEntry>& page);

}  // namespace vigil::service::admin

#endif  // VIGIL_SERVICE_ADMIN_FRONT_END_H_
