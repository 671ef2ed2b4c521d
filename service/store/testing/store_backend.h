// File: service/store/testing/store_backend.h
// -----------------------------------------------------------------------------
// The parameter of the store conformance suite (conformance_test.cc): how to
// make an empty database of one backend and open stores on it. A backend's
// test binary compiles conformance_test.cc with its own file, which defines
// TestedBackend(); the suite is instantiated with it.

#ifndef VIGIL_SERVICE_STORE_TESTING_STORE_BACKEND_H_
#define VIGIL_SERVICE_STORE_TESTING_STORE_BACKEND_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "service/store/store.h"

namespace vigil::service::store::testing {

// One empty database, for one test; dropped when destroyed.
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  // A new, independent Store on this database (two calls: two replicas).
  virtual absl::StatusOr<std::unique_ptr<Store>> Open() = 0;
  // Runs one SQL statement directly, bypassing the store (to simulate a
  // newer binary's schema or a damaged database).
  virtual absl::Status Exec(const std::string& sql) = 0;
};

struct StoreBackend {
  std::string name;          // "Sqlite", "Postgres"
  std::string error_prefix;  // how the store's errors begin ("sqlite: ")
  // How soon WaitForGeneration must see another instance's change.
  absl::Duration change_bound;
  std::function<absl::StatusOr<std::unique_ptr<TestDatabase>>()> create;
};

// Defined by each backend's test file.
StoreBackend TestedBackend();

inline void PrintTo(const StoreBackend& b, std::ostream* os) { *os << b.name; }

inline std::string StoreBackendName(
    const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

class StoreConformanceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;
  // A further store instance on the same database (a replica).
  std::unique_ptr<Store> OpenAnother();

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Store> store_;
};

}  // namespace vigil::service::store::testing

#endif  // VIGIL_SERVICE_STORE_TESTING_STORE_BACKEND_H_
