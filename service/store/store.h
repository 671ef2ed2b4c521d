// File: service/store/store.h
// -----------------------------------------------------------------------------
// The control plane's store (issue #6 §3): five small interfaces, one per
// kind of record, and `Store`, which is all of them. Code that needs one kind
// takes that interface (the audit reader takes an AuditLog&); the binary opens
// one Store:
//
//   ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store,
//                    SqliteStore::Open({.path = "/var/lib/vigil/store.db"}));
//   StoreDeviceRegistry registry(store.get());  // for the verifier core
//
// Implementations: SqliteStore (sqlite_store.h, one machine) and
// PostgresStore (postgres_store.h, several verifier replicas sharing one
// database). Both pass one conformance suite (conformance_test.cc).
//
// Every implementation is thread-safe, and every method is atomic: a change
// is either wholly stored or not at all, also across processes sharing the
// database. Errors are one line naming the backend, the database and the step
// ("sqlite: /var/lib/vigil/store.db: append policy: database is locked");
// they never hold a password. Common codes, beyond those each method lists:
// kUnavailable when the database cannot be reached or stays locked (retry the
// call), kInternal for a corrupt or foreign database.
//
// Trust: see records.h. Inputs are not validated beyond what the store itself
// needs (attestation type names, non-empty keys, limits): the control plane
// compiles policies and verifies signatures before it appends.

#ifndef VIGIL_SERVICE_STORE_STORE_H_
#define VIGIL_SERVICE_STORE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "service/store/records.h"
#include "service/verifier/device_registry.h"
#include "service/verifier/enrollment.h"
#include "tpm/wire/attest_info.h"

namespace vigil::service::store {

// The store-wide generation: a number that increases (by one) with every
// policy or certificate change, in every replica's view of a shared store.
// A replica polls it (one indexed single-row read) and reloads its policies
// when it moved, so a change made on one replica is in force on all of them
// within the polling interval plus one reload.
class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;

  // The current generation; 0 for a store that never had a change.
  virtual absl::StatusOr<int64_t> Generation() = 0;

  // Returns the current generation as soon as it is greater than `seen`, or
  // when `timeout` has passed (then possibly still equal to `seen`). Wakes
  // within the implementation's notification bound (documented on each
  // implementation) of a change made through any instance on the database.
  virtual absl::StatusOr<int64_t> WaitForGeneration(int64_t seen,
                                                    absl::Duration timeout) = 0;
};

// Policies with their full history, per attestation type.
class PolicyStore {
 public:
  virtual ~PolicyStore() = default;

  // Appends `change` as the next version of its attestation type, bumps the
  // generation and, when `audit` is given, appends that audit event in the
  // same transaction (both land, or neither). Concurrent unconditioned
  // appends are serialised: each gets its own version, the last to commit is
  // current, none is torn.
  // `expected_current_version`: when set, the append only happens if the
  // type's current version is still that number (0: the type has no version
  // yet); otherwise fails with kAborted ("policy Tpm: expected version 3, but
  // the current version is 4"), abseil's code for a failed test-and-set: the
  // caller should re-read and decide again.
  // Fails with kInvalidArgument for an invalid attestation type.
  virtual absl::StatusOr<PolicyVersion> AppendPolicy(
      const PolicyChange& change,
      std::optional<int64_t> expected_current_version,
      const std::optional<AuditEvent>& audit) = 0;

  // The latest version of `attestation_type`'s policy (which may be a reset).
  // Fails with kNotFound when the type has no version.
  virtual absl::StatusOr<PolicyVersion> CurrentPolicy(
      absl::string_view attestation_type) = 0;

  // The current version of every type that has one, ordered by type.
  virtual absl::StatusOr<std::vector<PolicyVersion>> CurrentPolicies() = 0;

  // Up to `limit` (>= 1) versions of `attestation_type`, newest first; those
  // below `before_version` only, when given (for paging). Empty when the type
  // has no version.
  virtual absl::StatusOr<std::vector<PolicyVersion>> PolicyHistory(
      absl::string_view attestation_type, int64_t limit,
      std::optional<int64_t> before_version) = 0;
};

// Policy-management certificates (issue #6 §1).
class CertificateStore {
 public:
  virtual ~CertificateStore() = default;

  // Every certificate, ordered by thumbprint.
  virtual absl::StatusOr<std::vector<PolicyCertificate>> ListCertificates() = 0;

  // Adds the DER certificate `der` (thumbprint computed by the store); a
  // certificate already present is not changed (kAlreadyPresent, no new
  // generation, no audit event). `audit` as for AppendPolicy. Fails with
  // kInvalidArgument for empty `der`.
  virtual absl::StatusOr<CertificateChange> AddCertificate(
      absl::Span<const uint8_t> der, const Actor& actor, absl::Time time,
      const std::optional<AuditEvent>& audit) = 0;

  // Removes the certificate with `thumbprint` (hex, either case). Fails with
  // kFailedPrecondition ("cannot remove the last policy-management
  // certificate") when it is the only one; decided atomically, so concurrent
  // removals never leave zero. A missing one gives kAlreadyAbsent.
  virtual absl::StatusOr<CertificateChange> RemoveCertificate(
      absl::string_view thumbprint, const std::optional<AuditEvent>& audit) = 0;
};

// One TPM clock to record (DeviceStore::RecordDeviceClocks).
struct ClockUpdate {
  std::string device_id;
  tpm::ClockInfo clock;
};

// Enrolled devices: the DeviceRegistry contract of service/verifier (see
// there for the semantics of each method). StoreDeviceRegistry adapts a
// DeviceStore to that interface.
class DeviceStore {
 public:
  virtual ~DeviceStore() = default;

  // DeviceRegistry::Enroll: inserts or replaces, keeping the clock history.
  // Fails with kInvalidArgument for an empty device_id.
  virtual absl::Status EnrollDevice(const EnrolledDevice& device) = 0;

  // DeviceRegistry::Find: kNotFound ("device <id> is not enrolled").
  virtual absl::StatusOr<EnrolledDevice> FindDevice(
      absl::string_view device_id) = 0;

  // DeviceRegistry::RecordClock: CheckClockAdvance against the stored clock,
  // which is replaced when it passes; kNotFound for an unknown device.
  // Atomic across every process and replica on the database: of concurrent
  // calls with the same clock, exactly one succeeds.
  virtual absl::StatusOr<ClockTransition> RecordDeviceClock(
      absl::string_view device_id, const tpm::ClockInfo& clock) = 0;

  // RecordDeviceClock for many devices in one transaction (one commit: what
  // lets a verifier record every attestation's clock at fleet rates —
  // StoreDeviceRegistry groups concurrent calls into these). Committed
  // without waiting for the disk (seen by every replica at once, kept if
  // the process dies; a machine crash may lose the last batches whole —
  // why that is harmless: internal/sql_store.cc).
  // Each update is checked against its device's clock as the updates before
  // it in `updates` left it, so two updates of one device behave as two
  // calls in that order. Each update gets its own result, with
  // RecordDeviceClock's errors (kNotFound, kUnauthenticated for a clock
  // that did not advance, kInvalidArgument for a malformed id); the call
  // fails as a whole, keeping none of the updates, only when the database
  // does. Atomic across replicas as RecordDeviceClock is.
  virtual absl::StatusOr<std::vector<absl::StatusOr<ClockTransition>>>
  RecordDeviceClocks(absl::Span<const ClockUpdate> updates) = 0;
};

// The latest attestation of each device.
class AttestationStore {
 public:
  virtual ~AttestationStore() = default;

  // Inserts or replaces the device's latest attestation. Fails with
  // kNotFound when the device is not enrolled.
  virtual absl::Status PutLatestAttestation(
      const AttestationRecord& record) = 0;

  // Fails with kNotFound when the device has none.
  virtual absl::StatusOr<AttestationRecord> LatestAttestation(
      absl::string_view device_id) = 0;

  // A fleet's attestation results, many per transaction: one commit (one
  // fsync) per batch instead of two per attestation. Each write's record
  // replaces its device's latest attestation and its audit event is
  // appended, in order. A record whose device is not enrolled (removed
  // since it attested) is skipped — its audit event is still appended —
  // and counted in the result. All of the batch or, on a failure, none.
  // Committed without waiting for the disk, as RecordDeviceClocks.
  //
  // `claims`, when given, become the device's kept claims (LatestClaims)
  // ONLY when their ClaimsDigest differs from the kept one: a device that
  // attests every few seconds with the same boot costs one small row
  // update, not a rewrite of several KB of claims (the comparison is in the
  // database, so it holds across replicas and restarts). A write without
  // claims leaves the kept ones as they are. Fails with kInvalidArgument
  // for an empty device id or an omitted type that is empty or has a
  // newline, before anything lands.
  //
  // `kept_claims_sha256`, instead of `claims`: the ClaimsDigest of claims
  // the attestation carried and the caller did not serialise because
  // KeptClaimsDigests said the store keeps them already. It becomes the
  // latest attestation's claims_sha256; the kept claims are not touched,
  // even if another replica changed them since (the latest record then
  // names other claims than the kept ones, and the device's next
  // attestation brings its own again). Ignored when `claims` is set; fails
  // with kInvalidArgument unless empty or 64 lower-case hex digits.
  struct AttestationWrite {
    AttestationRecord record;
    AuditEvent audit;
    std::optional<DeviceClaims> claims;
    std::string kept_claims_sha256;
  };
  virtual absl::StatusOr<int64_t> RecordAttestations(
      absl::Span<const AttestationWrite> writes) = 0;

  // The ClaimsDigest of the kept claims of each of `device_ids` that has
  // some, by device id (devices without kept claims, or not enrolled, are
  // absent). One read for a recorder's batch: claims whose digest is
  // already kept need not be serialised (~25 µs and ~5 KB each) only to be
  // compared. Fails with kInvalidArgument for an empty device id.
  virtual absl::StatusOr<absl::flat_hash_map<std::string, std::string>>
  KeptClaimsDigests(absl::Span<const std::string> device_ids) = 0;

  // The device's kept claims (see RecordAttestations). Fails with
  // kNotFound ("no claims recorded for device d1") when it has none (never
  // attested this far, or not enrolled).
  virtual absl::StatusOr<StoredDeviceClaims> LatestClaims(
      absl::string_view device_id) = 0;
};

// The audit trail (issue #6 §4).
class AuditLog {
 public:
  virtual ~AuditLog() = default;

  // Appends one event; returns its id.
  virtual absl::StatusOr<int64_t> AppendAudit(const AuditEvent& event) = 0;

  // The events matching `query`, in its order, at most query.limit. Fails
  // with kInvalidArgument for a limit outside 1..kMaxAuditLimit.
  virtual absl::StatusOr<std::vector<AuditEntry>> QueryAudit(
      const AuditQuery& query) = 0;

  // Deletes every event with time < `cutoff` (the retention rule); returns
  // how many.
  virtual absl::StatusOr<int64_t> PruneAudit(absl::Time cutoff) = 0;
};

// Policy and certificate changes that land together or not at all (a policy
// import): Store::ApplyBatch.
struct ChangeBatch {
  struct Policy {
    PolicyChange change;
    // As AppendPolicy's expected_current_version: the version the caller
    // planned against, so a concurrent change aborts the whole batch.
    std::optional<int64_t> expected_current_version;
  };
  struct Certificate {
    std::vector<uint8_t> der;
    Actor actor;
    absl::Time time;
  };
  std::vector<Policy> policies;           // appended in this order
  std::vector<Certificate> certificates;  // added; one already present stays
  std::vector<AuditEvent> audit;
};

// All of the above on one database.
class Store : public ChangeFeed,
              public PolicyStore,
              public CertificateStore,
              public DeviceStore,
              public AttestationStore,
              public AuditLog {
 public:
  // Applies `batch` in one transaction under the store-wide change lock:
  // every policy is appended (each a new version and generation, as
  // AppendPolicy), every certificate not yet present added, every audit
  // event appended — all of it or, on any failure, none. Returns the new
  // policy versions in the batch's order. Fails with kAborted (an expected
  // version is stale), kInvalidArgument (an invalid attestation type, an
  // empty certificate).
  virtual absl::StatusOr<std::vector<PolicyVersion>> ApplyBatch(
      const ChangeBatch& batch) = 0;
};

}  // namespace vigil::service::store

#endif  // VIGIL_SERVICE_STORE_STORE_H_
