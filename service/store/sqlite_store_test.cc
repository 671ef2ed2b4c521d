// SqliteStore: the conformance suite (conformance_test.cc) on a file in a
// temporary directory, plus what only SQLite has: its pragmas, file errors,
// lock timeouts and crash safety under SIGKILL.

#include "service/store/sqlite_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/testing/store_backend.h"
#include "tests/swtpm/subprocess.h"

namespace vigil::service::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;
using ::vigil::testing::TempDir;

// A plain connection beside the store's, for looking underneath it.
class RawSqlite {
 public:
  explicit RawSqlite(const std::string& path) {
    sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawSqlite() { sqlite3_close_v2(db_); }
  RawSqlite(const RawSqlite&) = delete;
  RawSqlite& operator=(const RawSqlite&) = delete;

  absl::Status Exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      absl::Status s = absl::InternalError(absl::StrCat(sql, ": ", error));
      sqlite3_free(error);
      return s;
    }
    return absl::OkStatus();
  }
  // Every row of `sql`, each column as text ("NULL" for NULL), joined by '|'.
  std::vector<std::string> Rows(const std::string& sql) {
    std::vector<std::string> rows;
    sqlite3_exec(
        db_, sql.c_str(),
        [](void* out, int n, char** values, char**) {
          std::string row;
          for (int i = 0; i < n; ++i) {
            absl::StrAppend(&row, i > 0 ? "|" : "",
                            values[i] ? values[i] : "NULL");
          }
          static_cast<std::vector<std::string>*>(out)->push_back(row);
          return 0;
        },
        &rows, nullptr);
    return rows;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteTestDatabase final : public TestDatabase {
 public:
  explicit SqliteTestDatabase(TempDir dir) : dir_(std::move(dir)) {}
  absl::StatusOr<std::unique_ptr<Store>> Open() override {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store =
        SqliteStore::Open({.path = path()});
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  absl::Status Exec(const std::string& sql) override {
    return RawSqlite(path()).Exec(sql);
  }
  std::string path() const { return dir_.Join("store.db"); }

 private:
  TempDir dir_;
};

}  // namespace

StoreBackend TestedBackend() {
  return StoreBackend{
      .name = "Sqlite",
      .error_prefix = "sqlite: ",
      // SqliteStoreOptions::poll_interval (200 ms) plus a loaded machine.
      .change_bound = absl::Seconds(2),
      .create = []() -> absl::StatusOr<std::unique_ptr<TestDatabase>> {
        absl::StatusOr<TempDir> dir = TempDir::Create("vigil-sqlite-store");
        if (!dir.ok()) return dir.status();
        return std::make_unique<SqliteTestDatabase>(std::move(*dir));
      }};
}

namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TempDir> dir = TempDir::Create("vigil-sqlite-store");
    ASSERT_OK(dir.status());
    dir_ = std::make_unique<TempDir>(std::move(*dir));
  }
  std::string path() const { return dir_->Join("store.db"); }

  std::unique_ptr<TempDir> dir_;
};

PolicyChange Change(int64_t version) {
  PolicyChange c;
  c.attestation_type = "Tpm";
  // Several pages, so a torn write would show as a wrong text.
  c.policy_text =
      absl::StrCat("policy ", version, " ",
                   std::string(20000, static_cast<char>('a' + version % 26)));
  c.jws = absl::StrCat("jws-", version);
  c.policy_hash = absl::StrCat("hash-", version);
  c.token_hash = absl::StrCat("token-", version);
  c.actor = {"cn=writer", Role::kContributor};
  c.time = absl::FromUnixSeconds(1700000000 + version);
  return c;
}

TEST_F(SqliteStoreTest, OpensInWalAndRecordsTheMigrations) {
  vigil::testing::FakeClock clock(absl::FromUnixSeconds(1700000000));
  ASSERT_OK(SqliteStore::Open({.path = path(), .clock = &clock}).status());
  RawSqlite raw(path());
  EXPECT_THAT(raw.Rows("PRAGMA journal_mode"), ElementsAre("wal"));
  EXPECT_THAT(raw.Rows("SELECT version, applied_us FROM schema_version "
                       "ORDER BY version"),
              ElementsAre("1|1700000000000000", "2|1700000000000000",
                          "3|1700000000000000", "4|1700000000000000"));
  // Opening again applies nothing more.
  clock.Advance(absl::Hours(1));
  ASSERT_OK(SqliteStore::Open({.path = path(), .clock = &clock}).status());
  EXPECT_THAT(raw.Rows("SELECT COUNT(*), MAX(applied_us) FROM schema_version"),
              ElementsAre("4|1700000000000000"));
}

// The recorder reads a batch's kept-claims digests (KeptClaimsDigests) from
// the covering index, never the ~5 KB claims rows (migration 4).
TEST_F(SqliteStoreTest, KeptClaimsDigestsAreReadFromTheCoveringIndex) {
  ASSERT_OK(SqliteStore::Open({.path = path()}).status());
  RawSqlite raw(path());
  EXPECT_THAT(raw.Rows("EXPLAIN QUERY PLAN SELECT device_id, claims_sha256 "
                       "FROM device_claims INDEXED BY device_claims_digest "
                       "WHERE device_id IN ($1, $2)"),
              ElementsAre(HasSubstr("USING COVERING INDEX "
                                    "device_claims_digest (device_id=?)")));
}

// Checkpoints run inside a commit, holding the connection the clock
// commits wait for: every 512 WAL pages rather than SQLite's 1,000, each
// copies half as much (sqlite_store.cc).
TEST_F(SqliteStoreTest, CheckpointsTheWalEvery512Pages) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store,
                       SqliteStore::Open({.path = path()}));
  ASSERT_OK_AND_ASSIGN(int64_t pages,
                       store->IntPragmaForTesting("wal_autocheckpoint"));
  EXPECT_EQ(pages, 512);
  EXPECT_EQ(pages, SqliteStore::kWalAutocheckpointPages);
  EXPECT_THAT(store->IntPragmaForTesting("no_such_pragma"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("not one row")));
}

// Clock and attestation-record commits run with synchronous=NORMAL
// (TxMode::kWriteLazySync); every other commit on the connection must stay
// FULL (fsynced), so each lazy transaction hands the connection back at
// FULL — also when nothing in it matched (unknown devices).
int64_t Level(SqliteStore& store) {
  absl::StatusOr<int64_t> level = store.IntPragmaForTesting("synchronous");
  EXPECT_TRUE(level.ok()) << level.status();
  return level.value_or(-1);
}

TEST_F(SqliteStoreTest, LazilySyncedCommitsLeaveTheConnectionAtFull) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<SqliteStore> store,
      SqliteStore::Open(
          {.path = path(), .busy_timeout = absl::Milliseconds(50)}));
  constexpr int64_t kFull = 2;
  EXPECT_EQ(Level(*store), kFull);

  ClockUpdate clock;
  clock.device_id = "ghost";
  clock.clock.clock = 1000;
  clock.clock.reset_count = 1;
  clock.clock.safe = true;
  ASSERT_OK_AND_ASSIGN(auto clocks, store->RecordDeviceClocks({clock}));
  ASSERT_EQ(clocks.size(), 1u);
  EXPECT_THAT(clocks[0],
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("ghost")));
  EXPECT_EQ(Level(*store), kFull);

  Store::AttestationWrite w;
  w.record.device_id = "ghost";
  w.record.time = absl::FromUnixSeconds(1700000000);
  w.record.permitted = true;
  w.record.attestation_type = "Tpm";
  w.record.policy_hash = "ph";
  w.record.token_id = "jti";
  w.record.reasons_json = "[]";
  w.audit.time = w.record.time;
  w.audit.actor = {"device:ghost", Role::kAgent};
  w.audit.action = AuditAction::kAttestation;
  w.audit.attestation_type = "Tpm";
  w.audit.result = AuditResult::kSuccess;
  w.audit.detail_json = "{}";
  ASSERT_OK_AND_ASSIGN(int64_t skipped, store->RecordAttestations({w}));
  EXPECT_EQ(skipped, 1);  // not enrolled; the transaction ran all the same
  EXPECT_EQ(Level(*store), kFull);

  // And when the lazy transaction fails: another connection holds the
  // write lock past busy_timeout, so BEGIN IMMEDIATE gives up.
  RawSqlite other(path());
  ASSERT_OK(other.Exec("BEGIN IMMEDIATE"));
  EXPECT_THAT(store->RecordDeviceClocks({clock}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("locked")));
  EXPECT_THAT(store->RecordAttestations({w}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("locked")));
  ASSERT_OK(other.Exec("ROLLBACK"));
  EXPECT_EQ(Level(*store), kFull);
}

TEST_F(SqliteStoreTest, ForeignKeysAreEnforced) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store,
                       SqliteStore::Open({.path = path()}));
  // PutLatestAttestation checks first; the schema refuses on its own too
  // (PRAGMA foreign_keys is per connection: the raw one turns it on).
  RawSqlite raw(path());
  ASSERT_OK(raw.Exec("PRAGMA foreign_keys = ON"));
  EXPECT_THAT(raw.Exec("INSERT INTO latest_attestations VALUES "
                       "('ghost', 0, 1, 'Tpm', '', '', '[]', '')"),
              StatusIs(absl::StatusCode::kInternal,
                       HasSubstr("FOREIGN KEY constraint failed")));
  EXPECT_THAT(raw.Exec("INSERT INTO device_claims VALUES "
                       "('ghost', '', '[]', '', '', '', 0, 1, '')"),
              StatusIs(absl::StatusCode::kInternal,
                       HasSubstr("FOREIGN KEY constraint failed")));
}

TEST_F(SqliteStoreTest, UnopenablePathIsAClearError) {
  const std::string bad = dir_->Join("missing-dir/store.db");
  EXPECT_THAT(SqliteStore::Open({.path = bad}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("sqlite: ", bad,
                                              ": open: unable to open"))));
}

TEST_F(SqliteStoreTest, NotADatabaseIsDataLoss) {
  ASSERT_OK(vigil::testing::WriteFile(path(), std::string(4096, 'x')));
  EXPECT_THAT(SqliteStore::Open({.path = path()}),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("file is not a database")));
}

TEST_F(SqliteStoreTest, LockedDatabaseIsUnavailableAfterTheBusyTimeout) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<SqliteStore> store,
      SqliteStore::Open(
          {.path = path(), .busy_timeout = absl::Milliseconds(100)}));
  RawSqlite other_process(path());
  ASSERT_OK(other_process.Exec("BEGIN IMMEDIATE"));
  const absl::Time start = absl::Now();
  EXPECT_THAT(store->AppendPolicy(Change(1), {}, {}),
              StatusIs(absl::StatusCode::kUnavailable,
                       absl::StrCat("sqlite: ", path(),
                                    ": append policy: database is locked")));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
  // Readers are not blocked by a writer (WAL).
  EXPECT_OK(store->Generation().status());
  ASSERT_OK(other_process.Exec("COMMIT"));
  EXPECT_OK(store->AppendPolicy(Change(1), {}, {}).status());
}

TEST_F(SqliteStoreTest, OneInstanceIsSafeToShareBetweenThreads) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store,
                       SqliteStore::Open({.path = path()}));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (!store->AppendPolicy(Change(1), {}, {}).ok()) ++failures;
        if (!store->PolicyHistory("Tpm", 5, {}).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_OK_AND_ASSIGN(PolicyVersion current, store->CurrentPolicy("Tpm"));
  EXPECT_EQ(current.version, 40);
}

// A child process appends policies in a loop and is SIGKILLed at a random
// moment; reopening must give an intact database whose history is exactly
// versions 1..n, each fully written, with every append the child saw commit.
TEST_F(SqliteStoreTest, SurvivesSigkillDuringAppends) {
  int64_t confirmed = 0;
  for (int round = 0; round < 3; ++round) {
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(pipe_fds[0]);
      absl::StatusOr<std::unique_ptr<SqliteStore>> store =
          SqliteStore::Open({.path = path()});
      if (!store.ok()) _exit(2);
      absl::StatusOr<std::vector<PolicyVersion>> last =
          (*store)->PolicyHistory("Tpm", 1, {});
      if (!last.ok()) _exit(3);
      for (int64_t v = last->empty() ? 1 : (*last)[0].version + 1;; ++v) {
        if (!(*store)->AppendPolicy(Change(v), v - 1, {}).ok()) _exit(4);
        if (write(pipe_fds[1], &v, sizeof(v)) != sizeof(v)) _exit(5);
      }
    }
    close(pipe_fds[1]);
    // Let it commit a few, then kill it somewhere inside the next ones.
    int64_t v = 0;
    for (int i = 0; i < 5; ++i) {
      ASSERT_EQ(read(pipe_fds[0], &v, sizeof(v)), ssize_t{sizeof(v)});
      confirmed = v;
    }
    usleep(static_cast<useconds_t>((round * 7919) % 3000));
    kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited " << WEXITSTATUS(status);
    while (read(pipe_fds[0], &v, sizeof(v)) == ssize_t{sizeof(v)}) {
      confirmed = v;
    }
    close(pipe_fds[0]);

    {
      RawSqlite raw(path());
      EXPECT_THAT(raw.Rows("PRAGMA integrity_check"), ElementsAre("ok"));
    }
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store,
                         SqliteStore::Open({.path = path()}));
    ASSERT_OK_AND_ASSIGN(auto history,
                         store->PolicyHistory("Tpm", kMaxAuditLimit, {}));
    ASSERT_FALSE(history.empty());
    const int64_t n = history[0].version;
    // Committed but killed before it could say so: at most one more.
    EXPECT_TRUE(n == confirmed || n == confirmed + 1)
        << "stored " << n << ", child confirmed " << confirmed;
    ASSERT_EQ(history.size(), static_cast<size_t>(n));
    for (const PolicyVersion& p : history) {
      const PolicyChange want = Change(p.version);
      ASSERT_EQ(p.change.policy_text, want.policy_text) << p.version;
      ASSERT_EQ(p.change.jws, want.jws);
      ASSERT_EQ(p.generation, p.version);
    }
    ASSERT_OK_AND_ASSIGN(PolicyVersion current, store->CurrentPolicy("Tpm"));
    EXPECT_EQ(current.version, n);
    ASSERT_OK_AND_ASSIGN(int64_t generation, store->Generation());
    EXPECT_EQ(generation, n);
    confirmed = n;
  }
}

}  // namespace
}  // namespace vigil::service::store::testing
