// Attestation records on SQLite (WAL, synchronous=FULL), as the verifier's
// recorder writes them (service/grpc/control_plane.cc): one record per
// attestation — the device's latest attestation replaced plus one audit
// event — written one at a time (two commits each: what the recorder did
// before batching) or in batches (one commit per batch).
//
//   ninja -C build vigil_service_store_record_benchmark
//   build/service/store/vigil_service_store_record_benchmark
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "service/store/sqlite_store.h"
#include "tests/swtpm/subprocess.h"
#include "tpm/verify/testing/software_ak.h"

namespace vigil::service::store {
namespace {

constexpr int kDevices = 1000;

std::unique_ptr<SqliteStore> FreshStore(const testing::TempDir& dir) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> s =
      SqliteStore::Open({.path = dir.Join("store.db")});
  if (!s.ok()) return nullptr;
  const tpm::PublicArea area = tpm::testing::SoftwareAk().public_area();
  for (int i = 0; i < kDevices; ++i) {
    EnrolledDevice d;
    d.device_id = absl::StrCat("device-", i);
    d.ek = area;
    d.ak = area;
    d.ak_name = {0x00, 0x0b, 0xaa};
    d.enrolled_at = absl::Now();
    if (!(*s)->EnrollDevice(d).ok()) return nullptr;
  }
  return *std::move(s);
}

// FreshStore in a new temporary directory; nullopt (and the benchmark
// skipped, saying why) when either cannot be made.
struct BenchStore {
  testing::TempDir dir;
  std::unique_ptr<SqliteStore> store;
};
std::optional<BenchStore> OpenBenchStore(benchmark::State& state) {
  absl::StatusOr<testing::TempDir> dir =
      testing::TempDir::Create("vigil-record-bench");
  if (!dir.ok()) {
    state.SkipWithError("no temporary directory");
    return std::nullopt;
  }
  std::unique_ptr<SqliteStore> store = FreshStore(*dir);
  if (store == nullptr) {
    state.SkipWithError("cannot open the store");
    return std::nullopt;
  }
  return BenchStore{*std::move(dir), std::move(store)};
}

Store::AttestationWrite Write(int n) {
  Store::AttestationWrite w;
  w.record.device_id = absl::StrCat("device-", n % kDevices);
  w.record.time = absl::Now();
  w.record.permitted = true;
  w.record.attestation_type = "Tpm";
  w.record.policy_hash = "n6vXbJcMBBm3ptp2sVwN8jqNz2C8nWSJuVl9c1WYdd0";
  w.record.token_id = absl::StrCat("jti-", n);
  w.record.reasons_json = "[]";
  w.audit.time = w.record.time;
  w.audit.actor = {absl::StrCat("device:", w.record.device_id), Role::kAgent};
  w.audit.action = AuditAction::kAttestation;
  w.audit.attestation_type = "Tpm";
  w.audit.policy_hash = w.record.policy_hash;
  w.audit.result = AuditResult::kSuccess;
  w.audit.detail_json = absl::StrCat(R"({"jti":"jti-)", n, R"("})");
  return w;
}

void BM_RecordOneAtATime(benchmark::State& state) {
  std::optional<BenchStore> bench = OpenBenchStore(state);
  if (!bench.has_value()) return;
  SqliteStore* store = bench->store.get();
  int n = 0;
  for (auto _ : state) {
    Store::AttestationWrite w = Write(n++);
    if (!store->PutLatestAttestation(w.record).ok() ||
        !store->AppendAudit(w.audit).ok()) {
      return state.SkipWithError("write failed");
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordOneAtATime)->Unit(benchmark::kMicrosecond)->UseRealTime();

// range(0): records per batch. range(1): 0 without claims; with each
// attestation's incoming claims (4 KB, about what a device's claims with
// `pcrs` take) 1 — the same claims every round (one boot: the store
// compares digests and does not rewrite them), 2 — different claims every
// round (the worst case: every device just rebooted).
void BM_RecordBatched(benchmark::State& state) {
  std::optional<BenchStore> bench = OpenBenchStore(state);
  if (!bench.has_value()) return;
  SqliteStore* store = bench->store.get();
  const int batch = static_cast<int>(state.range(0));
  const int64_t claims = state.range(1);
  const std::string pcrs(4000, 'a');
  int n = 0;
  for (auto _ : state) {
    std::vector<Store::AttestationWrite> writes;
    for (int i = 0; i < batch; ++i, ++n) {
      Store::AttestationWrite w = Write(n);
      if (claims > 0) {
        w.claims = DeviceClaims{
            absl::StrCat(R"([{"type":"pcrs","value":")", pcrs,
                         claims == 2 ? absl::StrCat(n) : "", R"("}])"),
            {"events"},
            "ab",
            "cd"};
      }
      writes.push_back(std::move(w));
    }
    if (!store->RecordAttestations(writes).ok()) {
      return state.SkipWithError("write failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_RecordBatched)
    ->Args({1, 0})
    ->Args({100, 0})
    ->Args({1000, 0})
    ->Args({1000, 1})
    ->Args({1000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// TPM clocks, as StoreDeviceRegistry's group commit writes them: range(0)
// clocks per RecordDeviceClocks transaction (1: a commit per attestation),
// each for another device, each advancing.
void BM_RecordClocks(benchmark::State& state) {
  std::optional<BenchStore> bench = OpenBenchStore(state);
  if (!bench.has_value()) return;
  SqliteStore* store = bench->store.get();
  const int batch = static_cast<int>(state.range(0));
  int n = 0;
  for (auto _ : state) {
    std::vector<ClockUpdate> updates;
    for (int i = 0; i < batch; ++i, ++n) {
      ClockUpdate u;
      u.device_id = absl::StrCat("device-", n % kDevices);
      u.clock.clock = 1000 + static_cast<uint64_t>(n);
      u.clock.reset_count = 1;
      u.clock.safe = true;
      updates.push_back(std::move(u));
    }
    absl::StatusOr<std::vector<absl::StatusOr<ClockTransition>>> r =
        store->RecordDeviceClocks(updates);
    if (!r.ok() || !(*r)[0].ok()) return state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_RecordClocks)
    ->Arg(1)
    ->Arg(4)
    ->Arg(16)
    ->Arg(64)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace vigil::service::store

BENCHMARK_MAIN();
