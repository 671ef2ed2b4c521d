// PostgresStore against a real PostgreSQL server that this binary starts
// (tests/swtpm/postgres_server.h): one server for the whole binary (a gtest
// Environment), one fresh database per test. The conformance suite
// (conformance_test.cc) runs on it, plus what only PostgreSQL has: replicas
// migrating together, passwords kept out of errors, pooled connections that
// the server dropped.

#include "service/store/postgres_store.h"

#include <libpq-fe.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/testing/store_backend.h"
#include "tests/swtpm/postgres_server.h"

namespace vigil::service::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::vigil::testing::PostgresServer;
using ::vigil::testing::StatusIs;

constexpr char kPasswordRole[] = "vigil_pw";
constexpr char kPassword[] = "s3cr3t-Pa55w0rd";

// A plain libpq connection beside the store's, for setting up and looking
// underneath it.
class RawPg {
 public:
  explicit RawPg(const std::string& conninfo)
      : conn_(PQconnectdb(conninfo.c_str())) {}
  ~RawPg() { PQfinish(conn_); }
  RawPg(const RawPg&) = delete;
  RawPg& operator=(const RawPg&) = delete;

  absl::Status Exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const ExecStatusType s = PQresultStatus(r);
    absl::Status status = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK
                              ? absl::OkStatus()
                              : absl::InternalError(absl::StrCat(
                                    sql, ": ", PQerrorMessage(conn_)));
    PQclear(r);
    return status;
  }
  // Every row, columns as text joined by '|'.
  std::vector<std::string> Rows(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    std::vector<std::string> rows;
    for (int i = 0; i < PQntuples(r); ++i) {
      std::vector<std::string> cols;
      for (int c = 0; c < PQnfields(r); ++c)
        cols.push_back(PQgetvalue(r, i, c));
      rows.push_back(absl::StrJoin(cols, "|"));
    }
    PQclear(r);
    return rows;
  }

 private:
  PGconn* conn_;
};

// One server for the binary.
PostgresServer* server = nullptr;

class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const absl::Time start = absl::Now();
    absl::StatusOr<std::unique_ptr<PostgresServer>> started =
        PostgresServer::Start(
            {.hba_lines = {
                 absl::StrCat("local all ", kPasswordRole, " scram-sha-256")}});
    ASSERT_OK(started.status());
    server_ = std::move(*started);
    server = server_.get();
    RawPg admin(server->ConnInfo("postgres"));
    ASSERT_OK(admin.Exec(absl::StrCat("CREATE ROLE ", kPasswordRole,
                                      " LOGIN PASSWORD '", kPassword, "'")));
    ASSERT_OK(
        admin.Exec(absl::StrCat("CREATE DATABASE pwdb OWNER ", kPasswordRole)));
    ASSERT_OK(admin.Exec("CREATE DATABASE stores"));
    std::cerr << "postgres started in " << (absl::Now() - start) << "\n";
  }
  void TearDown() override {
    server = nullptr;
    server_.reset();
  }

 private:
  std::unique_ptr<PostgresServer> server_;
};

const ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

// A connection string for a new, empty schema in the database "stores":
// search_path puts the store's tables there. (A schema costs a millisecond;
// CREATE DATABASE a hundred.)
absl::StatusOr<std::string> NewStoreConnInfo() {
  static std::atomic<int> counter{0};
  if (server == nullptr) return absl::FailedPreconditionError("no server");
  const std::string schema = absl::StrCat("store_", ++counter);
  RawPg admin(server->ConnInfo("stores"));
  absl::Status s = admin.Exec(absl::StrCat("CREATE SCHEMA ", schema));
  if (!s.ok()) return s;
  return absl::StrCat(server->ConnInfo("stores"),
                      " options='-c search_path=", schema, "'");
}

class PgTestDatabase final : public TestDatabase {
 public:
  explicit PgTestDatabase(std::string conninfo)
      : conninfo_(std::move(conninfo)) {}
  absl::StatusOr<std::unique_ptr<Store>> Open() override {
    // Polling so slow that only LISTEN/NOTIFY can meet the change bound.
    absl::StatusOr<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(
        {.conninfo = conninfo_, .poll_interval = absl::Seconds(30)});
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  absl::Status Exec(const std::string& sql) override {
    return RawPg(conninfo_).Exec(sql);
  }

 private:
  std::string conninfo_;
};

}  // namespace

StoreBackend TestedBackend() {
  return StoreBackend{
      .name = "Postgres",
      .error_prefix = "postgres: ",
      .change_bound = absl::Seconds(2),
      .create = []() -> absl::StatusOr<std::unique_ptr<TestDatabase>> {
        absl::StatusOr<std::string> conninfo = NewStoreConnInfo();
        if (!conninfo.ok()) return conninfo.status();
        return std::make_unique<PgTestDatabase>(*conninfo);
      }};
}

namespace {

TEST(PostgresStore, ReplicasStartingTogetherMigrateOnce) {
  ASSERT_OK_AND_ASSIGN(std::string conninfo, NewStoreConnInfo());
  vigil::testing::FakeClock clock(absl::FromUnixSeconds(1700000000));
  constexpr int kReplicas = 4;
  std::vector<absl::Status> results(kReplicas);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      results[i] =
          PostgresStore::Open({.conninfo = conninfo, .clock = &clock}).status();
    });
  }
  for (auto& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_OK(s);
  RawPg raw(conninfo);
  EXPECT_THAT(raw.Rows("SELECT version, applied_us FROM schema_version "
                       "ORDER BY version"),
              ElementsAre("1|1700000000000000", "2|1700000000000000",
                          "3|1700000000000000", "4|1700000000000000"));
  EXPECT_THAT(raw.Rows("SELECT generation FROM store_state"), ElementsAre("0"));
}

TEST(PostgresStore, PasswordLoginWorks) {
  // The role really needs its password (so the tests below exercise the
  // password path, not a trusting server).
  EXPECT_THAT(PostgresStore::Open(
                  {.conninfo = server->ConnInfo("pwdb", kPasswordRole)}),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("no password supplied")));
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<PostgresStore> store,
      PostgresStore::Open(
          {.conninfo = absl::StrCat(server->ConnInfo("pwdb", kPasswordRole),
                                    " password=", kPassword)}));
  EXPECT_OK(store->AppendAudit({}).status());
}

TEST(PostgresStore, WrongPasswordIsUnavailableAndNotShown) {
  const std::string wrong = "Wr0ng-but-still-secret";
  absl::StatusOr<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(
      {.conninfo = absl::StrCat(server->ConnInfo("pwdb", kPasswordRole),
                                " password=", wrong)});
  EXPECT_THAT(store, StatusIs(absl::StatusCode::kUnavailable,
                              HasSubstr("password authentication failed")));
  const std::string message(store.status().message());
  EXPECT_THAT(message, Not(HasSubstr(wrong)));
  EXPECT_THAT(message, HasSubstr("postgres: dbname=pwdb host="));
  EXPECT_THAT(message, HasSubstr("user=vigil_pw: connect: "));
  EXPECT_THAT(message, Not(HasSubstr("\n")));
}

TEST(PostgresStore, MalformedConnectionStringDoesNotQuoteIt) {
  // libpq would answer 'missing "=" after "stuff" in connection info string'.
  for (const std::string& conninfo : std::vector<std::string>{
           absl::StrCat("host=/nonexistent password=", kPassword, " stuff"),
           absl::StrCat("postgresql://u:", kPassword, "%zz@/db"),
           absl::StrCat("password='", kPassword)}) {
    absl::StatusOr<std::unique_ptr<PostgresStore>> store =
        PostgresStore::Open({.conninfo = conninfo});
    EXPECT_THAT(store, StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("invalid connection string")));
    EXPECT_THAT(std::string(store.status().message()),
                Not(HasSubstr(kPassword)));
    EXPECT_THAT(std::string(store.status().message()), Not(HasSubstr("stuff")));
  }
}

TEST(PostgresStore, QueryErrorsNeverHoldThePassword) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<PostgresStore> store,
      PostgresStore::Open(
          {.conninfo = absl::StrCat(server->ConnInfo("pwdb", kPasswordRole),
                                    " password=", kPassword)}));
  // A statement error whose text would include the password if the store
  // echoed its connection string; here the audit table is gone.
  RawPg raw(absl::StrCat(server->ConnInfo("pwdb", kPasswordRole),
                         " password=", kPassword));
  ASSERT_OK(raw.Exec("ALTER TABLE audit_events RENAME TO audit_gone"));
  absl::StatusOr<int64_t> id = store->AppendAudit({});
  EXPECT_THAT(id, StatusIs(absl::StatusCode::kInternal,
                           HasSubstr("append audit event: relation "
                                     "\"audit_events\" does not exist")));
  EXPECT_THAT(std::string(id.status().message()), Not(HasSubstr(kPassword)));
  ASSERT_OK(raw.Exec("ALTER TABLE audit_gone RENAME TO audit_events"));
}

TEST(PostgresStore, ConnectionsTheServerDroppedAreReplaced) {
  ASSERT_OK_AND_ASSIGN(std::string conninfo, NewStoreConnInfo());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store,
                       PostgresStore::Open({.conninfo = conninfo}));
  ASSERT_OK(store->AppendAudit({}).status());  // one pooled connection
  RawPg admin(server->ConnInfo("postgres"));
  // The store's connections name themselves (fallback_application_name).
  EXPECT_THAT(admin.Rows("SELECT COUNT(*) FROM pg_stat_activity WHERE "
                         "application_name = 'vigil-verifier'"),
              ElementsAre("1"));
  ASSERT_OK(
      admin.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE application_name = 'vigil-verifier'"));
  EXPECT_OK(store->AppendAudit({}).status());
  ASSERT_OK_AND_ASSIGN(auto entries, store->QueryAudit({}));
  EXPECT_EQ(entries.size(), 2u);
}

TEST(PostgresStore, PoolSizeMustBePositive) {
  EXPECT_THAT(
      PostgresStore::Open(
          {.conninfo = server->ConnInfo("postgres"), .pool_size = 0}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pool_size")));
}

}  // namespace
}  // namespace vigil::service::store::testing
