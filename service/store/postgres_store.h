// File: service/store/postgres_store.h
// -----------------------------------------------------------------------------
// The shared store (issue #6 §3): one PostgreSQL database behind several
// verifier replicas. libpq only.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<PostgresStore> store,
//                    PostgresStore::Open({.conninfo = "host=db dbname=vigil "
//                                                     "user=vigil"}));
//
// Connections: a pool of up to `pool_size`, opened on demand; a call waits
// up to `acquire_timeout` for a free one. A connection found broken is
// replaced. Queries are parameterised (PQexecParams, binary values); no value
// is ever put into SQL text.
//
// Isolation: writes run at READ COMMITTED with explicit row locks. Every
// policy or certificate change first locks the one store_state row (SELECT
// ... FOR UPDATE), so those changes are serialised across all replicas and
// each later statement sees every change committed before it (version
// numbers, the last-certificate rule); RecordDeviceClock locks the device's
// row the same way. Reads of several rows run at REPEATABLE READ READ ONLY
// (one snapshot). A transaction that still fails with a serialisation
// failure or deadlock (SQLSTATE 40001/40P01) is retried, up to `max_retries`
// times; a failure at COMMIT is never retried (it may have committed).
//
// Change feed: every change runs pg_notify('vigil_store_changes', generation)
// in its transaction; WaitForGeneration LISTENs on a dedicated connection,
// so replicas wake within milliseconds of the commit. Polling is the
// contract: should the listening connection drop, it re-reads the generation
// every `poll_interval`, which bounds how long a change can go unseen.
//
// Schema migrations run at Open under pg_advisory_xact_lock, so replicas
// starting together migrate one after the other.
//
// Errors read "postgres: dbname=vigil host=db user=vigil: <step>: <message>"
// and never hold the password: the connection string is only shown as its
// dbname, host, hostaddr, port and user; libpq's messages are scrubbed of the
// password; and a malformed connection string is reported without libpq's
// message (which quotes the string).

#ifndef VIGIL_SERVICE_STORE_POSTGRES_STORE_H_
#define VIGIL_SERVICE_STORE_POSTGRES_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "service/store/internal/sql_store.h"

namespace vigil::service::store {

struct PostgresStoreOptions {
  // A libpq connection string ("host=... dbname=... user=...") or URI
  // ("postgresql://user@host/dbname"). Keep the password out of it where you
  // can (a ~/.pgpass file, or PGPASSFILE).
  std::string conninfo;
  int pool_size = 4;
  absl::Duration acquire_timeout = absl::Seconds(10);
  absl::Duration poll_interval = absl::Seconds(1);
  int max_retries = 5;
  // Stamps the schema_version rows; nullptr for the system clock.
  const Clock* clock = nullptr;
};

class PostgresStore final : public internal::SqlStore {
 public:
  // Connects once (to check the server and migrate the schema) and returns
  // the store. Fails with kInvalidArgument for a malformed connection string
  // or pool_size < 1, kUnavailable when the server cannot be reached or
  // refuses the login ("postgres: dbname=vigil host=db user=vigil: connect:
  // ... password authentication failed for user "vigil""),
  // kFailedPrecondition when the schema is newer than this binary knows.
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(
      const PostgresStoreOptions& options);

 private:
  using internal::SqlStore::SqlStore;
};

}  // namespace vigil::service::store

#endif  // VIGIL_SERVICE_STORE_POSTGRES_STORE_H_
