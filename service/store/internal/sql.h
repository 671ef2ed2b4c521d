// File: service/store/internal/sql.h
// -----------------------------------------------------------------------------
// The small SQL seam under both stores: SqlStore (sql_store.h) holds every
// query once, written in the SQL that SQLite 3.40 and PostgreSQL 15 share
// (INSERT ... ON CONFLICT, RETURNING, LIMIT), with `$1`-style parameters;
// each backend supplies a SqlDatabase that runs it. Values travel only as
// bound parameters, never inside the SQL text.

#ifndef VIGIL_SERVICE_STORE_INTERNAL_SQL_H_
#define VIGIL_SERVICE_STORE_INTERNAL_SQL_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace vigil::service::store::internal {

using Bytes = std::vector<uint8_t>;
// NULL, BIGINT, TEXT, BLOB/BYTEA.
using SqlValue = std::variant<std::monostate, int64_t, std::string, Bytes>;

// A query's result: the rows (columns in SELECT order) and, for INSERT,
// UPDATE and DELETE, how many rows it changed.
struct SqlRows {
  std::vector<std::vector<SqlValue>> rows;
  int64_t affected = 0;
};

// One open transaction. Not thread-safe; lives only inside Transact.
class SqlSession {
 public:
  virtual ~SqlSession() = default;
  // Runs one statement with `params` bound to $1, $2, ... Fails with the
  // backend's error (see SqlDatabase::Transact).
  virtual absl::StatusOr<SqlRows> Query(absl::string_view sql,
                                        absl::Span<const SqlValue> params) = 0;
};

enum class TxMode {
  kRead,   // a consistent snapshot for several reads
  kWrite,  // may write; writers that could conflict are serialised
  // kWrite whose commit does not wait for the disk: visible at once to every
  // process on the database and kept if this process dies, but a crash of
  // the machine (SQLite) or of the database server (PostgreSQL) may lose the
  // last such commits — whole, never half of one. For the writes made at
  // attestation rate (TPM clocks, attestation records), where waiting for an
  // fsync per commit would bound the fleet's rate by the disk; see
  // SqlStore::RecordDeviceClocks for why losing a clock there is harmless.
  kWriteLazySync,
};

// What differs between the two SQL dialects in SqlStore's queries.
struct Dialect {
  // Appended to a SELECT that must lock the rows it reads until commit
  // (PostgreSQL's " FOR UPDATE"; empty for SQLite, whose write transactions
  // already hold the database's write lock).
  absl::string_view for_update;
  // Run (with the new generation as $1) in every transaction that bumps the
  // generation, to wake other replicas; empty when the backend has no
  // notifications.
  absl::string_view notify_sql;
  // Follows "FROM device_claims" in KeptClaimsDigests: SQLite's planner
  // prefers the primary key's unique index to the covering one (and then
  // reads every ~5 KB row) unless told (" INDEXED BY device_claims_digest");
  // PostgreSQL chooses by statistics (empty).
  absl::string_view claims_digest_index;
};

// A database connection (or pool). Thread-safe.
class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;

  virtual const Dialect& dialect() const = 0;

  // Runs `body` in one transaction: commits when it returns OK, rolls back
  // otherwise and returns its error. The backend may run `body` again when
  // the database reports a transient conflict (serialisation failure,
  // deadlock), so `body` must only touch the database and its own outputs.
  // Errors carry "<backend>: <database>: <step>: <message>" with `step`
  // prepended by the caller; kUnavailable when the database is unreachable
  // or busy.
  virtual absl::Status Transact(
      TxMode mode, absl::string_view step,
      absl::FunctionRef<absl::Status(SqlSession&)> body) = 0;

  // Waits up to `timeout` for a change notification from another instance
  // (see Dialect::notify_sql), or simply sleeps `timeout` when the backend
  // has none. Returns true when notified.
  virtual absl::StatusOr<bool> WaitForNotification(absl::Duration timeout) = 0;
};

// Readers for a result column; a column of another type is a foreign or
// corrupt database (kInternal naming the column index).
absl::StatusOr<int64_t> ColumnInt(const std::vector<SqlValue>& row, size_t i);
absl::StatusOr<std::string> ColumnText(const std::vector<SqlValue>& row,
                                       size_t i);
absl::StatusOr<Bytes> ColumnBytes(const std::vector<SqlValue>& row, size_t i);
bool ColumnIsNull(const std::vector<SqlValue>& row, size_t i);

// Times as Unix microseconds (records.h).
int64_t ToMicros(absl::Time t);
absl::Time FromMicros(int64_t us);

}  // namespace vigil::service::store::internal

#endif  // VIGIL_SERVICE_STORE_INTERNAL_SQL_H_
