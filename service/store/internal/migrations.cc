#include "service/store/internal/migrations.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status_macros.h"

namespace vigil::service::store::internal {
namespace {

// The schema, version by version, in the SQL both dialects share; `{INT}`,
// `{BLOB}` and `{ID}` are replaced with each dialect's type names. Integers are
// 64-bit everywhere; times are Unix microseconds; booleans are 0/1.
//   store_state     one row: the generation (and the lock every policy or
//                   certificate change takes first)
//   policies        every version of every type's policy; policy_text NULL
//                   marks a reset to the built-in default
//   certificates    policy-management certificates by SHA-1 thumbprint
//   devices         enrolled devices and their last accepted TPM clock
//   latest_attestations  one row per device
//   device_claims   one row per device: its latest incoming claims,
//                   rewritten only when their digest changes
//   audit_events    the audit trail; ids never reused (paging cursor)
struct MigrationTemplate {
  int64_t version;
  absl::string_view description;
  std::vector<absl::string_view> statements;
};

const std::vector<MigrationTemplate>& Templates() {
  static const std::vector<MigrationTemplate>* templates = new std::vector<
      MigrationTemplate>{
      {1,
       "tables: policies, certificates, devices, latest attestations, "
       "audit events",
       {
           "CREATE TABLE store_state (id {INT} PRIMARY KEY CHECK (id = 1), "
           "generation {INT} NOT NULL)",
           "INSERT INTO store_state (id, generation) VALUES (1, 0)",
           "CREATE TABLE policies (attestation_type TEXT NOT NULL, "
           "version {INT} NOT NULL, generation {INT} NOT NULL, "
           "policy_text TEXT, jws TEXT NOT NULL, policy_hash TEXT NOT NULL, "
           "token_hash TEXT NOT NULL, signer_thumbprint TEXT, "
           "actor_identity TEXT NOT NULL, actor_role TEXT NOT NULL, "
           "time_us {INT} NOT NULL, PRIMARY KEY (attestation_type, version))",
           "CREATE TABLE certificates (thumbprint TEXT PRIMARY KEY, "
           "der {BLOB} NOT NULL, added_by TEXT NOT NULL, "
           "added_by_role TEXT NOT NULL, added_us {INT} NOT NULL)",
           "CREATE TABLE devices (device_id TEXT PRIMARY KEY, "
           "ek_public {BLOB} NOT NULL, ak_public {BLOB} NOT NULL, "
           "ak_name {BLOB} NOT NULL, aik_validated {INT} NOT NULL, "
           "ek_issuer TEXT NOT NULL, hostname TEXT NOT NULL, "
           "enrolled_us {INT} NOT NULL, clock_ms {INT}, reset_count {INT}, "
           "restart_count {INT}, clock_safe {INT})",
           "CREATE TABLE latest_attestations (device_id TEXT PRIMARY KEY "
           "REFERENCES devices (device_id) ON DELETE CASCADE, "
           "time_us {INT} NOT NULL, permitted {INT} NOT NULL, "
           "attestation_type TEXT NOT NULL, policy_hash TEXT NOT NULL, "
           "token_id TEXT NOT NULL, reasons_json TEXT NOT NULL)",
           "CREATE TABLE audit_events (id {ID}, time_us {INT} NOT NULL, "
           "actor_identity TEXT NOT NULL, actor_role TEXT NOT NULL, "
           "source_address TEXT NOT NULL, action TEXT NOT NULL, "
           "attestation_type TEXT NOT NULL, policy_hash TEXT NOT NULL, "
           "result TEXT NOT NULL, detail_json TEXT NOT NULL)",
           "CREATE INDEX audit_events_time ON audit_events (time_us)",
       }},
      {2,
       "indexes for the audit filters",
       {
           "CREATE INDEX audit_events_actor ON audit_events "
           "(actor_identity, id)",
           "CREATE INDEX audit_events_action ON audit_events (action, id)",
       }},
      {3,
       "each device's latest incoming claims, for dry runs",
       {
           "CREATE TABLE device_claims (device_id TEXT PRIMARY KEY "
           "REFERENCES devices (device_id) ON DELETE CASCADE, "
           "claims_sha256 TEXT NOT NULL, claims_json TEXT NOT NULL, "
           "omitted TEXT NOT NULL, event_log_sha256 TEXT NOT NULL, "
           "event_log_pcrs TEXT NOT NULL, time_us {INT} NOT NULL, "
           "permitted {INT} NOT NULL, policy_hash TEXT NOT NULL)",
           "ALTER TABLE latest_attestations ADD COLUMN claims_sha256 TEXT "
           "NOT NULL DEFAULT ''",
       }},
      {4,
       "kept claims' digests readable without their rows (KeptClaimsDigests)",
       {
           // Covering: the recorder's per-batch read touches index pages
           // (~140 bytes a device), not the ~5 KB claims rows.
           "CREATE INDEX device_claims_digest ON device_claims "
           "(device_id, claims_sha256)",
       }},
  };
  return *templates;
}

std::vector<Migration> Expand(absl::string_view int_type,
                              absl::string_view blob_type,
                              absl::string_view id_type) {
  std::vector<Migration> out;
  for (const MigrationTemplate& t : Templates()) {
    Migration m{t.version, t.description, {}};
    for (absl::string_view s : t.statements) {
      m.statements.push_back(absl::StrReplaceAll(
          s, {{"{INT}", int_type}, {"{BLOB}", blob_type}, {"{ID}", id_type}}));
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

const std::vector<Migration>& SqliteMigrations() {
  // AUTOINCREMENT: an id is never reused, even after the newest events were
  // pruned, so a paging cursor cannot skip into new events.
  static const std::vector<Migration>* migrations = new std::vector<Migration>(
      Expand("INTEGER", "BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT"));
  return *migrations;
}

const std::vector<Migration>& PostgresMigrations() {
  static const std::vector<Migration>* migrations = new std::vector<Migration>(
      Expand("BIGINT", "BYTEA",
             "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"));
  return *migrations;
}

absl::Status ApplyMigrations(SqlSession& session, absl::string_view where,
                             absl::string_view lock_sql,
                             const std::vector<Migration>& migrations,
                             absl::Time now) {
  if (!lock_sql.empty()) RETURN_IF_ERROR(session.Query(lock_sql, {}).status());
  RETURN_IF_ERROR(session
                      .Query("CREATE TABLE IF NOT EXISTS schema_version ("
                             "version BIGINT PRIMARY KEY, "
                             "description TEXT NOT NULL, "
                             "applied_us BIGINT NOT NULL)",
                             {})
                      .status());
  ASSIGN_OR_RETURN(
      SqlRows current,
      session.Query("SELECT COALESCE(MAX(version), 0) FROM schema_version",
                    {}));
  if (current.rows.size() != 1) {
    return absl::InternalError(
        absl::StrCat(where, ": schema_version: no MAX(version) row"));
  }
  ASSIGN_OR_RETURN(int64_t version, ColumnInt(current.rows[0], 0));
  const int64_t latest = migrations.empty() ? 0 : migrations.back().version;
  if (version > latest) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, ": store schema version ", version,
                     " is newer than this vigil-verifier ", "knows (", latest,
                     "): upgrade it"));
  }
  for (const Migration& m : migrations) {
    if (m.version <= version) continue;
    for (absl::string_view statement : m.statements) {
      RETURN_IF_ERROR(session.Query(statement, {}).status());
    }
    RETURN_IF_ERROR(
        session
            .Query("INSERT INTO schema_version (version, description, "
                   "applied_us) VALUES ($1, $2, $3)",
                   {SqlValue(m.version), SqlValue(std::string(m.description)),
                    SqlValue(ToMicros(now))})
            .status());
  }
  return absl::OkStatus();
}

}  // namespace vigil::service::store::internal
