// File: service/admin/policy_manager.h
// -----------------------------------------------------------------------------
// The control plane's core (issue #6 §1, §2, §4): get/set/reset of the
// policy per attestation type, policy-management certificates, dry runs and
// the audit trail, with Azure Attestation's rules (maa-spec.md §5) and its
// three modes:
//
//   open           like Azure's shared instances: every type runs its
//                  default policy (the configuration's files or the built-in
//                  one); set, reset and certificate changes are refused.
//   authenticated  like an AAD-mode provider: contributors may set and
//                  reset, unsigned or signed by any certificate (reported as
//                  x-ms-policy-signer); certificate changes still need a
//                  trusted signer.
//   isolated       every policy change and certificate change must be a JWS
//                  signed by a trusted policy-management certificate (those
//                  configured at creation, then as added and removed);
//                  unsigned requests are refused.
//
// Every decision is audited: a change lands in the store together with its
// audit event (one transaction), and every refusal (role, mode, signer,
// invalid document) is appended as its own event. No gRPC here: service/grpc
// authenticates the caller, converts, calls this, and maps the status.
//
// Replicas: several verifiers may share one store (PostgreSQL). The manager
// that makes a change puts it in force at once; the others pick it up in
// Sync(), which the binary runs whenever the store's generation moves
// (store.h: polling or NOTIFY), so a change is in force everywhere within
// that bound.
#ifndef VIGIL_SERVICE_ADMIN_POLICY_MANAGER_H_
#define VIGIL_SERVICE_ADMIN_POLICY_MANAGER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "policy/claim.h"
#include "service/admin/policy_archive.h"
#include "service/auth/access.h"
#include "service/control/responses.h"
#include "service/control/signer_trust.h"
#include "service/store/store.h"
#include "service/token/jwt_signer.h"
#include "service/token/x509_certificate.h"
#include "service/verifier/policy_set.h"

namespace vigil::service::admin {

enum class Mode { kOpen, kAuthenticated, kIsolated };

// "open", "authenticated", "isolated".
absl::string_view ModeName(Mode mode);
// The inverse; kInvalidArgument naming the accepted names otherwise.
absl::StatusOr<Mode> ParseMode(absl::string_view name);

// The configuration's trust material, public certificates only (DER): what
// a policy export carries besides the store's records.
struct TrustMaterial {
  std::vector<std::string> ek_roots;        // the EK trust bundle's anchors
  std::vector<std::string> policy_signers;  // the policy_signers pins
};

struct ManagerOptions {
  Mode mode = Mode::kAuthenticated;
  // Reads the configuration's trust material for exports and imports (the
  // control plane reads its files; the core reads no configuration). Null:
  // none. A failure fails the export or import.
  std::function<absl::StatusOr<TrustMaterial>()> trust_material;
  // "iss" of the response tokens (the verifier's issuer URL).
  std::string issuer;
  // Lifetime of response tokens (Azure's are short-lived receipts).
  absl::Duration response_token_lifetime = absl::Hours(1);
  // The `events` claim of the event log with hex SHA-256 `log_sha256` as
  // replayed against the PCR values with hex key `pcrs_key`, while the
  // verifier still holds that replay (its ReplayCache); std::nullopt once
  // it does not. Lets a device dry run give a policy the `events` the
  // store does not keep. Null: never.
  std::function<std::optional<policy::Value>(const std::string& log_sha256,
                                             const std::string& pcrs_key)>
      events_from_log;
};

// GetPolicy's answer.
struct PolicyView {
  std::string attestation_type;
  std::string jws;   // as set; the unsigned JWS of the text for a default
  std::string text;  // in force
  std::string policy_hash;
  bool is_default = true;
  int64_t version = 0;  // 0 for a default
  std::string signer_thumbprint;
  std::string token;  // {"x-ms-policy": jws}
};

// SetPolicy's and ResetPolicy's answer.
struct PolicyChangeView {
  std::string attestation_type;
  control::PolicyModification result = control::PolicyModification::kUpdated;
  std::string token_hash;
  std::string signer_jwk_json;  // empty for an unsigned request
  int64_t version = 0;
  std::string policy_hash;  // of the policy now in force
  std::string token;        // the PolicyResult JWT
};

struct CertificateView {
  std::string thumbprint;
  std::string subject;  // RFC 2253
  std::vector<uint8_t> der;
  std::string added_by;
  absl::Time added_at;
};

struct CertificateListView {
  std::vector<CertificateView> certificates;
  std::string token;  // {"x-ms-policy-certificates": {"keys": [...]}}
};

struct CertificateChangeView {
  std::string thumbprint;
  control::CertificateModification result =
      control::CertificateModification::kIsPresent;
  std::string token;
};

// Where a device dry run's claims came from.
struct ClaimsSource {
  std::string device_id;
  // The attestation the claims are from: the device's latest when it
  // carried them (`latest`), else the first one with exactly these claims
  // (the latest carried none: it was refused before claims were built).
  absl::Time attested_at;
  bool permitted = false;   // that attestation's decision
  std::string policy_hash;  // and the policy that made it
  bool latest = false;
  absl::Time latest_at;     // the device's latest attestation
  absl::Time claims_since;  // its first attestation with these claims
  // Claims the attestation had that are not kept (`events`): a policy
  // reading them sees none. `rebuilt`: those rendered again from the event
  // log the verifier still holds (then the policy does see them).
  // `omitted_read`: those of `omitted` the candidate may read
  // (policy::CompiledPolicy::MayReadClaimType), so its decision here may
  // differ from the device's; for the others it cannot.
  // `omitted_read_by_current`: the same for the policy in force, whose
  // decision over these claims the answer shows beside the candidate's.
  std::vector<std::string> omitted;
  std::vector<std::string> rebuilt;
  std::vector<std::string> omitted_read;
  std::vector<std::string> omitted_read_by_current;
};

struct DryRunView {
  bool permitted = false;
  std::string reason;
  std::string issued_json;
  std::string trace_json;
  // The policy in force, over the same claims: what would change.
  bool current_permitted = false;
  std::string current_reason;
  // Set by DryRunDevice.
  std::optional<ClaimsSource> source;
};

// ExportPolicies' answer.
struct ExportView {
  std::string archive;  // policy_archive.h, JSON text
  std::string sha256;   // the archive's checksum
  size_t policies = 0;  // attestation types listed
  size_t certificates = 0;
};

// What an import does (or, in a dry run, would do) to one attestation type.
enum class ImportAction {
  kSet,        // the archive's JWS becomes the type's managed policy
  kReset,      // back to this verifier's default
  kUnchanged,  // already as in the archive
};
// "set", "reset", "unchanged".
absl::string_view ImportActionName(ImportAction action);

struct PolicyImportItem {
  std::string attestation_type;
  ImportAction action = ImportAction::kUnchanged;
  std::string from_hash;  // policy in force before (here)
  std::string to_hash;    // policy in force after
  int64_t version = 0;    // the new store version; 0 when nothing changed
  std::string signer_thumbprint;  // of the archived JWS; empty: unsigned
  std::string note;  // e.g. "the default here differs from the archive's"
};

enum class CertificatePlan {
  kAdd,       // in the archive, not here: added
  kPresent,   // in both
  kHereOnly,  // here, not in the archive: kept (an import never removes)
};
// "add", "present", "here-only".
absl::string_view CertificatePlanName(CertificatePlan plan);

struct CertificateImportItem {
  std::string thumbprint;
  std::string subject;
  CertificatePlan plan = CertificatePlan::kPresent;
};

// A certificate of the trust material that only one side has.
struct TrustDifference {
  std::string kind;  // "ek_root" or "policy_signer"
  std::string thumbprint;
  std::string subject;
  bool archive_only = true;  // false: only this verifier has it
};

// ImportPolicies' answer.
struct ImportView {
  std::string archive_sha256;
  std::string
      archive_mode;  // the exporter's mode (this verifier keeps its own)
  std::string archive_issuer;
  bool applied = false;  // false for a dry run
  std::vector<PolicyImportItem> policies;
  std::vector<CertificateImportItem> certificates;
  std::vector<TrustDifference> trust;
};

// Thread-safe.
class PolicyManager {
 public:
  // `store`, `policies`, `signer` and `clock` must outlive the manager.
  // `configured_signers` are the policy-management certificates of the
  // configuration: added to the store (as the system) when it has none, so
  // they seed isolated mode once and later changes are the store's. Then
  // Sync() puts the stored policies in force.
  // Fails with kFailedPrecondition for isolated mode without any
  // policy-management certificate, kInvalidArgument for an unusable
  // certificate or an empty issuer, and as the store.
  static absl::StatusOr<std::unique_ptr<PolicyManager>> Create(
      ManagerOptions options, store::Store* store, PolicySet* policies,
      token::JwtSigner* signer, const Clock& clock,
      std::vector<token::X509Certificate> configured_signers);

  // Every method below fails with kPermissionDenied when the caller's role
  // is not enough ("reader role required; caller cert:CN=x has none"), and
  // as the store (kUnavailable: retry).

  // The policy in force for `type` (reader). kNotFound for a type with
  // neither a managed nor a default policy.
  absl::StatusOr<PolicyView> GetPolicy(const auth::Caller& caller,
                                       absl::string_view type);

  // Sets the managed policy of `type` from a policy JWS (contributor).
  // Fails with kPermissionDenied (open mode; isolated mode and the JWS is
  // unsigned or its signer is not trusted), kInvalidArgument (malformed
  // JWS, empty payload: "use reset", policy text that does not compile:
  // the compiler's LINE:COL lines), kAborted (`expected_version` is not the
  // current version).
  absl::StatusOr<PolicyChangeView> SetPolicy(
      const auth::Caller& caller, absl::string_view type, absl::string_view jws,
      std::optional<int64_t> expected_version = std::nullopt);

  // Back to the default policy (contributor); `jws` is the reset request (an
  // empty payload; signed in isolated mode). Fails as SetPolicy, and with
  // kInvalidArgument for a JWS that carries a policy.
  absl::StatusOr<PolicyChangeView> ResetPolicy(const auth::Caller& caller,
                                               absl::string_view type,
                                               absl::string_view jws);

  // Up to `limit` stored versions of `type`, newest first (reader).
  absl::StatusOr<std::vector<store::PolicyVersion>> PolicyHistory(
      const auth::Caller& caller, absl::string_view type, int64_t limit);

  // The policy-management certificates (reader).
  absl::StatusOr<CertificateListView> ListCertificates(
      const auth::Caller& caller);

  // Adds / removes the certificate a certificate-change JWS names
  // (contributor). The JWS must be signed by a trusted policy-management
  // certificate in every mode but open (where changes are refused), as
  // Azure requires. Fails with kPermissionDenied (untrusted or unsigned),
  // kInvalidArgument (malformed), kFailedPrecondition (removing the last).
  absl::StatusOr<CertificateChangeView> AddCertificate(
      const auth::Caller& caller, absl::string_view jws);
  absl::StatusOr<CertificateChangeView> RemoveCertificate(
      const auth::Caller& caller, absl::string_view jws);

  // Evaluates `candidate_text` over `claims` without installing it
  // (reader: nothing changes), beside the policy in force. Fails with
  // kInvalidArgument for a candidate that does not compile.
  absl::StatusOr<DryRunView> DryRun(const auth::Caller& caller,
                                    absl::string_view type,
                                    absl::string_view candidate_text,
                                    const policy::ClaimSet& claims);

  // DryRun over the incoming claims `device_id` last attested with, as the
  // store keeps them (store.h RecordAttestations: rewritten only when they
  // change), with where they came from in `source`. Reader, audited as
  // DryRun. Fails with kNotFound naming the device when none are kept
  // (never attested, not enrolled, or no control plane when it attested),
  // kInvalidArgument when `type` is not the type they were attested as,
  // kInternal when the kept claims do not parse (a damaged store).
  absl::StatusOr<DryRunView> DryRunDevice(const auth::Caller& caller,
                                          absl::string_view type,
                                          absl::string_view candidate_text,
                                          absl::string_view device_id);

  // Audit events matching `query` (reader). Reading is audited too.
  absl::StatusOr<std::vector<store::AuditEntry>> QueryAudit(
      const auth::Caller& caller, const store::AuditQuery& query);

  // Every policy, policy-management certificate and the trust material as
  // one archive (policy_archive.h), audited as policy_export. Reader: the
  // archive holds nothing a reader cannot already read (policies, public
  // certificates) besides the configuration's public trust anchors, so a
  // scheduled backup runs with a credential that cannot change anything.
  // Each type with a stored policy is listed (a reset one as a default),
  // and Tpm always. Fails as the store and the trust material source.
  absl::StatusOr<ExportView> ExportPolicies(const auth::Caller& caller);

  // Restores an archive (contributor), all or nothing: everything is
  // checked first, then every change lands in one store transaction, each
  // audited (policy_set / policy_reset / cert_add) with one policy_import
  // event naming the archive. Afterwards every type the archive lists as
  // managed runs the archive's JWS, and every other type runs this
  // verifier's default. Certificates are added, never removed; the trust
  // material is compared, never installed (the verifier does not rewrite
  // its configuration). With `dry_run` nothing changes and nothing is
  // audited; the answer says what would be done.
  // Fails, changing nothing, with kPermissionDenied (role; open mode;
  // isolated mode and a policy whose JWS is unsigned or signed by a
  // certificate not trusted here — naming the type —, a managed type that
  // would be reset (that needs a signed reset), or a certificate not
  // trusted here (add it with a signed request first)), kInvalidArgument
  // (the archive: malformed, tampered, unknown version — naming the field;
  // a policy that does not compile or whose hashes do not match its JWS —
  // naming the type), kAborted (a policy changed during the import: retry).
  absl::StatusOr<ImportView> ImportPolicies(const auth::Caller& caller,
                                            absl::string_view archive,
                                            bool dry_run);

  // Records a refused call the caller never got to make (authentication
  // failed, no role): for service/grpc, which authenticates.
  void AuditAuthDenied(const auth::Caller& caller, absl::string_view what,
                       absl::string_view why);

  // Puts the store's current policies in force in the PolicySet: managed
  // policies set, resets dropped. Cheap when nothing changed. Fails as the
  // store; a stored policy that no longer compiles (a newer replica's
  // language) leaves that type as it was and is reported.
  absl::Status Sync();

  Mode mode() const { return options_.mode; }

 private:
  PolicyManager(ManagerOptions options, store::Store* store,
                PolicySet* policies, token::JwtSigner* signer,
                const Clock& clock)
      : options_(std::move(options)),
        store_(store),
        policies_(policies),
        signer_(signer),
        clock_(clock) {}

  // kPermissionDenied (audited) unless the caller has `need`.
  // DryRun's work once the caller may: the candidate (compiled, not
  // installed) and the policy in force, over `claims`. With `source`, also
  // which of its omitted claims the candidate may read.
  absl::StatusOr<DryRunView> EvaluateCandidate(absl::string_view type,
                                               absl::string_view candidate_text,
                                               const policy::ClaimSet& claims,
                                               ClaimsSource* source = nullptr);

  absl::Status Require(const auth::Caller& caller, auth::Role need,
                       store::AuditAction action, absl::string_view type);
  // Audits a refusal and returns `status` unchanged.
  absl::Status Refuse(const auth::Caller& caller, store::AuditAction action,
                      absl::string_view type, absl::Status status);
  absl::StatusOr<control::TrustedSigners> CurrentSigners();
  // The change's signer is trusted (isolated mode, certificate changes).
  absl::Status RequireTrustedSigner(const control::PolicySigner* signer,
                                    absl::string_view what);
  absl::StatusOr<std::string> SignResponse(const token::Json& claims);
  store::AuditEvent Event(const auth::Caller& caller, store::AuditAction action,
                          absl::string_view type, store::AuditResult result,
                          std::string detail_json) const;
  absl::StatusOr<CertificateChangeView> ChangeCertificate(
      const auth::Caller& caller, absl::string_view jws, bool add);
  // Checks `archive` against this verifier and plans the import; `batch`
  // gets the changes (with their audit events) to apply.
  absl::StatusOr<ImportView> PlanImport(const auth::Caller& caller,
                                        const PolicyArchive& archive,
                                        store::ChangeBatch* batch);
  absl::StatusOr<PolicyChangeView> Change(const auth::Caller& caller,
                                          absl::string_view type,
                                          absl::string_view jws, bool reset,
                                          std::optional<int64_t> expected);

  const ManagerOptions options_;
  store::Store* const store_;
  PolicySet* const policies_;
  token::JwtSigner* const signer_;
  const Clock& clock_;

  absl::Mutex sync_mu_;
  // Per type, the last store version put in force (a set or a reset).
  std::map<std::string, int64_t, std::less<>> synced_ ABSL_GUARDED_BY(sync_mu_);
};

}  // namespace vigil::service::admin

#endif  // VIGIL_SERVICE_ADMIN_POLICY_MANAGER_H_
