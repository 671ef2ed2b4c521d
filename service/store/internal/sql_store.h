// File: service/store/internal/sql_store.h
// -----------------------------------------------------------------------------
// Store implemented once over a SqlDatabase (internal/sql.h); SqliteStore and
// PostgresStore are this class with their own database driver.
//
// Concurrency: every policy or certificate change first locks the single
// store_state row (SQLite: BEGIN IMMEDIATE already holds the database's write
// lock; PostgreSQL: SELECT ... FOR UPDATE at READ COMMITTED), so such changes
// are serialised store-wide and each statement after the lock sees every
// change committed before it. They are operator actions, rare enough that
// one lock costs nothing. RecordDeviceClock locks only the device's row.

#ifndef VIGIL_SERVICE_STORE_INTERNAL_SQL_STORE_H_
#define VIGIL_SERVICE_STORE_INTERNAL_SQL_STORE_H_

#include <memory>

#include "absl/time/time.h"
#include "service/store/internal/sql.h"
#include "service/store/store.h"

namespace vigil::service::store::internal {

class SqlStore : public Store {
 public:
  // `poll_interval`: how often WaitForGeneration re-reads the generation
  // when no notification arrives (the bound on change propagation for
  // backends without notifications).
  SqlStore(std::unique_ptr<SqlDatabase> db, absl::Duration poll_interval);

  absl::StatusOr<int64_t> Generation() override;
  absl::StatusOr<int64_t> WaitForGeneration(int64_t seen,
                                            absl::Duration timeout) override;

  absl::StatusOr<PolicyVersion> AppendPolicy(
      const PolicyChange& change,
      std::optional<int64_t> expected_current_version,
      const std::optional<AuditEvent>& audit) override;
  absl::StatusOr<std::vector<PolicyVersion>> ApplyBatch(
      const ChangeBatch& batch) override;
  absl::StatusOr<PolicyVersion> CurrentPolicy(
      absl::string_view attestation_type) override;
  absl::StatusOr<std::vector<PolicyVersion>> CurrentPolicies() override;
  absl::StatusOr<std::vector<PolicyVersion>> PolicyHistory(
      absl::string_view attestation_type, int64_t limit,
      std::optional<int64_t> before_version) override;

  absl::StatusOr<std::vector<PolicyCertificate>> ListCertificates() override;
  absl::StatusOr<CertificateChange> AddCertificate(
      absl::Span<const uint8_t> der, const Actor& actor, absl::Time time,
      const std::optional<AuditEvent>& audit) override;
  absl::StatusOr<CertificateChange> RemoveCertificate(
      absl::string_view thumbprint,
      const std::optional<AuditEvent>& audit) override;

  absl::Status EnrollDevice(const EnrolledDevice& device) override;
  absl::StatusOr<EnrolledDevice> FindDevice(
      absl::string_view device_id) override;
  absl::StatusOr<ClockTransition> RecordDeviceClock(
      absl::string_view device_id, const tpm::ClockInfo& clock) override;
  absl::StatusOr<std::vector<absl::StatusOr<ClockTransition>>>
  RecordDeviceClocks(absl::Span<const ClockUpdate> updates) override;

  absl::Status PutLatestAttestation(const AttestationRecord& record) override;
  absl::StatusOr<AttestationRecord> LatestAttestation(
      absl::string_view device_id) override;
  absl::StatusOr<int64_t> RecordAttestations(
      absl::Span<const AttestationWrite> writes) override;
  absl::StatusOr<StoredDeviceClaims> LatestClaims(
      absl::string_view device_id) override;
  absl::StatusOr<absl::flat_hash_map<std::string, std::string>>
  KeptClaimsDigests(absl::Span<const std::string> device_ids) override;

  absl::StatusOr<int64_t> AppendAudit(const AuditEvent& event) override;
  absl::StatusOr<std::vector<AuditEntry>> QueryAudit(
      const AuditQuery& query) override;
  absl::StatusOr<int64_t> PruneAudit(absl::Time cutoff) override;

 protected:
  SqlDatabase& database() { return *db_; }

 private:
  std::unique_ptr<SqlDatabase> db_;
  absl::Duration poll_interval_;
};

}  // namespace vigil::service::store::internal

#endif  // VIGIL_SERVICE_STORE_INTERNAL_SQL_STORE_H_
