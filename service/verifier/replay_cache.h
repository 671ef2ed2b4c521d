// File: service/verifier/replay_cache.h
// -----------------------------------------------------------------------------
// Replayed event logs kept between attestations, by the SHA-256 of the log's
// bytes. A continuously attesting device sends the same boot log every round
// until it reboots; receiving, parsing and replaying it again (45 KB for a
// typical UEFI boot) was most of the verifier's cost per attestation once the
// crypto was done. With the cache, the verifier names the log it holds in
// AttestationRequest.known_event_log_sha256 and an agent whose log is
// unchanged sends Evidence.event_log_sha256 instead of the log
// (attestation_service.proto).
//
// Soundness: an entry is only ever used as "the log with these bytes" — the
// replay against the quoted PCRs still decides whether it describes the
// device. An entry remembers the PCR values it was replayed against; for
// other values the log is replayed again (the PCR values, not the device,
// are what a replay depends on). Devices with identical logs share an entry.
//
//   ReplayCache cache(64 << 20);
//   if (auto hit = cache.Find(digest)) { ... hit->replayed ... }
//   cache.Put(std::make_shared<const CachedReplay>(...));
#ifndef VIGIL_SERVICE_VERIFIER_REPLAY_CACHE_H_
#define VIGIL_SERVICE_VERIFIER_REPLAY_CACHE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "eventlog/replayed_log.h"
#include "service/verifier/budgeted_cache.h"
#include "tpm/types/pcr_bank.h"

namespace vigil::service {

// SHA-256 of an event log's bytes, as raw bytes (32).
using LogDigest = std::string;

// What an entry is charged per byte of the log it was parsed from: the raw
// events plus their parsed fields and the replay's per-event records
// (replay_cache_test.cc checks that it covers the heap a real 45 KB log
// takes once parsed and replayed).
inline constexpr size_t kChargePerLogByte = 3;

// What BuildClaims derives from one replay (claims_builder.h). Declared
// here so an entry can keep it; defined by the claims stage above.
struct LogClaims;

// One log, replayed against one set of PCR values. Immutable once made,
// except for the memo, which is filled once.
struct CachedReplay {
  LogDigest log_digest;
  // The banks the log was replayed against, and their PcrValuesKey().
  std::vector<tpm::PcrBank> pcrs;
  std::string pcrs_key;
  std::shared_ptr<const eventlog::ReplayedLog> replayed;  // never null
  // What the entry is charged against the cache's budget: an estimate of
  // the parsed log's memory (a multiple of the log's size).
  size_t charge = 0;

  // The claims this replay yields, made by the first attestation that needs
  // them and shared by every later one the entry serves (the log's claims
  // depend only on the log and the PCR values it replayed against).
  mutable absl::Mutex memo_mu;
  mutable std::shared_ptr<const LogClaims> memo ABSL_GUARDED_BY(memo_mu);
};

// A compact key of PCR values: SHA-256 over each bank (in the given order,
// which the `pcrs` claim shows) and each PCR (by index) with its value.
// Equal keys mean equal banks in equal order.
std::string PcrValuesKey(const std::vector<tpm::PcrBank>& banks);

// Thread-safe; once the charges exceed the budget, entries unused for a
// while go first, else random ones (BudgetedCache says why not the least
// recently used). An entry bigger than the whole budget is not kept.
class ReplayCache {
 public:
  // `budget_bytes` 0 disables the cache (Find never hits, Put keeps nothing).
  explicit ReplayCache(size_t budget_bytes) : entries_(budget_bytes) {}

  // The entry for `log_digest`, or null. A hit counts as a use.
  std::shared_ptr<const CachedReplay> Find(const LogDigest& log_digest) const {
    return entries_.Find(log_digest);
  }

  // Keeps `entry`, replacing one for the same log (the newest PCR values
  // win: a device that extended a PCR after boot replays against those).
  void Put(std::shared_ptr<const CachedReplay> entry) {
    if (entry == nullptr) return;
    LogDigest key = entry->log_digest;
    const size_t charge = entry->charge;
    entries_.Put(std::move(key), std::move(entry), charge);
  }

  size_t size() const { return entries_.size(); }
  size_t charged_bytes() const { return entries_.charged_bytes(); }
  size_t budget_bytes() const { return entries_.budget_bytes(); }

 private:
  BudgetedCache<CachedReplay> entries_;
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_REPLAY_CACHE_H_
