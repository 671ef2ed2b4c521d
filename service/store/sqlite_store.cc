#include "service/store/sqlite_store.h"

#include <sqlite3.h>

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "service/store/internal/migrations.h"

namespace vigil::service::store {
namespace {

using internal::Bytes;
using internal::SqlRows;
using internal::SqlValue;

// More distinct statements than SqlStore issues (the audit query has at most
// a few hundred filter combinations); past it the cache starts over.
constexpr size_t kMaxCachedStatements = 512;

absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_PROTOCOL:
      return absl::StatusCode::kUnavailable;
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::StatusCode::kFailedPrecondition;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_FULL:
      return absl::StatusCode::kResourceExhausted;
    default:
      return absl::StatusCode::kInternal;
  }
}

// SqlStore writes `$1`; SQLite's numbered parameters are `?1` (its `$1`
// would be a named parameter). No query holds a `$` in a literal.
std::string ToSqliteParameters(absl::string_view sql) {
  std::string out(sql);
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '$' && absl::ascii_isdigit(out[i + 1])) out[i] = '?';
  }
  return out;
}

class SqliteDatabase;

class SqliteSession final : public internal::SqlSession {
 public:
  SqliteSession(SqliteDatabase* db, absl::string_view step)
      : db_(db), step_(step) {}
  absl::StatusOr<SqlRows> Query(absl::string_view sql,
                                absl::Span<const SqlValue> params) override;

 private:
  SqliteDatabase* db_;
  absl::string_view step_;
};

class SqliteDatabase final : public internal::SqlDatabase {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteDatabase>> Open(
      const SqliteStoreOptions& options) {
    sqlite3* handle = nullptr;
    const int rc = sqlite3_open_v2(
        options.path.c_str(), &handle,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
        nullptr);
    auto db = std::unique_ptr<SqliteDatabase>(
        new SqliteDatabase(handle, options.path));
    if (rc != SQLITE_OK) return db->Error(rc, "open");
    sqlite3_extended_result_codes(handle, 1);
    sqlite3_busy_timeout(
        handle,
        static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));
    RETURN_IF_ERROR(db->Pragma("PRAGMA foreign_keys = ON", ""));
    RETURN_IF_ERROR(db->Pragma("PRAGMA journal_mode = WAL", "wal"));
    RETURN_IF_ERROR(db->Pragma("PRAGMA synchronous = FULL", ""));
    // A checkpoint runs inside the commit that takes the WAL past this
    // many pages (SQLite's default: 1,000), holding the one connection
    // that every attestation's clock commit waits for. At 512 each copies
    // half as much: the paced p99 at 1,600 att/s fell from 11.6–13.8 to
    // 6.4–10.8 ms over six alternating pairs, throughput the same within
    // the noise; at 256 it halved again but throughput fell 5–21%
    // (docs/PERFORMANCE.md, 2026-11-25 04:00). Lazily synced commits
    // (clocks, records) reach the disk at the next checkpoint, so sooner.
    RETURN_IF_ERROR(
        db->Pragma(absl::StrCat("PRAGMA wal_autocheckpoint = ",
                                SqliteStore::kWalAutocheckpointPages),
                   ""));
    return db;
  }

  ~SqliteDatabase() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  const internal::Dialect& dialect() const override {
    static constexpr internal::Dialect kSqlite = {
        .for_update = "",
        .notify_sql = "",
        .claims_digest_index = " INDEXED BY device_claims_digest"};
    return kSqlite;
  }

  absl::Status Transact(
      internal::TxMode mode, absl::string_view step,
      absl::FunctionRef<absl::Status(internal::SqlSession&)> body) override {
    absl::MutexLock lock(&mu_);
    const bool lazy = mode == internal::TxMode::kWriteLazySync;
    // WAL with synchronous=NORMAL: the commit is in the WAL (so it survives
    // this process) but not fsynced until the next checkpoint. Set per
    // transaction: the connection's other commits stay FULL. Through Exec,
    // not the statement cache: SQLite applies `PRAGMA synchronous = X`
    // while preparing it and re-prepares a PRAGMA on every later run, so a
    // cached one saves no parsing — and one prepared ahead of its first run
    // sets the level then, not when it is stepped (tried with SQLite 3.40).
    if (lazy) RETURN_IF_ERROR(Exec("PRAGMA synchronous = NORMAL", step));
    const char* begin =
        mode == internal::TxMode::kRead ? "BEGIN" : "BEGIN IMMEDIATE";
    absl::Status status = Exec(begin, step);
    if (status.ok()) {
      SqliteSession session(this, step);
      status = body(session);
      if (status.ok()) status = Exec("COMMIT", step);
      if (!status.ok() && !sqlite3_get_autocommit(db_)) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      }
    }
    if (lazy) {
      // If this fails the connection's later commits are not fsynced
      // either: report it rather than the transaction's own status.
      if (absl::Status s = Exec("PRAGMA synchronous = FULL", step); !s.ok()) {
        return s;
      }
    }
    return status;
  }

  absl::StatusOr<bool> WaitForNotification(absl::Duration timeout) override {
    absl::SleepFor(timeout);
    return false;
  }

  // Runs one statement of the open transaction (mu_ held by Transact).
  absl::StatusOr<SqlRows> Query(absl::string_view step, absl::string_view sql,
                                absl::Span<const SqlValue> params)
      ABSL_NO_THREAD_SAFETY_ANALYSIS {
    ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, step));
    absl::Status status = Bind(stmt, params, step);
    SqlRows out;
    while (status.ok()) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        status = Error(rc, step);
        break;
      }
      std::vector<SqlValue>& row = out.rows.emplace_back();
      const int columns = sqlite3_column_count(stmt);
      for (int i = 0; i < columns; ++i) row.push_back(Column(stmt, i));
    }
    if (status.ok() && !sqlite3_stmt_readonly(stmt)) {
      out.affected = sqlite3_changes64(db_);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (!status.ok()) return status;
    return out;
  }

 private:
  SqliteDatabase(sqlite3* db, std::string path)
      : db_(db), path_(std::move(path)) {}

  absl::Status Error(int rc, absl::string_view step) const {
    const char* message =
        db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    return absl::Status(CodeFor(rc), absl::StrCat("sqlite: ", path_, ": ", step,
                                                  ": ", message));
  }

  absl::Status Exec(const char* sql, absl::string_view step) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return Error(rc, step);
    return absl::OkStatus();
  }

  // Runs a PRAGMA; when `want` is set, its one result must equal it.
  absl::Status Pragma(absl::string_view sql, absl::string_view want) {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(SqlRows rows, Query("open", sql, {}));
    if (want.empty()) return absl::OkStatus();
    if (rows.rows.size() == 1 && rows.rows[0].size() == 1) {
      const auto* got = std::get_if<std::string>(&rows.rows[0][0]);
      if (got != nullptr && absl::EqualsIgnoreCase(*got, want)) {
        return absl::OkStatus();
      }
    }
    return absl::FailedPreconditionError(
        absl::StrCat("sqlite: ", path_, ": open: ", sql, " did not give ", want,
                     " (a file system without shared memory?)"));
  }

  absl::StatusOr<sqlite3_stmt*> Prepare(absl::string_view sql,
                                        absl::string_view step)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::string text = ToSqliteParameters(sql);
    auto it = statements_.find(text);
    if (it != statements_.end()) return it->second;
    if (statements_.size() >= kMaxCachedStatements) {
      for (auto& [s, stmt] : statements_) sqlite3_finalize(stmt);
      statements_.clear();
    }
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v3(db_, text.data(), static_cast<int>(text.size()),
                           SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, step);
    statements_.emplace(text, stmt);
    return stmt;
  }

  absl::Status Bind(sqlite3_stmt* stmt, absl::Span<const SqlValue> params,
                    absl::string_view step) {
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      if (const auto* v = std::get_if<int64_t>(&params[i])) {
        rc = sqlite3_bind_int64(stmt, index, *v);
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(),
                                 SQLITE_TRANSIENT, SQLITE_UTF8);
      } else if (const auto* b = std::get_if<Bytes>(&params[i])) {
        // An empty blob must stay a blob: bind_blob(nullptr) would be NULL.
        rc = b->empty() ? sqlite3_bind_zeroblob(stmt, index, 0)
                        : sqlite3_bind_blob64(stmt, index, b->data(), b->size(),
                                              SQLITE_TRANSIENT);
      } else {
        rc = sqlite3_bind_null(stmt, index);
      }
      if (rc != SQLITE_OK) return Error(rc, step);
    }
    return absl::OkStatus();
  }

  static SqlValue Column(sqlite3_stmt* stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER:
        return SqlValue(static_cast<int64_t>(sqlite3_column_int64(stmt, i)));
      case SQLITE_TEXT: {
        const auto* p =
            reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        return SqlValue(std::string(p, sqlite3_column_bytes(stmt, i)));
      }
      case SQLITE_BLOB: {
        const auto* p =
            static_cast<const uint8_t*>(sqlite3_column_blob(stmt, i));
        const int n = sqlite3_column_bytes(stmt, i);
        return SqlValue(n > 0 ? Bytes(p, p + n) : Bytes());
      }
      case SQLITE_NULL:
        return SqlValue();
      default:  // SQLITE_FLOAT: no column of ours holds one
        return SqlValue(std::string("<float>"));
    }
  }

  absl::Mutex mu_;
  sqlite3* db_;
  const std::string path_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_
      ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<SqlRows> SqliteSession::Query(
    absl::string_view sql, absl::Span<const SqlValue> params) {
  return db_->Query(step_, sql, params);
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const SqliteStoreOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db,
                   SqliteDatabase::Open(options));
  const Clock& clock =
      options.clock != nullptr ? *options.clock : SystemClock::Get();
  RETURN_IF_ERROR(db->Transact(
      internal::TxMode::kWrite, "migrate schema", [&](internal::SqlSession& s) {
        return internal::ApplyMigrations(
            s, absl::StrCat("sqlite: ", options.path), "",
            internal::SqliteMigrations(), clock.Now());
      }));
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::move(db), options.poll_interval));
}

// PRAGMA statements are re-prepared on every run after their first, which
// runs right after they are prepared, so the cached statement reads the
// value in force now.
absl::StatusOr<int64_t> SqliteStore::IntPragmaForTesting(
    absl::string_view name) {
  const std::string sql = absl::StrCat("PRAGMA ", name);
  int64_t value = -1;
  RETURN_IF_ERROR(database().Transact(
      internal::TxMode::kRead, absl::StrCat("read ", name),
      [&](internal::SqlSession& s) -> absl::Status {
        ASSIGN_OR_RETURN(internal::SqlRows rows, s.Query(sql, {}));
        if (rows.rows.size() != 1) {
          return absl::InternalError(absl::StrCat(sql, ": not one row"));
        }
        ASSIGN_OR_RETURN(value, internal::ColumnInt(rows.rows[0], 0));
        return absl::OkStatus();
      }));
  return value;
}

}  // namespace vigil::service::store
