// File: tests/swtpm/postgres_server.h
// -----------------------------------------------------------------------------
// Test support: a throwaway PostgreSQL server (Debian's postgresql package,
// /usr/lib/postgresql/<version>/bin), for the PostgresStore tests. initdb
// into a temporary directory, then `postgres` listening on a Unix socket in
// that directory only (no TCP port, so parallel test binaries cannot
// collide). Durability is off (fsync, synchronous_commit): the data is
// thrown away.
//
// PostgreSQL refuses to run as root. When the test runs as root (CI on a
// fresh Debian 12), initdb and postgres run as the `postgres` system user
// the package creates (setpriv), and the directory is handed to it.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<PostgresServer> pg,
//                    PostgresServer::Start({}));
//   PQconnectdb(pg->ConnInfo("postgres").c_str());

#ifndef VIGIL_TESTS_SWTPM_POSTGRES_SERVER_H_
#define VIGIL_TESTS_SWTPM_POSTGRES_SERVER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/swtpm/subprocess.h"

namespace vigil::testing {

struct PostgresServerOptions {
  // pg_hba.conf lines placed before the default `local all all trust`, e.g.
  // "local all vigil_pw scram-sha-256" to make one role use a password.
  std::vector<std::string> hba_lines;
  absl::Duration start_timeout = absl::Seconds(60);
};

class PostgresServer {
 public:
  // The superuser initdb creates (trusted on the socket).
  static constexpr const char* kSuperuser = "vigil_test";

  // Runs initdb and starts the server; returns once it accepts connections.
  // Fails with kNotFound when no PostgreSQL server binaries are installed
  // (scripts/install-deps installs them), kNotFound when running as root
  // without a `postgres` user, and kInternal (with initdb's output or the
  // server log) when either step fails.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start(
      const PostgresServerOptions& options);

  // Fast shutdown (SIGINT: disconnects clients), SIGKILL after 10 s; the
  // directory is removed.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // A libpq connection string for `dbname` as `user` (the superuser when
  // empty) over the Unix socket.
  std::string ConnInfo(const std::string& dbname,
                       const std::string& user = "") const;
  // The directory holding the socket (libpq's `host`).
  const std::string& socket_dir() const { return dir_.path(); }
  // The server's log so far.
  std::string Log() const { return process_->Log(); }

 private:
  PostgresServer(TempDir dir, std::unique_ptr<BackgroundProcess> process)
      : dir_(std::move(dir)), process_(std::move(process)) {}

  TempDir dir_;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SWTPM_POSTGRES_SERVER_H_
