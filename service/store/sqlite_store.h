// File: service/store/sqlite_store.h
// -----------------------------------------------------------------------------
// The embedded store (issue #6 §3): one SQLite file, for a verifier on one
// machine.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store,
//                    SqliteStore::Open({.path = "/var/lib/vigil/store.db"}));
//
// Durability: WAL journal with synchronous=FULL, so a committed change
// survives a crash or power loss and a killed process leaves either the old
// or the new state (every change is one transaction). The exception is what
// is written at attestation rate — TPM clocks and attestation records
// (TxMode::kWriteLazySync: synchronous=NORMAL for those commits): they
// survive the process but a power loss may take the last ones, whole.
// Foreign keys are on.
//
// Concurrency: one connection behind a mutex, so calls from this process run
// one at a time (a store call takes microseconds to a millisecond). Write
// transactions are BEGIN IMMEDIATE: they take the database's write lock
// before reading, so a read-check-write (RecordDeviceClock, the last-
// certificate rule, version numbers) cannot interleave with another process
// on the same file. A process that finds the file locked waits up to
// `busy_timeout`, then fails with kUnavailable ("database is locked").
//
// Change feed: WaitForGeneration re-reads the generation every
// `poll_interval` (SQLite has no notifications), so another process's change
// is seen within that interval.

#ifndef VIGIL_SERVICE_STORE_SQLITE_STORE_H_
#define VIGIL_SERVICE_STORE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "service/store/internal/sql_store.h"

namespace vigil::service::store {

struct SqliteStoreOptions {
  std::string path;  // created when missing; its directory must exist
  absl::Duration busy_timeout = absl::Seconds(5);
  absl::Duration poll_interval = absl::Milliseconds(200);
  // Stamps the schema_version rows; nullptr for the system clock.
  const Clock* clock = nullptr;
};

class SqliteStore final : public internal::SqlStore {
 public:
  // Opens (creating when missing) the database at options.path, switches it
  // to WAL and applies the schema migrations it lacks. Fails with
  // kFailedPrecondition when the file cannot be opened or written ("sqlite:
  // /x/store.db: open: unable to open database file") or its schema is newer
  // than this binary knows, kDataLoss when it is not a SQLite database or is
  // corrupt, kUnavailable when it stays locked past busy_timeout.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      const SqliteStoreOptions& options);

  // WAL pages after which a commit checkpoints (`PRAGMA
  // wal_autocheckpoint`; why 512: sqlite_store.cc).
  static constexpr int64_t kWalAutocheckpointPages = 512;

  // The connection's `PRAGMA <name>` (an integer one) between transactions,
  // read through the store's own connection. Tests use it to check the
  // connection's settings, and that lazily synced commits (clocks, records)
  // hand `synchronous` back at FULL (2). Fails only as a read transaction
  // does, or with kInternal when the pragma gives no single integer.
  absl::StatusOr<int64_t> IntPragmaForTesting(absl::string_view name);

 private:
  using internal::SqlStore::SqlStore;
};

}  // namespace vigil::service::store

#endif  // VIGIL_SERVICE_STORE_SQLITE_STORE_H_
