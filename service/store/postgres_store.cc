#include "service/store/postgres_store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "service/store/internal/migrations.h"

namespace vigil::service::store {
namespace {

using internal::Bytes;
using internal::SqlRows;
using internal::SqlValue;

// Type OIDs (src/include/catalog/pg_type.dat; stable across releases). The
// server headers that define them are not in libpq-dev.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kCharOid = 18;
constexpr Oid kNameOid = 19;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kVarcharOid = 1043;
constexpr Oid kVoidOid = 2278;

// Any constant: pg_advisory_xact_lock's key for schema migrations ("vigl").
constexpr absl::string_view kMigrationLock =
    "SELECT pg_advisory_xact_lock(1986618220)";
constexpr absl::string_view kChannel = "vigil_store_changes";

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;
struct ConninfoDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

// What may be shown of a connection string, and the secret to scrub.
struct Target {
  std::string name;  // "dbname=vigil host=db user=vigil"
  std::string password;
};

absl::StatusOr<Target> ParseTarget(const std::string& conninfo) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, ConninfoDeleter> options(
      PQconninfoParse(conninfo.c_str(), &error));
  if (options == nullptr) {
    // libpq's message quotes the string, which may hold the password.
    PQfreemem(error);
    return absl::InvalidArgumentError(
        "postgres: invalid connection string (libpq's message is withheld: "
        "it would quote the string, which may hold a password)");
  }
  Target t;
  std::vector<std::string> shown;
  for (PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    const absl::string_view key = o->keyword;
    if (key == "password") {
      t.password = o->val;
    } else if (key == "dbname" || key == "host" || key == "hostaddr" ||
               key == "port" || key == "user") {
      shown.push_back(absl::StrCat(key, "=", o->val));
    }
  }
  std::sort(shown.begin(), shown.end());
  t.name = shown.empty() ? "(libpq defaults)" : absl::StrJoin(shown, " ");
  return t;
}

absl::StatusCode CodeForSqlState(absl::string_view state) {
  if (state == "40001" || state == "40P01") return absl::StatusCode::kAborted;
  if (absl::StartsWith(state, "08") || absl::StartsWith(state, "57P") ||
      absl::StartsWith(state, "53")) {
    return absl::StatusCode::kUnavailable;
  }
  if (state == "57014") return absl::StatusCode::kDeadlineExceeded;
  if (state == "25006" || absl::StartsWith(state, "28")) {
    return absl::StatusCode::kFailedPrecondition;
  }
  return absl::StatusCode::kInternal;
}

int64_t ReadBigEndian(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  if (n < 8 && n > 0 && (v >> (8 * n - 1)) != 0) v |= ~uint64_t{0} << (8 * n);
  return static_cast<int64_t>(v);
}

class PgDatabase;

class PgSession final : public internal::SqlSession {
 public:
  PgSession(PgDatabase* db, PGconn* conn, absl::string_view step)
      : db_(db), conn_(conn), step_(step) {}
  absl::StatusOr<SqlRows> Query(absl::string_view sql,
                                absl::Span<const SqlValue> params) override;

  // The last error was a serialisation failure or deadlock: run again.
  bool retryable() const { return retryable_; }
  // The connection is gone: drop it from the pool.
  bool broken() const { return PQstatus(conn_) == CONNECTION_BAD; }

 private:
  PgDatabase* db_;
  PGconn* conn_;
  absl::string_view step_;
  bool retryable_ = false;
};

class PgDatabase final : public internal::SqlDatabase {
 public:
  PgDatabase(const PostgresStoreOptions& options, Target target)
      : options_(options), target_(std::move(target)) {}

  ~PgDatabase() override {
    absl::MutexLock lock(&mu_);
    idle_.clear();
  }

  const internal::Dialect& dialect() const override {
    static constexpr internal::Dialect kPostgres = {
        .for_update = " FOR UPDATE",
        .notify_sql = "SELECT pg_notify('vigil_store_changes', $1::text)",
        .claims_digest_index = ""};
    return kPostgres;
  }

  absl::Status Transact(
      internal::TxMode mode, absl::string_view step,
      absl::FunctionRef<absl::Status(internal::SqlSession&)> body) override {
    const absl::string_view begin =
        mode == internal::TxMode::kRead
            ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
            : "BEGIN ISOLATION LEVEL READ COMMITTED";
    for (int attempt = 0;; ++attempt) {
      ASSIGN_OR_RETURN(PgConnPtr conn, Acquire());
      PgSession session(this, conn.get(), step);
      absl::Status status = session.Query(begin, {}).status();
      if (!status.ok()) {
        // Nothing ran yet: a connection that died in the pool is replaced.
        const bool again = session.broken() && attempt < options_.max_retries;
        Release(std::move(conn));
        if (again) continue;
        return status;
      }
      // The commit returns before the WAL is flushed (PostgreSQL's
      // asynchronous commit, this transaction only): a server crash may
      // lose the last ones, whole; it never corrupts.
      if (mode == internal::TxMode::kWriteLazySync) {
        status =
            session.Query("SET LOCAL synchronous_commit = off", {}).status();
      }
      if (status.ok()) status = body(session);
      bool committing = false;
      if (status.ok()) {
        committing = true;
        status = session.Query("COMMIT", {}).status();
      } else if (!session.broken()) {
        (void)session.Query("ROLLBACK", {});
      }
      const bool broken = session.broken();
      const bool retry =
          !status.ok() && session.retryable() && attempt < options_.max_retries;
      Release(std::move(conn));
      if (status.ok() || !retry) {
        if (committing && broken && !status.ok()) {
          return absl::UnavailableError(absl::StrCat(
              status.message(),
              " (the connection was lost at COMMIT: the change may or may not "
              "have been stored)"));
        }
        return status;
      }
      absl::SleepFor(absl::Milliseconds(5 * (attempt + 1)));
    }
  }

  absl::StatusOr<bool> WaitForNotification(absl::Duration timeout) override {
    absl::MutexLock lock(&listen_mu_);
    if (listener_ == nullptr) {
      absl::StatusOr<PgConnPtr> conn = Connect();
      if (conn.ok()) {
        PgResultPtr r(
            PQexec(conn->get(), absl::StrCat("LISTEN ", kChannel).c_str()));
        if (PQresultStatus(r.get()) == PGRES_COMMAND_OK) {
          listener_ = std::move(*conn);
        }
      }
      if (listener_ == nullptr) {  // polling alone, until the next call
        absl::SleepFor(timeout);
        return false;
      }
    }
    if (Drain()) return true;
    if (timeout <= absl::ZeroDuration()) return false;
    pollfd fd = {PQsocket(listener_.get()), POLLIN, 0};
    poll(&fd, 1,
         static_cast<int>(
             std::max<int64_t>(1, absl::ToInt64Milliseconds(absl::Ceil(
                                      timeout, absl::Milliseconds(1))))));
    return Drain();
  }

  // "postgres: <target>: <step>: <message>", one line, without the password.
  absl::Status Error(absl::StatusCode code, absl::string_view step,
                     absl::string_view message) const {
    std::string text(absl::StripAsciiWhitespace(message));
    if (!target_.password.empty()) {
      absl::StrReplaceAll({{target_.password, "<password>"}}, &text);
    }
    absl::StrReplaceAll({{"\r", ""}, {"\n", "; "}, {"\t", " "}}, &text);
    return absl::Status(
        code, absl::StrCat("postgres: ", target_.name, ": ", step, ": ", text));
  }

  absl::StatusOr<PgConnPtr> Connect() const {
    const char* keywords[] = {"dbname", "fallback_application_name", nullptr};
    const char* values[] = {options_.conninfo.c_str(), "vigil-verifier",
                            nullptr};
    PgConnPtr conn(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
    if (conn == nullptr) {
      return Error(absl::StatusCode::kResourceExhausted, "connect",
                   "out of memory");
    }
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      return Error(absl::StatusCode::kUnavailable, "connect",
                   PQerrorMessage(conn.get()));
    }
    // Server notices ("relation ... already exists, skipping") are not
    // errors; libpq would print them to stderr.
    PQsetNoticeProcessor(
        conn.get(), [](void*, const char*) {}, nullptr);
    return conn;
  }

 private:
  absl::StatusOr<PgConnPtr> Acquire() {
    {
      absl::MutexLock lock(&mu_);
      auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !idle_.empty() || open_ < options_.pool_size;
      };
      if (!mu_.AwaitWithTimeout(absl::Condition(&available),
                                options_.acquire_timeout)) {
        return Error(
            absl::StatusCode::kUnavailable, "connect",
            absl::StrCat("all ", options_.pool_size,
                         " pooled connections stayed busy for ",
                         absl::FormatDuration(options_.acquire_timeout)));
      }
      while (!idle_.empty()) {
        PgConnPtr conn = std::move(idle_.back());
        idle_.pop_back();
        if (PQstatus(conn.get()) == CONNECTION_OK) return conn;
        --open_;
      }
      ++open_;
    }
    absl::StatusOr<PgConnPtr> conn = Connect();
    if (!conn.ok()) {
      absl::MutexLock lock(&mu_);
      --open_;
    }
    return conn;
  }

  void Release(PgConnPtr conn) {
    absl::MutexLock lock(&mu_);
    if (PQstatus(conn.get()) == CONNECTION_OK &&
        PQtransactionStatus(conn.get()) == PQTRANS_IDLE) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }

  // Consumes what arrived on the listening connection; true when it held a
  // notification. A broken listener is dropped (reopened on the next wait).
  bool Drain() ABSL_EXCLUSIVE_LOCKS_REQUIRED(listen_mu_) {
    if (PQconsumeInput(listener_.get()) == 0) {
      listener_.reset();
      return false;
    }
    bool notified = false;
    while (PGnotify* n = PQnotifies(listener_.get())) {
      notified = true;
      PQfreemem(n);
    }
    return notified;
  }

  const PostgresStoreOptions options_;
  const Target target_;
  absl::Mutex mu_;
  std::vector<PgConnPtr> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Mutex listen_mu_;
  PgConnPtr listener_ ABSL_GUARDED_BY(listen_mu_);

  friend class PgSession;
};

absl::StatusOr<SqlRows> PgSession::Query(absl::string_view sql,
                                         absl::Span<const SqlValue> params) {
  const size_t n = params.size();
  std::vector<Oid> types(n, 0);
  std::vector<const char*> values(n, nullptr);
  std::vector<int> lengths(n, 0);
  std::vector<int> formats(n, 1);
  std::vector<std::array<char, 8>> ints(n);
  for (size_t i = 0; i < n; ++i) {
    if (const auto* v = std::get_if<int64_t>(&params[i])) {
      const uint64_t u = static_cast<uint64_t>(*v);
      for (int b = 0; b < 8; ++b)
        ints[i][b] = static_cast<char>(u >> (56 - 8 * b));
      types[i] = kInt8Oid;
      values[i] = ints[i].data();
      lengths[i] = 8;
    } else if (const auto* s = std::get_if<std::string>(&params[i])) {
      types[i] = kTextOid;
      values[i] = s->data();  // non-null even when empty
      lengths[i] = static_cast<int>(s->size());
    } else if (const auto* b = std::get_if<Bytes>(&params[i])) {
      types[i] = kByteaOid;
      values[i] = b->empty() ? "" : reinterpret_cast<const char*>(b->data());
      lengths[i] = static_cast<int>(b->size());
    }
  }
  const std::string text(sql);
  PgResultPtr res(PQexecParams(conn_, text.c_str(), static_cast<int>(n),
                               types.data(), values.data(), lengths.data(),
                               formats.data(), /*resultFormat=*/1));
  const ExecStatusType status = PQresultStatus(res.get());
  if (res == nullptr ||
      (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)) {
    const char* state =
        res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
    const char* primary =
        res ? PQresultErrorField(res.get(), PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    if (state == nullptr) {  // no server answer: the connection failed
      return db_->Error(absl::StatusCode::kUnavailable, step_,
                        PQerrorMessage(conn_));
    }
    const absl::StatusCode code = CodeForSqlState(state);
    retryable_ = code == absl::StatusCode::kAborted;
    return db_->Error(
        code, step_,
        absl::StrCat(primary ? primary : "error", " (SQLSTATE ", state, ")"));
  }
  SqlRows out;
  int64_t affected = 0;
  if (absl::SimpleAtoi(PQcmdTuples(res.get()), &affected)) {
    out.affected = affected;
  }
  const int rows = PQntuples(res.get());
  const int cols = PQnfields(res.get());
  out.rows.reserve(rows);
  for (int r = 0; r < rows; ++r) {
    std::vector<SqlValue>& row = out.rows.emplace_back();
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(res.get(), r, c)) {
        row.emplace_back();
        continue;
      }
      const char* p = PQgetvalue(res.get(), r, c);
      const int len = PQgetlength(res.get(), r, c);
      switch (PQftype(res.get(), c)) {
        case kInt8Oid:
        case kInt4Oid:
        case kInt2Oid:
        case kBoolOid:
          row.emplace_back(ReadBigEndian(p, len));
          break;
        case kTextOid:
        case kVarcharOid:
        case kNameOid:
        case kCharOid:
          row.emplace_back(std::string(p, len));
          break;
        case kByteaOid:
          row.emplace_back(Bytes(p, p + len));
          break;
        case kVoidOid:
          row.emplace_back();
          break;
        default:
          return db_->Error(absl::StatusCode::kInternal, step_,
                            absl::StrCat("result column ", c, " has type oid ",
                                         PQftype(res.get(), c),
                                         ", which the store does not read"));
      }
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(
    const PostgresStoreOptions& options) {
  if (options.pool_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("postgres: pool_size ", options.pool_size, " < 1"));
  }
  ASSIGN_OR_RETURN(Target target, ParseTarget(options.conninfo));
  const std::string where = absl::StrCat("postgres: ", target.name);
  auto db = std::make_unique<PgDatabase>(options, std::move(target));
  const Clock& clock =
      options.clock != nullptr ? *options.clock : SystemClock::Get();
  RETURN_IF_ERROR(db->Transact(
      internal::TxMode::kWrite, "migrate schema", [&](internal::SqlSession& s) {
        return internal::ApplyMigrations(s, where, kMigrationLock,
                                         internal::PostgresMigrations(),
                                         clock.Now());
      }));
  return std::unique_ptr<PostgresStore>(
      new PostgresStore(std::move(db), options.poll_interval));
}

}  // namespace vigil::service::store
