// File: service/store/internal/migrations.h
// -----------------------------------------------------------------------------
// Versioned schema migrations, applied when a store opens. Each migration is
// a list of statements with a version number; `schema_version` records the
// ones applied (version, description, time). A database is migrated in one
// transaction, so it is at one version or the next, never between; on
// PostgreSQL the transaction first takes an advisory lock, so replicas that
// start together migrate one after the other (the second finds nothing to
// do). Migrations are append-only: never edit one that has shipped.

#ifndef VIGIL_SERVICE_STORE_INTERNAL_MIGRATIONS_H_
#define VIGIL_SERVICE_STORE_INTERNAL_MIGRATIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/store/internal/sql.h"

namespace vigil::service::store::internal {

struct Migration {
  int64_t version;
  absl::string_view description;
  std::vector<std::string> statements;
};

// The two schemas, version 1..N in order. The tables and columns are the same
// in both; only the type names differ.
const std::vector<Migration>& SqliteMigrations();
const std::vector<Migration>& PostgresMigrations();

// Inside `session` (a kWrite transaction), runs `lock_sql` when not empty,
// creates schema_version when missing, and applies every migration newer
// than the recorded version. Fails with kFailedPrecondition when the database
// records a version newer than the last of `migrations` ("<where>: store
// schema version 7 is newer than this vigil-verifier knows (2): upgrade it");
// `where` names the database ("sqlite: /var/lib/vigil/store.db").
absl::Status ApplyMigrations(SqlSession& session, absl::string_view where,
                             absl::string_view lock_sql,
                             const std::vector<Migration>& migrations,
                             absl::Time now);

}  // namespace vigil::service::store::internal

#endif  // VIGIL_SERVICE_STORE_INTERNAL_MIGRATIONS_H_
