#include "tests/swtpm/postgres_server.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace vigil::testing {
namespace {

// The newest /usr/lib/postgresql/<major>/bin holding `postgres`, or
// $VIGIL_PG_BINDIR when set.
absl::StatusOr<std::string> FindBinDir() {
  if (const char* env = std::getenv("VIGIL_PG_BINDIR"); env && *env) {
    return std::string(env);
  }
  std::error_code ec;
  int best = -1;
  std::string found;
  for (const auto& entry :
       std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    int major = 0;
    const std::string bin = (entry.path() / "bin").string();
    if (absl::SimpleAtoi(entry.path().filename().string(), &major) &&
        major > best && std::filesystem::exists(bin + "/postgres") &&
        std::filesystem::exists(bin + "/initdb")) {
      best = major;
      found = bin;
    }
  }
  if (found.empty()) {
    return absl::NotFoundError(
        "no PostgreSQL server in /usr/lib/postgresql/*/bin (install the "
        "postgresql package: scripts/install-deps)");
  }
  return found;
}

// The argv prefix that runs a command as the `postgres` user when we are
// root (PostgreSQL refuses root), after handing `dir` to that user; empty
// otherwise.
absl::StatusOr<std::vector<std::string>> DropRoot(const std::string& dir) {
  if (geteuid() != 0) return std::vector<std::string>{};
  const struct passwd* pw = getpwnam("postgres");
  if (pw == nullptr) {
    return absl::NotFoundError(
        "running as root and there is no `postgres` user to run the server "
        "as (the postgresql package creates it)");
  }
  if (chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    return absl::InternalError(absl::StrCat("chown ", dir, " to postgres"));
  }
  return std::vector<std::string>{"setpriv", "--reuid=postgres",
                                  "--regid=postgres", "--init-groups", "--"};
}

std::vector<std::string> Concat(std::vector<std::string> a,
                                const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start(
    const PostgresServerOptions& options) {
  ASSIGN_OR_RETURN(std::string bin, FindBinDir());
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create("vigil-pg"));
  ASSIGN_OR_RETURN(std::vector<std::string> as_postgres, DropRoot(dir.path()));
  const std::string data = dir.Join("data");

  ASSIGN_OR_RETURN(
      CommandResult initdb,
      RunCommand(Concat(as_postgres, {bin + "/initdb", "-D", data, "-U",
                                      kSuperuser, "--auth=trust", "--no-sync",
                                      "--no-locale", "--encoding=UTF8"}),
                 options.start_timeout));
  if (initdb.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("initdb exited ", initdb.exit_code, ": ", initdb.output));
  }
  // Rewritten in place: the file keeps initdb's owner and mode.
  RETURN_IF_ERROR(WriteFile(data + "/pg_hba.conf",
                            absl::StrCat(absl::StrJoin(options.hba_lines, "\n"),
                                         options.hba_lines.empty() ? "" : "\n",
                                         "local all all trust\n")));

  ASSIGN_OR_RETURN(
      BackgroundProcess process,
      BackgroundProcess::Start(
          Concat(as_postgres,
                 {bin + "/postgres", "-D", data, "-k", dir.path(), "-c",
                  "listen_addresses=", "-c", "fsync=off", "-c",
                  "synchronous_commit=off", "-c", "full_page_writes=off", "-c",
                  "max_connections=200"}),
          dir.Join("postgres.log")));
  auto owned = std::make_unique<BackgroundProcess>(std::move(process));
  absl::StatusOr<std::string> ready = owned->WaitForLine(
      "database system is ready to accept connections", options.start_timeout);
  if (!ready.ok()) {
    return absl::InternalError(
        absl::StrCat("postgres did not start: ", ready.status().message()));
  }
  return std::unique_ptr<PostgresServer>(
      new PostgresServer(std::move(dir), std::move(owned)));
}

PostgresServer::~PostgresServer() {
  if (process_ == nullptr || !process_->running()) return;
  process_->Signal(SIGINT);
  // On timeout the BackgroundProcess destructor SIGKILLs it.
  (void)process_->Wait(absl::Seconds(10));
}

std::string PostgresServer::ConnInfo(const std::string& dbname,
                                     const std::string& user) const {
  return absl::StrCat("host=", dir_.path(), " dbname=", dbname,
                      " user=", user.empty() ? kSuperuser : user);
}

}  // namespace vigil::testing
