#include "service/store/internal/sql_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/encoding.h"
#include "common/status_macros.h"
#include "tpm/wire/public_area.h"

namespace vigil::service::store::internal {
namespace {

constexpr absl::string_view kPolicyColumns =
    "attestation_type, version, generation, policy_text, jws, policy_hash, "
    "token_hash, signer_thumbprint, actor_identity, actor_role, time_us";
constexpr absl::string_view kDeviceColumns =
    "device_id, ek_public, ak_public, ak_name, aik_validated, ek_issuer, "
    "hostname, enrolled_us";
constexpr absl::string_view kAttestationColumns =
    "device_id, time_us, permitted, attestation_type, policy_hash, token_id, "
    "reasons_json, claims_sha256";
constexpr absl::string_view kClaimsColumns =
    "device_id, claims_sha256, claims_json, omitted, event_log_sha256, "
    "event_log_pcrs, time_us, permitted, policy_hash";
constexpr absl::string_view kAuditColumns =
    "id, time_us, actor_identity, actor_role, source_address, action, "
    "attestation_type, policy_hash, result, detail_json";
constexpr absl::string_view kAuditInsertColumns =  // all but the id
    "time_us, actor_identity, actor_role, source_address, action, "
    "attestation_type, policy_hash, result, detail_json";

// INSERT of every column in `columns` (the first is the key) that replaces
// all the others when the key exists.
std::string UpsertSql(absl::string_view table, absl::string_view columns) {
  const std::vector<absl::string_view> names = absl::StrSplit(columns, ", ");
  std::vector<std::string> placeholders;
  std::vector<std::string> updates;
  for (size_t i = 0; i < names.size(); ++i) {
    placeholders.push_back(absl::StrCat("$", i + 1));
    if (i > 0)
      updates.push_back(absl::StrCat(names[i], " = excluded.", names[i]));
  }
  return absl::StrCat("INSERT INTO ", table, " (", columns, ") VALUES (",
                      absl::StrJoin(placeholders, ", "), ") ON CONFLICT (",
                      names[0], ") DO UPDATE SET ",
                      absl::StrJoin(updates, ", "));
}

SqlValue Text(absl::string_view s) { return SqlValue(std::string(s)); }
SqlValue Int(int64_t v) { return SqlValue(v); }
SqlValue OptionalText(const std::optional<std::string>& s) {
  return s.has_value() ? SqlValue(*s) : SqlValue();
}

absl::Status CheckType(absl::string_view type) {
  if (IsValidAttestationType(type)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid attestation type \"", absl::CHexEscape(type),
                   "\": want 1-64 characters [A-Za-z0-9_.-], starting with a "
                   "letter"));
}

absl::Status CheckLimit(int64_t limit) {
  if (limit >= 1 && limit <= kMaxAuditLimit) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("limit ", limit, " is outside 1..", kMaxAuditLimit));
}

absl::Status CheckDeviceId(absl::string_view device_id) {
  if (!device_id.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError("empty device id");
}

absl::Status DeviceNotFound(absl::string_view device_id) {
  return absl::NotFoundError(
      absl::StrCat("device ", device_id, " is not enrolled"));
}

absl::StatusOr<PolicyVersion> ReadPolicy(const std::vector<SqlValue>& row) {
  PolicyVersion p;
  ASSIGN_OR_RETURN(p.change.attestation_type, ColumnText(row, 0));
  ASSIGN_OR_RETURN(p.version, ColumnInt(row, 1));
  ASSIGN_OR_RETURN(p.generation, ColumnInt(row, 2));
  if (!ColumnIsNull(row, 3)) {
    ASSIGN_OR_RETURN(p.change.policy_text, ColumnText(row, 3));
  }
  ASSIGN_OR_RETURN(p.change.jws, ColumnText(row, 4));
  ASSIGN_OR_RETURN(p.change.policy_hash, ColumnText(row, 5));
  ASSIGN_OR_RETURN(p.change.token_hash, ColumnText(row, 6));
  if (!ColumnIsNull(row, 7)) {
    ASSIGN_OR_RETURN(p.change.signer_thumbprint, ColumnText(row, 7));
  }
  ASSIGN_OR_RETURN(p.change.actor.identity, ColumnText(row, 8));
  ASSIGN_OR_RETURN(std::string role, ColumnText(row, 9));
  ASSIGN_OR_RETURN(p.change.actor.role, ParseRole(role));
  ASSIGN_OR_RETURN(int64_t us, ColumnInt(row, 10));
  p.change.time = FromMicros(us);
  return p;
}

absl::StatusOr<std::vector<PolicyVersion>> ReadPolicies(const SqlRows& rows) {
  std::vector<PolicyVersion> out;
  out.reserve(rows.rows.size());
  for (const auto& row : rows.rows) {
    ASSIGN_OR_RETURN(PolicyVersion p, ReadPolicy(row));
    out.push_back(std::move(p));
  }
  return out;
}

absl::StatusOr<AuditEntry> ReadAudit(const std::vector<SqlValue>& row) {
  AuditEntry e;
  ASSIGN_OR_RETURN(e.id, ColumnInt(row, 0));
  ASSIGN_OR_RETURN(int64_t us, ColumnInt(row, 1));
  e.event.time = FromMicros(us);
  ASSIGN_OR_RETURN(e.event.actor.identity, ColumnText(row, 2));
  ASSIGN_OR_RETURN(std::string role, ColumnText(row, 3));
  ASSIGN_OR_RETURN(e.event.actor.role, ParseRole(role));
  ASSIGN_OR_RETURN(e.event.source_address, ColumnText(row, 4));
  ASSIGN_OR_RETURN(std::string action, ColumnText(row, 5));
  ASSIGN_OR_RETURN(e.event.action, ParseAuditAction(action));
  ASSIGN_OR_RETURN(e.event.attestation_type, ColumnText(row, 6));
  ASSIGN_OR_RETURN(e.event.policy_hash, ColumnText(row, 7));
  ASSIGN_OR_RETURN(std::string result, ColumnText(row, 8));
  ASSIGN_OR_RETURN(e.event.result, ParseAuditResult(result));
  ASSIGN_OR_RETURN(e.event.detail_json, ColumnText(row, 9));
  return e;
}

absl::StatusOr<int64_t> InsertAudit(SqlSession& s, const AuditEvent& e) {
  ASSIGN_OR_RETURN(
      SqlRows rows,
      s.Query(absl::StrCat("INSERT INTO audit_events (", kAuditInsertColumns,
                           ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                           "RETURNING id"),
              {Int(ToMicros(e.time)), Text(e.actor.identity),
               Text(RoleName(e.actor.role)), Text(e.source_address),
               Text(AuditActionName(e.action)), Text(e.attestation_type),
               Text(e.policy_hash), Text(AuditResultName(e.result)),
               Text(e.detail_json)}));
  if (rows.rows.size() != 1) {
    return absl::InternalError("insert audit event returned no id");
  }
  return ColumnInt(rows.rows[0], 0);
}

absl::Status MaybeInsertAudit(SqlSession& s,
                              const std::optional<AuditEvent>& audit) {
  if (!audit.has_value()) return absl::OkStatus();
  return InsertAudit(s, *audit).status();
}

// Takes the store-wide change lock (see sql_store.h); returns the generation.
absl::StatusOr<int64_t> LockState(SqlSession& s, const Dialect& d) {
  ASSIGN_OR_RETURN(
      SqlRows rows,
      s.Query(absl::StrCat("SELECT generation FROM store_state WHERE id = 1",
                           d.for_update),
              {}));
  if (rows.rows.size() != 1) {
    return absl::InternalError("store_state has no row");
  }
  return ColumnInt(rows.rows[0], 0);
}

// Bumps the generation under the lock LockState took; returns the new one.
absl::StatusOr<int64_t> BumpGeneration(SqlSession& s, const Dialect& d) {
  ASSIGN_OR_RETURN(SqlRows rows,
                   s.Query("UPDATE store_state SET generation = generation + 1 "
                           "WHERE id = 1 RETURNING generation",
                           {}));
  if (rows.rows.size() != 1) {
    return absl::InternalError("store_state has no row");
  }
  ASSIGN_OR_RETURN(int64_t generation, ColumnInt(rows.rows[0], 0));
  if (!d.notify_sql.empty()) {
    RETURN_IF_ERROR(s.Query(d.notify_sql, {Int(generation)}).status());
  }
  return generation;
}

// Appends `change` as the next version of its type, under the lock
// LockState took (AppendPolicy's contract).
absl::StatusOr<PolicyVersion> InsertPolicy(
    SqlSession& s, const Dialect& d, const PolicyChange& change,
    std::optional<int64_t> expected_current_version) {
  ASSIGN_OR_RETURN(SqlRows rows,
                   s.Query("SELECT COALESCE(MAX(version), 0) FROM "
                           "policies WHERE attestation_type = $1",
                           {Text(change.attestation_type)}));
  if (rows.rows.size() != 1) return absl::InternalError("no MAX row");
  ASSIGN_OR_RETURN(int64_t current, ColumnInt(rows.rows[0], 0));
  if (expected_current_version.has_value() &&
      *expected_current_version != current) {
    return absl::AbortedError(
        absl::StrCat("policy ", change.attestation_type, ": expected version ",
                     *expected_current_version, ", but the current version is ",
                     current, " (changed concurrently: re-read and retry)"));
  }
  PolicyVersion out;
  ASSIGN_OR_RETURN(out.generation, BumpGeneration(s, d));
  out.version = current + 1;
  out.change = change;
  out.change.time = FromMicros(ToMicros(change.time));
  RETURN_IF_ERROR(
      s.Query(
           absl::StrCat("INSERT INTO policies (", kPolicyColumns,
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
                        "$9, $10, $11)"),
           {Text(change.attestation_type), Int(out.version),
            Int(out.generation), OptionalText(change.policy_text),
            Text(change.jws), Text(change.policy_hash), Text(change.token_hash),
            OptionalText(change.signer_thumbprint), Text(change.actor.identity),
            Text(RoleName(change.actor.role)), Int(ToMicros(change.time))})
          .status());
  return out;
}

// Adds the DER certificate under the lock LockState took; one already
// present is left as it is (kAlreadyPresent, no new generation).
absl::StatusOr<CertificateChange> InsertCertificate(
    SqlSession& s, const Dialect& d, absl::Span<const uint8_t> der,
    const Actor& actor, absl::Time time) {
  if (der.empty()) return absl::InvalidArgumentError("empty certificate");
  const std::string thumbprint = CertificateThumbprint(der);
  ASSIGN_OR_RETURN(SqlRows present,
                   s.Query("SELECT 1 FROM certificates WHERE thumbprint = $1",
                           {Text(thumbprint)}));
  if (!present.rows.empty()) return CertificateChange::kAlreadyPresent;
  RETURN_IF_ERROR(BumpGeneration(s, d).status());
  RETURN_IF_ERROR(
      s.Query("INSERT INTO certificates (thumbprint, der, added_by, "
              "added_by_role, added_us) VALUES ($1, $2, $3, $4, $5)",
              {Text(thumbprint), SqlValue(Bytes(der.begin(), der.end())),
               Text(actor.identity), Text(RoleName(actor.role)),
               Int(ToMicros(time))})
          .status());
  return CertificateChange::kAdded;
}

absl::StatusOr<std::optional<tpm::ClockInfo>> ReadClock(
    const std::vector<SqlValue>& row) {
  if (ColumnIsNull(row, 0)) return std::optional<tpm::ClockInfo>();
  tpm::ClockInfo c;
  ASSIGN_OR_RETURN(int64_t clock, ColumnInt(row, 0));
  ASSIGN_OR_RETURN(int64_t reset, ColumnInt(row, 1));
  ASSIGN_OR_RETURN(int64_t restart, ColumnInt(row, 2));
  ASSIGN_OR_RETURN(int64_t safe, ColumnInt(row, 3));
  c.clock = static_cast<uint64_t>(clock);
  c.reset_count = static_cast<uint32_t>(reset);
  c.restart_count = static_cast<uint32_t>(restart);
  c.safe = safe != 0;
  return std::optional<tpm::ClockInfo>(c);
}

absl::StatusOr<tpm::PublicArea> ReadPublicArea(const std::vector<SqlValue>& row,
                                               size_t i,
                                               absl::string_view what) {
  ASSIGN_OR_RETURN(Bytes bytes, ColumnBytes(row, i));
  absl::StatusOr<tpm::PublicArea> area = tpm::ParseTpmtPublic(bytes);
  if (!area.ok()) {
    return absl::InternalError(absl::StrCat(
        "stored ", what, " public area: ", area.status().message()));
  }
  return area;
}

absl::StatusOr<EnrolledDevice> ReadDevice(const std::vector<SqlValue>& row) {
  EnrolledDevice d;
  ASSIGN_OR_RETURN(d.device_id, ColumnText(row, 0));
  // A device enrolled without public areas (tests, imports) keeps them empty.
  ASSIGN_OR_RETURN(Bytes ek, ColumnBytes(row, 1));
  if (!ek.empty()) {
    ASSIGN_OR_RETURN(d.ek, ReadPublicArea(row, 1, "EK"));
  }
  ASSIGN_OR_RETURN(Bytes ak, ColumnBytes(row, 2));
  if (!ak.empty()) {
    ASSIGN_OR_RETURN(d.ak, ReadPublicArea(row, 2, "AK"));
  }
  ASSIGN_OR_RETURN(d.ak_name, ColumnBytes(row, 3));
  ASSIGN_OR_RETURN(int64_t validated, ColumnInt(row, 4));
  d.aik_validated = validated != 0;
  ASSIGN_OR_RETURN(d.ek_issuer, ColumnText(row, 5));
  ASSIGN_OR_RETURN(d.hostname, ColumnText(row, 6));
  ASSIGN_OR_RETURN(int64_t us, ColumnInt(row, 7));
  d.enrolled_at = FromMicros(us);
  return d;
}

absl::StatusOr<AttestationRecord> ReadAttestation(
    const std::vector<SqlValue>& row) {
  AttestationRecord r;
  ASSIGN_OR_RETURN(r.device_id, ColumnText(row, 0));
  ASSIGN_OR_RETURN(int64_t us, ColumnInt(row, 1));
  r.time = FromMicros(us);
  ASSIGN_OR_RETURN(int64_t permitted, ColumnInt(row, 2));
  r.permitted = permitted != 0;
  ASSIGN_OR_RETURN(r.attestation_type, ColumnText(row, 3));
  ASSIGN_OR_RETURN(r.policy_hash, ColumnText(row, 4));
  ASSIGN_OR_RETURN(r.token_id, ColumnText(row, 5));
  ASSIGN_OR_RETURN(r.reasons_json, ColumnText(row, 6));
  ASSIGN_OR_RETURN(r.claims_sha256, ColumnText(row, 7));
  return r;
}

absl::StatusOr<StoredDeviceClaims> ReadClaims(
    const std::vector<SqlValue>& row) {
  StoredDeviceClaims c;
  ASSIGN_OR_RETURN(c.device_id, ColumnText(row, 0));
  ASSIGN_OR_RETURN(c.sha256, ColumnText(row, 1));
  ASSIGN_OR_RETURN(c.claims.claims_json, ColumnText(row, 2));
  ASSIGN_OR_RETURN(std::string omitted, ColumnText(row, 3));
  if (!omitted.empty()) c.claims.omitted = absl::StrSplit(omitted, '\n');
  ASSIGN_OR_RETURN(c.claims.event_log_sha256, ColumnText(row, 4));
  ASSIGN_OR_RETURN(c.claims.event_log_pcrs, ColumnText(row, 5));
  ASSIGN_OR_RETURN(int64_t us, ColumnInt(row, 6));
  c.time = FromMicros(us);
  ASSIGN_OR_RETURN(int64_t permitted, ColumnInt(row, 7));
  c.permitted = permitted != 0;
  ASSIGN_OR_RETURN(c.policy_hash, ColumnText(row, 8));
  return c;
}

// The row `sql` returns for `key` ($1), decoded by `read`; `missing` when
// there is none.
template <typename T>
absl::StatusOr<T> ReadRow(
    SqlDatabase& db, absl::string_view step, const std::string& sql,
    absl::string_view key, absl::Status missing,
    absl::StatusOr<T> (*read)(const std::vector<SqlValue>&)) {
  T out;
  const absl::Status status =
      db.Transact(TxMode::kRead, step, [&](SqlSession& s) -> absl::Status {
        ASSIGN_OR_RETURN(SqlRows rows, s.Query(sql, {Text(key)}));
        if (rows.rows.empty()) return missing;
        ASSIGN_OR_RETURN(out, read(rows.rows[0]));
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return out;
}

// The `columns` of `device_id`'s row in `table` (a one-row-per-device
// table), decoded by `read`; kNotFound ("no <what> recorded for device d1")
// when there is none.
template <typename T>
absl::StatusOr<T> ReadDeviceRow(
    SqlDatabase& db, absl::string_view step, absl::string_view table,
    absl::string_view columns, absl::string_view what,
    absl::string_view device_id,
    absl::StatusOr<T> (*read)(const std::vector<SqlValue>&)) {
  RETURN_IF_ERROR(CheckDeviceId(device_id));
  return ReadRow<T>(db, absl::StrCat("read ", step),
                    absl::StrCat("SELECT ", columns, " FROM ", table,
                                 " WHERE device_id = $1"),
                    device_id,
                    absl::NotFoundError(absl::StrCat(
                        "no ", what, " recorded for device ", device_id)),
                    read);
}

}  // namespace

SqlStore::SqlStore(std::unique_ptr<SqlDatabase> db,
                   absl::Duration poll_interval)
    : db_(std::move(db)), poll_interval_(poll_interval) {}

absl::StatusOr<int64_t> SqlStore::Generation() {
  int64_t generation = 0;
  const absl::Status status = db_->Transact(
      TxMode::kRead, "read generation", [&](SqlSession& s) -> absl::Status {
        ASSIGN_OR_RETURN(
            SqlRows rows,
            s.Query("SELECT generation FROM store_state WHERE id = 1", {}));
        if (rows.rows.size() != 1) {
          return absl::InternalError("store_state has no row");
        }
        ASSIGN_OR_RETURN(generation, ColumnInt(rows.rows[0], 0));
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return generation;
}

absl::StatusOr<int64_t> SqlStore::WaitForGeneration(int64_t seen,
                                                    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  // Drain notifications that predate this read (and start listening).
  RETURN_IF_ERROR(db_->WaitForNotification(absl::ZeroDuration()).status());
  while (true) {
    ASSIGN_OR_RETURN(int64_t generation, Generation());
    const absl::Duration left = deadline - absl::Now();
    if (generation > seen || left <= absl::ZeroDuration()) return generation;
    RETURN_IF_ERROR(
        db_->WaitForNotification(std::min(left, poll_interval_)).status());
  }
}

absl::StatusOr<PolicyVersion> SqlStore::AppendPolicy(
    const PolicyChange& change, std::optional<int64_t> expected_current_version,
    const std::optional<AuditEvent>& audit) {
  RETURN_IF_ERROR(CheckType(change.attestation_type));
  PolicyVersion out;
  const absl::Status status = db_->Transact(
      TxMode::kWrite, "append policy", [&](SqlSession& s) -> absl::Status {
        RETURN_IF_ERROR(LockState(s, db_->dialect()).status());
        ASSIGN_OR_RETURN(out, InsertPolicy(s, db_->dialect(), change,
                                           expected_current_version));
        return MaybeInsertAudit(s, audit);
      });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::vector<PolicyVersion>> SqlStore::ApplyBatch(
    const ChangeBatch& batch) {
  std::vector<PolicyVersion> out;
  const absl::Status status = db_->Transact(
      TxMode::kWrite, "apply batch", [&](SqlSession& s) -> absl::Status {
        out.clear();
        RETURN_IF_ERROR(LockState(s, db_->dialect()).status());
        for (const ChangeBatch::Policy& p : batch.policies) {
          RETURN_IF_ERROR(CheckType(p.change.attestation_type));
          ASSIGN_OR_RETURN(PolicyVersion v,
                           InsertPolicy(s, db_->dialect(), p.change,
                                        p.expected_current_version));
          out.push_back(std::move(v));
        }
        for (const ChangeBatch::Certificate& c : batch.certificates) {
          RETURN_IF_ERROR(
              InsertCertificate(s, db_->dialect(), c.der, c.actor, c.time)
                  .status());
        }
        for (const AuditEvent& e : batch.audit) {
          RETURN_IF_ERROR(InsertAudit(s, e).status());
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<PolicyVersion> SqlStore::CurrentPolicy(
    absl::string_view attestation_type) {
  ASSIGN_OR_RETURN(std::vector<PolicyVersion> latest,
                   PolicyHistory(attestation_type, 1, std::nullopt));
  if (latest.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no policy stored for ", attestation_type));
  }
  return std::move(latest[0]);
}

absl::StatusOr<std::vector<PolicyVersion>> SqlStore::CurrentPolicies() {
  std::vector<PolicyVersion> out;
  const absl::Status status = db_->Transact(
      TxMode::kRead, "read current policies",
      [&](SqlSession& s) -> absl::Status {
        ASSIGN_OR_RETURN(
            SqlRows rows,
            s.Query(absl::StrCat("SELECT ", kPolicyColumns,
                                 " FROM policies p WHERE version = (SELECT "
                                 "MAX(version) FROM policies q WHERE "
                                 "q.attestation_type = p.attestation_type) "
                                 "ORDER BY attestation_type"),
                    {}));
        ASSIGN_OR_RETURN(out, ReadPolicies(rows));
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::vector<PolicyVersion>> SqlStore::PolicyHistory(
    absl::string_view attestation_type, int64_t limit,
    std::optional<int64_t> before_version) {
  RETURN_IF_ERROR(CheckType(attestation_type));
  RETURN_IF_ERROR(CheckLimit(limit));
  std::vector<PolicyVersion> out;
  const absl::Status status = db_->Transact(
      TxMode::kRead, "read policy history", [&](SqlSession& s) -> absl::Status {
        ASSIGN_OR_RETURN(
            SqlRows rows,
            s.Query(absl::StrCat("SELECT ", kPolicyColumns,
                                 " FROM policies WHERE attestation_type = $1 "
                                 "AND version < $2 ORDER BY version DESC "
                                 "LIMIT $3"),
                    {Text(attestation_type),
                     Int(before_version.value_or(INT64_MAX)), Int(limit)}));
        ASSIGN_OR_RETURN(out, ReadPolicies(rows));
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::vector<PolicyCertificate>> SqlStore::ListCertificates() {
  std::vector<PolicyCertificate> out;
  const absl::Status status = db_->Transact(
      TxMode::kRead, "list certificates", [&](SqlSession& s) -> absl::Status {
        ASSIGN_OR_RETURN(
            SqlRows rows,
            s.Query("SELECT thumbprint, der, added_by, added_by_role, "
                    "added_us FROM certificates ORDER BY thumbprint",
                    {}));
        for (const auto& row : rows.rows) {
          PolicyCertificate c;
          ASSIGN_OR_RETURN(c.thumbprint, ColumnText(row, 0));
          ASSIGN_OR_RETURN(c.der, ColumnBytes(row, 1));
          ASSIGN_OR_RETURN(c.added_by.identity, ColumnText(row, 2));
          ASSIGN_OR_RETURN(std::string role, ColumnText(row, 3));
          ASSIGN_OR_RETURN(c.added_by.role, ParseRole(role));
          ASSIGN_OR_RETURN(int64_t us, ColumnInt(row, 4));
          c.added_at = FromMicros(us);
          out.push_back(std::move(c));
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<CertificateChange> SqlStore::AddCertificate(
    absl::Span<const uint8_t> der, const Actor& actor, absl::Time time,
    const std::optional<AuditEvent>& audit) {
  if (der.empty()) return absl::InvalidArgumentError("empty certificate");
  CertificateChange result = CertificateChange::kAdded;
  const absl::Status status = db_->Transact(
      TxMode::kWrite, "add certificate", [&](SqlSession& s) -> absl::Status {
        RETURN_IF_ERROR(LockState(s, db_->dialect()).status());
        ASSIGN_OR_RETURN(
            result, InsertCertificate(s, db_->dialect(), der, actor, time));
        if (result == CertificateChange::kAlreadyPresent) {
          return absl::OkStatus();
        }
        return MaybeInsertAudit(s, audit);
      });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<CertificateChange> SqlStore::RemoveCertificate(
    absl::string_view thumbprint, const std::optional<AuditEvent>& audit) {
  const std::string key = absl::AsciiStrToUpper(thumbprint);
  CertificateChange result = CertificateChange::kRemoved;
  const absl::Status status = db_->Transact(
      TxMode::kWrite, "remove certificate", [&](SqlSession& s) -> absl::Status {
        RETURN_IF_ERROR(LockState(s, db_->dialect()).status());
        ASSIGN_OR_RETURN(
            SqlRows rows,
            s.Query("SELECT COUNT(*), COALESCE(SUM(CASE WHEN thumbprint = $1 "
                    "THEN 1 ELSE 0 END), 0) FROM certificates",
                    {Text(key)}));
        if (rows.rows.size() != 1) return absl::InternalError("no COUNT row");
        ASSIGN_OR_RETURN(int64_t count, ColumnInt(rows.rows[0], 0));
        ASSIGN_OR_RETURN(int64_t present, ColumnInt(rows.rows[0], 1));
        if (present == 0) {
          result = CertificateChange::kAlreadyAbsent;
          return absl::OkStatus();
        }
        if (count <= 1) {
          return absl::FailedPreconditionError(absl::StrCat(
              "cannot remove the last policy-management certificate (", key,
              "): add another first"));
        }
        result = CertificateChange::kRemoved;
        RETURN_IF_ERROR(BumpGeneration(s, db_->dialect()).status());
        RETURN_IF_ERROR(
            s.Query("DELETE FROM certificates WHERE thumbprint = $1",
                    {Text(key)})
                .status());
        return MaybeInsertAudit(s, audit);
      });
  if (!status.ok()) return status;
  return result;
}

absl::Status SqlStore::EnrollDevice(const EnrolledDevice& device) {
  RETURN_IF_ERROR(CheckDeviceId(device.device_id));
  return db_->Transact(
      TxMode::kWrite, "enroll device", [&](SqlSession& s) -> absl::Status {
        return s
            .Query(UpsertSql("devices", kDeviceColumns),
                   {Text(device.device_id), SqlValue(device.ek.marshalled),
                    SqlValue(device.ak.marshalled), SqlValue(device.ak_name),
                    Int(device.aik_validated ? 1 : 0), Text(device.ek_issuer),
                    Text(device.hostname), Int(ToMicros(device.enrolled_at))})
            .status();
      });
}

absl::StatusOr<EnrolledDevice> SqlStore::FindDevice(
    absl::string_view device_id) {
  RETURN_IF_ERROR(CheckDeviceId(device_id));
  return ReadRow<EnrolledDevice>(
      *db_, "find device",
      absl::StrCat("SELECT ", kDeviceColumns,
                   " FROM devices WHERE device_id = $1"),
      device_id, DeviceNotFound(device_id), &ReadDevice);
}

absl::StatusOr<ClockTransition> SqlStore::RecordDeviceClock(
    absl::string_view device_id, const tpm::ClockInfo& clock) {
  const ClockUpdate update{std::string(device_id), clock};
  ASSIGN_OR_RETURN(std::vector<absl::StatusOr<ClockTransition>> results,
                   RecordDeviceClocks(absl::MakeConstSpan(&update, 1)));
  return std::move(results[0]);
}

absl::StatusOr<std::vector<absl::StatusOr<ClockTransition>>>
SqlStore::RecordDeviceClocks(absl::Span<const ClockUpdate> updates) {
  std::vector<absl::StatusOr<ClockTransition>> results(
      updates.size(), absl::InternalError("clock not recorded"));
  // Rows are locked in device order, so two replicas' batches that share
  // devices cannot deadlock on each other's rows (PostgreSQL's FOR UPDATE);
  // the sort is stable, so one device's updates keep their order.
  std::vector<size_t> order;
  order.reserve(updates.size());
  for (size_t i = 0; i < updates.size(); ++i) {
    if (absl::Status s = CheckDeviceId(updates[i].device_id); !s.ok()) {
      results[i] = std::move(s);
    } else {
      order.push_back(i);
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return updates[a].device_id < updates[b].device_id;
  });
  if (order.empty()) return results;
  // Not fsynced per commit (kWriteLazySync): committed clocks are seen at
  // once by every replica, so a quote replayed to another one is still
  // refused. Losing the last clocks to a machine or database crash is
  // harmless: a quote whose clock was lost could be accepted once more only
  // with its nonce unexpired (nonce_lifetime, 2 minutes by default:
  // nonce_issuer.h), i.e. evidence no older than the verifier accepts
  // anyway. A durable commit per attestation held a verifier to ~1,200
  // att/s on SQLite on 2 cores (docs/PERFORMANCE.md).
  const absl::Status status = db_->Transact(
      TxMode::kWriteLazySync, "record clocks",
      [&](SqlSession& s) -> absl::Status {
        // A retried transaction starts over: every result in `order` is
        // assigned again below.
        for (size_t i : order) {
          const ClockUpdate& u = updates[i];
          ASSIGN_OR_RETURN(
              SqlRows rows,
              s.Query(absl::StrCat("SELECT clock_ms, reset_count, "
                                   "restart_count, clock_safe FROM devices "
                                   "WHERE device_id = $1",
                                   db_->dialect().for_update),
                      {Text(u.device_id)}));
          if (rows.rows.empty()) {
            results[i] = DeviceNotFound(u.device_id);
            continue;
          }
          ASSIGN_OR_RETURN(std::optional<tpm::ClockInfo> previous,
                           ReadClock(rows.rows[0]));
          results[i] = CheckClockAdvance(previous, u.clock);
          if (!results[i].ok()) continue;
          RETURN_IF_ERROR(
              s.Query(
                   "UPDATE devices SET clock_ms = $2, reset_count = $3, "
                   "restart_count = $4, clock_safe = $5 "
                   "WHERE device_id = $1",
                   {Text(u.device_id), Int(static_cast<int64_t>(u.clock.clock)),
                    Int(u.clock.reset_count), Int(u.clock.restart_count),
                    Int(u.clock.safe ? 1 : 0)})
                  .status());
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return results;
}

namespace {

// Replaces the device's latest attestation (carrying claims with digest
// `claims_sha256`, empty for none); kNotFound when the device is not
// enrolled.
absl::Status UpsertLatest(SqlSession& s, const AttestationRecord& record,
                          absl::string_view claims_sha256) {
  ASSIGN_OR_RETURN(SqlRows device,
                   s.Query("SELECT 1 FROM devices WHERE device_id = $1",
                           {Text(record.device_id)}));
  if (device.rows.empty()) return DeviceNotFound(record.device_id);
  return s
      .Query(UpsertSql("latest_attestations", kAttestationColumns),
             {Text(record.device_id), Int(ToMicros(record.time)),
              Int(record.permitted ? 1 : 0), Text(record.attestation_type),
              Text(record.policy_hash), Text(record.token_id),
              Text(record.reasons_json), Text(claims_sha256)})
      .status();
}

// Keeps `claims` as the device's (enrolled: checked by UpsertLatest) unless
// the kept ones have the same digest: the WHERE of the upsert makes an
// unchanged row a read, not a write, in both dialects.
absl::Status UpsertClaims(SqlSession& s, const AttestationRecord& record,
                          const DeviceClaims& claims,
                          absl::string_view sha256) {
  return s
      .Query(absl::StrCat(UpsertSql("device_claims", kClaimsColumns),
                          " WHERE device_claims.claims_sha256 <> "
                          "excluded.claims_sha256"),
             {Text(record.device_id), Text(sha256), Text(claims.claims_json),
              Text(absl::StrJoin(claims.omitted, "\n")),
              Text(claims.event_log_sha256), Text(claims.event_log_pcrs),
              Int(ToMicros(record.time)), Int(record.permitted ? 1 : 0),
              Text(record.policy_hash)})
      .status();
}

absl::Status CheckDigest(absl::string_view sha256) {
  if (sha256.size() == 64 && IsLowerHex(sha256)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("kept_claims_sha256: \"", absl::CHexEscape(sha256),
                   "\": want 64 lower-case hex digits"));
}

absl::Status CheckClaims(const DeviceClaims& claims) {
  for (const std::string& type : claims.omitted) {
    if (type.empty() || absl::StrContains(type, '\n')) {
      return absl::InvalidArgumentError(
          absl::StrCat("claims.omitted: \"", absl::CHexEscape(type),
                       "\": want a non-empty claim type without a newline"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SqlStore::PutLatestAttestation(const AttestationRecord& record) {
  RETURN_IF_ERROR(CheckDeviceId(record.device_id));
  return db_->Transact(
      TxMode::kWrite, "put latest attestation",
      [&](SqlSession& s) { return UpsertLatest(s, record, ""); });
}

absl::StatusOr<int64_t> SqlStore::RecordAttestations(
    absl::Span<const AttestationWrite> writes) {
  std::vector<std::string> digests(writes.size());
  for (size_t i = 0; i < writes.size(); ++i) {
    const AttestationWrite& w = writes[i];
    RETURN_IF_ERROR(CheckDeviceId(w.record.device_id));
    if (w.claims.has_value()) {
      RETURN_IF_ERROR(CheckClaims(*w.claims));
      digests[i] = ClaimsDigest(*w.claims);
    } else if (!w.kept_claims_sha256.empty()) {
      RETURN_IF_ERROR(CheckDigest(w.kept_claims_sha256));
      digests[i] = w.kept_claims_sha256;
    }
  }
  int64_t skipped = 0;
  const absl::Status status = db_->Transact(
      TxMode::kWriteLazySync, "record attestations",
      [&](SqlSession& s) -> absl::Status {
        skipped = 0;  // a retried transaction starts over
        for (size_t i = 0; i < writes.size(); ++i) {
          const AttestationWrite& w = writes[i];
          absl::Status put = UpsertLatest(s, w.record, digests[i]);
          if (absl::IsNotFound(put)) {
            ++skipped;
          } else if (!put.ok()) {
            return put;
          } else if (w.claims.has_value()) {
            RETURN_IF_ERROR(UpsertClaims(s, w.record, *w.claims, digests[i]));
          }
          RETURN_IF_ERROR(InsertAudit(s, w.audit).status());
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return skipped;
}

absl::StatusOr<StoredDeviceClaims> SqlStore::LatestClaims(
    absl::string_view device_id) {
  return ReadDeviceRow<StoredDeviceClaims>(*db_, "device claims",
                                           "device_claims", kClaimsColumns,
                                           "claims", device_id, &ReadClaims);
}

absl::StatusOr<absl::flat_hash_map<std::string, std::string>>
SqlStore::KeptClaimsDigests(absl::Span<const std::string> device_ids) {
  for (const std::string& id : device_ids) RETURN_IF_ERROR(CheckDeviceId(id));
  // A fixed number of placeholders (the last id repeated to fill them), so
  // every chunk runs the one prepared statement.
  constexpr size_t kChunk = 32;
  std::vector<std::string> placeholders;
  for (size_t i = 1; i <= kChunk; ++i) {
    placeholders.push_back(absl::StrCat("$", i));
  }
  const std::string sql =
      absl::StrCat("SELECT device_id, claims_sha256 FROM device_claims",
                   db_->dialect().claims_digest_index, " WHERE device_id IN (",
                   absl::StrJoin(placeholders, ", "), ")");
  absl::flat_hash_map<std::string, std::string> out;
  if (device_ids.empty()) return out;
  const absl::Status status = db_->Transact(
      TxMode::kRead, "read kept claims digests",
      [&](SqlSession& s) -> absl::Status {
        out.clear();
        for (size_t at = 0; at < device_ids.size(); at += kChunk) {
          std::vector<SqlValue> params;
          params.reserve(kChunk);
          for (size_t i = 0; i < kChunk; ++i) {
            params.push_back(
                Text(device_ids[std::min(at + i, device_ids.size() - 1)]));
          }
          ASSIGN_OR_RETURN(SqlRows rows, s.Query(sql, params));
          for (const std::vector<SqlValue>& row : rows.rows) {
            ASSIGN_OR_RETURN(std::string id, ColumnText(row, 0));
            ASSIGN_OR_RETURN(std::string digest, ColumnText(row, 1));
            out[std::move(id)] = std::move(digest);
          }
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<AttestationRecord> SqlStore::LatestAttestation(
    absl::string_view device_id) {
  return ReadDeviceRow<AttestationRecord>(
      *db_, "latest attestation", "latest_attestations", kAttestationColumns,
      "attestation", device_id, &ReadAttestation);
}

absl::StatusOr<int64_t> SqlStore::AppendAudit(const AuditEvent& event) {
  int64_t id = 0;
  const absl::Status status = db_->Transact(
      TxMode::kWrite, "append audit event", [&](SqlSession& s) -> absl::Status {
        ASSIGN_OR_RETURN(id, InsertAudit(s, event));
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return id;
}

absl::StatusOr<std::vector<AuditEntry>> SqlStore::QueryAudit(
    const AuditQuery& query) {
  RETURN_IF_ERROR(CheckLimit(query.limit));
  const bool newest_first = query.order == AuditOrder::kNewestFirst;
  std::string sql =
      absl::StrCat("SELECT ", kAuditColumns, " FROM audit_events WHERE 1 = 1");
  std::vector<SqlValue> params;
  auto where = [&](absl::string_view condition, SqlValue value) {
    params.push_back(std::move(value));
    absl::StrAppend(&sql, " AND ", condition, " $", params.size());
  };
  if (query.since) where("time_us >=", Int(ToMicros(*query.since)));
  if (query.until) where("time_us <", Int(ToMicros(*query.until)));
  if (query.actor_identity) where("actor_identity =", *query.actor_identity);
  if (query.action) where("action =", Text(AuditActionName(*query.action)));
  if (query.attestation_type) {
    where("attestation_type =", *query.attestation_type);
  }
  if (query.result) where("result =", Text(AuditResultName(*query.result)));
  if (query.after_id) where(newest_first ? "id <" : "id >", *query.after_id);
  params.push_back(Int(query.limit));
  absl::StrAppend(&sql, " ORDER BY id ", newest_first ? "DESC" : "ASC",
                  " LIMIT $", params.size());

  std::vector<AuditEntry> out;
  const absl::Status status = db_->Transact(
      TxMode::kRead, "query audit events", [&](SqlSession& s) -> absl::Status {
        ASSIGN_OR_RETURN(SqlRows rows, s.Query(sql, params));
        for (const auto& row : rows.rows) {
          ASSIGN_OR_RETURN(AuditEntry e, ReadAudit(row));
          out.push_back(std::move(e));
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<int64_t> SqlStore::PruneAudit(absl::Time cutoff) {
  int64_t pruned = 0;
  const absl::Status status = db_->Transact(
      TxMode::kWrite, "prune audit events", [&](SqlSession& s) -> absl::Status {
        ASSIGN_OR_RETURN(SqlRows rows,
                         s.Query("DELETE FROM audit_events WHERE time_us < $1",
                                 {Int(ToMicros(cutoff))}));
        pruned = rows.affected;
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return pruned;
}

}  // namespace vigil::service::store::internal
