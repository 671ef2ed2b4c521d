// File: service/store/records.h
// -----------------------------------------------------------------------------
// The records of the control plane's store (issue #6 §3, §4): policy versions,
// policy-management certificates, latest attestations and audit events. Every
// field has a type; nothing is a string-keyed map. Devices use the verifier's
// own EnrolledDevice (service/verifier/enrollment.h).
//
// Trust: a store returns what was written to it. Whoever can write the
// database (its file, or its PostgreSQL role) can change every record, so the
// store is trusted exactly as far as its storage is: records are not signed.
// A policy's JWS is kept so that a signed policy can be re-verified by the
// reader if it wants to.
//
// Times are kept as Unix microseconds: an absl::Time is truncated to whole
// microseconds when written.

#ifndef VIGIL_SERVICE_STORE_RECORDS_H_
#define VIGIL_SERVICE_STORE_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace vigil::service::store {

// Who acted, as the control plane authenticated them (issue #6 §2).
enum class Role {
  kNone,         // not authenticated (e.g. an auth_denied event)
  kReader,       // get policy, list certificates, read audit
  kContributor,  // also set/reset policies and manage certificates
  kAgent,        // attest only
  kSystem,       // the verifier itself (e.g. policies from its configuration)
};

// "none", "reader", "contributor", "agent", "system".
absl::string_view RoleName(Role role);
// The inverse of RoleName; kInvalidArgument for any other string.
absl::StatusOr<Role> ParseRole(absl::string_view name);

struct Actor {
  std::string identity;  // certificate subject, OIDC subject, "local root"
  Role role = Role::kNone;
};

// Attestation type names: 1 to 64 characters from [A-Za-z0-9_.-], starting
// with a letter ("Tpm", "VbsEnclave", "SevSnpVm"). The pattern keeps names
// safe in file names, URLs and log lines.
bool IsValidAttestationType(absl::string_view type);

// One change to the policy of one attestation type, as a caller appends it.
struct PolicyChange {
  std::string attestation_type;
  // The policy text in force after this change, exactly as uploaded (the hash
  // covers these bytes); std::nullopt for "reset to the built-in default".
  std::optional<std::string> policy_text;
  // The JWS the policy arrived in (returned by "get policy"); empty for a
  // reset or a policy that came from configuration.
  std::string jws;
  std::string policy_hash;  // hash of policy_text (x-ms-policy-hash)
  std::string token_hash;   // hash of the JWS (x-ms-policy-token-hash)
  // SHA-1 thumbprint (hex) of the certificate that signed the JWS; nullopt
  // for an unsigned policy.
  std::optional<std::string> signer_thumbprint;
  Actor actor;
  absl::Time time;

  bool is_reset() const { return !policy_text.has_value(); }
};

// A stored policy change and the numbers the store gave it.
struct PolicyVersion {
  // 1, 2, 3, ... per attestation type, with no gaps.
  int64_t version = 0;
  // The store-wide generation this change produced (see PolicyStore).
  int64_t generation = 0;
  PolicyChange change;
};

// A policy-management certificate (issue #6 §1).
struct PolicyCertificate {
  std::string thumbprint;  // SHA-1 of `der`, upper-case hex (as Azure shows)
  std::vector<uint8_t> der;
  Actor added_by;
  absl::Time added_at;
};

// The SHA-1 thumbprint of a DER certificate: 40 upper-case hex digits.
std::string CertificateThumbprint(absl::Span<const uint8_t> der);

// What AddCertificate / RemoveCertificate did.
enum class CertificateChange {
  kAdded,           // result IsPresent
  kAlreadyPresent,  // result IsPresent; nothing changed
  kRemoved,         // result IsAbsent
  kAlreadyAbsent,   // result IsAbsent; nothing changed
};

// The last attestation of one device (issue #6 §3).
struct AttestationRecord {
  std::string device_id;
  absl::Time time;
  bool permitted = false;
  std::string attestation_type;  // the policy that decided
  std::string policy_hash;
  std::string token_id;      // the token's jti; empty when none was issued
  std::string reasons_json;  // JSON array summarising why; stored verbatim
  // ClaimsDigest of the incoming claims this attestation carried; empty when
  // it carried none (refused before claims were built). Set by the store
  // from AttestationWrite::claims; ignored when writing.
  std::string claims_sha256;
};

// The incoming claims of an attestation (what its policy was evaluated
// over), kept per device so a candidate policy can be dry-run over them.
struct DeviceClaims {
  // policy::WriteClaimsJson's text: ParseClaimsJson reads it back.
  std::string claims_json;
  // Types of claims the attestation had but that are not kept (the lazily
  // rendered `events`): a policy reading them sees none. No entry is empty
  // or contains a newline.
  std::vector<std::string> omitted;
  // The event log the claims came from: hex SHA-256 of its bytes and hex
  // key of the PCR values it was replayed against (service/verifier's
  // PcrValuesKey); empty when unknown. While the verifier still holds that
  // replay, a dry run can render `events` from it.
  std::string event_log_sha256;
  std::string event_log_pcrs;
};

// Lower-case hex SHA-256 over every field of `claims` (length-prefixed, so
// no two different claims collide by concatenation).
std::string ClaimsDigest(const DeviceClaims& claims);

// A device's kept claims and the attestation that first carried them: later
// attestations with the same claims (the same ClaimsDigest) do not rewrite
// them, so `time` is when the device first attested with these claims.
struct StoredDeviceClaims {
  std::string device_id;
  DeviceClaims claims;
  std::string sha256;  // ClaimsDigest(claims)
  absl::Time time;
  bool permitted = false;
  std::string policy_hash;
};

// What an audit event records (issue #6 §4). Stored by name, so new values
// may be added; never renumber or rename one.
enum class AuditAction {
  kPolicySet,
  kPolicyReset,
  kCertAdd,
  kCertRemove,
  kAttestation,
  kEnroll,
  kAuthDenied,
  kAuditRead,
  kPolicyExport,
  kPolicyImport,
};

// "policy_set", "policy_reset", "cert_add", "cert_remove", "attestation",
// "enroll", "auth_denied", "audit_read", "policy_export", "policy_import".
absl::string_view AuditActionName(AuditAction action);
// The inverse of AuditActionName; kInvalidArgument for any other string.
absl::StatusOr<AuditAction> ParseAuditAction(absl::string_view name);

enum class AuditResult {
  kSuccess,  // the change was made; the attestation was permitted
  kDenied,   // refused: no permission, or the policy denied the device
  kFailure,  // refused as invalid (a policy with errors, a bad signature)
};

// "success", "denied", "failure".
absl::string_view AuditResultName(AuditResult result);
// The inverse of AuditResultName; kInvalidArgument for any other string.
absl::StatusOr<AuditResult> ParseAuditResult(absl::string_view name);

// One audit event, as a caller appends it.
struct AuditEvent {
  absl::Time time;
  Actor actor;
  std::string source_address;  // "unix", "10.1.2.3:51234", ...
  AuditAction action = AuditAction::kAttestation;
  std::string attestation_type;  // empty when not about a policy type
  std::string policy_hash;
  AuditResult result = AuditResult::kSuccess;
  std::string detail_json = "{}";  // JSON object; stored verbatim
};

// A stored audit event. `id` grows in the order events were appended (across
// every replica of a shared store) and is the paging cursor. On PostgreSQL an
// id is taken when the insert starts, so of two events being appended at the
// same moment the lower id may become visible a moment later: a reader
// tailing oldest-first should stay a few seconds behind the newest event.
struct AuditEntry {
  int64_t id = 0;
  AuditEvent event;
};

enum class AuditOrder { kNewestFirst, kOldestFirst };

// A filter over audit events; every set field must match.
struct AuditQuery {
  std::optional<absl::Time> since;  // time >= since
  std::optional<absl::Time> until;  // time < until
  std::optional<std::string> actor_identity;
  std::optional<AuditAction> action;
  std::optional<std::string> attestation_type;
  std::optional<AuditResult> result;
  // Paging: only entries after this id in the chosen order (ids below it
  // when newest first, above it when oldest first). Pass the last id of the
  // previous page.
  std::optional<int64_t> after_id;
  AuditOrder order = AuditOrder::kNewestFirst;
  int64_t limit = 100;  // 1 to kMaxAuditLimit
};

inline constexpr int64_t kMaxAuditLimit = 10000;

}  // namespace vigil::service::store

#endif  // VIGIL_SERVICE_STORE_RECORDS_H_
