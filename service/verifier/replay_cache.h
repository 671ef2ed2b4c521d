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
// Two things are kept per log, each within its own share of the budget:
//   - the verdict (CachedReplay, ~5 KB): the ReplayKey of the PCR values the
//     log replayed against, what the replay found (mismatches, quirks,
//     integrity findings, as reasons with event index and offset) and the
//     claims the log yields. A round whose quoted PCR values have that key
//     replays the same, and is decided from the verdict alone.
//   - the replayed log itself (HeldLog, ~80 KB parsed): needed only to
//     replay against other PCR values, to render the `events` claim for a
//     policy evaluation (the decision memo usually spares it), and for dry
//     runs.
// A fleet's logs all differ (one per machine), so holding each log was
// ~80 KiB per device; a verdict per device and the logs as room allows keep
// the steady rounds of devices whose PCR values hold still log-free in the
// default budget (10,000 devices: docs/PERFORMANCE.md, 2026-11-24 04:00).
// A round that needs a log the verifier no longer holds is refused with
// eventlog/log_unknown, or the stream asks the agent again without naming
// the log (AttestOptions::may_ask_for_log, attestation_service_impl.cc).
//
// Soundness: an entry is only ever used as "the log with these bytes" — the
// replay against the quoted PCRs still decides whether it describes the
// device; a verdict serves only quotes with its ReplayKey: the exact values
// of the PCRs the replay depends on (eventlog::ValueKeyedPcrs: those the log
// extends, PCR 0, quirk PCRs) and, for the others, whether each holds its
// initial value (the PCR values, not the device, are what a replay depends
// on). A PCR extended after boot without log events, such as IMA's PCR 10,
// so does not make each round a new replay. Devices with identical logs
// share entries.
//
//   ReplayCache cache(64 << 20);
//   if (auto v = cache.FindVerdict(digest); v && v->pcrs_key == key) {...}
//   cache.Put(verdict, held_log);
#ifndef VIGIL_SERVICE_VERIFIER_REPLAY_CACHE_H_
#define VIGIL_SERVICE_VERIFIER_REPLAY_CACHE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "eventlog/event_log.h"
#include "eventlog/replayed_log.h"
#include "service/verifier/budgeted_cache.h"
#include "service/verifier/reason.h"
#include "tpm/types/pcr_bank.h"

namespace vigil::service {

// SHA-256 of an event log's bytes, as raw bytes (32).
using LogDigest = std::string;

// What a held log is charged per byte of the log it was parsed from: the
// raw events plus their parsed fields and the replay's per-event records
// (replay_cache_test.cc checks that it covers the heap a real 45 KB log
// takes once parsed and replayed).
inline constexpr size_t kChargePerLogByte = 3;

// What a verdict is charged besides its reasons: the entry, its key, the
// cache's bookkeeping and the log's claims once made (3.2-3.5 KB measured
// with them for a Linux and a Windows log, whose 17 claims are the most in
// the corpus; replay_cache_test.cc checks it against the heap).
inline constexpr size_t kVerdictCharge = 5120;

// The share of the budget the verdicts may take; the held logs get the
// rest. A verdict is what keeps a device's rounds log-free, so the verdicts
// of a large fleet must fit: half of the default 128 MiB holds ~13,000.
inline constexpr size_t kVerdictShareDivisor = 2;

// What BuildClaims derives from one replay (claims_builder.h). Declared
// here so an entry can keep it; defined by the claims stage above.
struct LogClaims;

// Per bank the log carries, the PCRs whose exact values its replay depends
// on (eventlog::ValueKeyedPcrs); none of a bank it does not carry (Replay
// lists such a bank as unreplayable and reads none of its values). Default
// constructed (no log): every PCR of every bank.
class ValueKeyedBanks {
 public:
  ValueKeyedBanks() = default;
  explicit ValueKeyedBanks(const eventlog::EventLog& log);
  // Bit i: PCR i of bank `alg`.
  uint32_t For(tpm::HashAlg alg) const {
    for (const auto& [a, mask] : masks_) {
      if (a == alg) return mask;
    }
    return from_log_ ? 0u : ~0u;
  }
  size_t HeapBytes() const { return masks_.capacity() * sizeof(masks_[0]); }

 private:
  std::vector<std::pair<tpm::HashAlg, uint32_t>> masks_;
  bool from_log_ = false;
};

// One log's replay against one set of PCR values, without the log: what a
// round with those values needs. Immutable once made, except for the memo,
// which is filled once.
struct CachedReplay {
  LogDigest log_digest;
  // ReplayKey() of the banks the log was replayed against, by `keyed`.
  std::string pcrs_key;
  ValueKeyedBanks keyed;
  // What the replay found, in the order eventlog::Replay reports it:
  // mismatches (code "pcr_mismatch" for a PCR the log describes,
  // "pcr_not_in_log" for one it is silent about), quirks ("quirk") and
  // integrity findings ("event_data_mismatch", "unknown_event_type"). Whether
  // a pcr_mismatch refuses depends on the round's required PCR mask
  // (EvidenceVerifier::Verify).
  std::vector<Reason> findings;
  size_t log_bytes = 0;  // the log's size
  size_t charge = 0;     // against the verdicts' share of the budget

  // The claims this replay yields, made by the first attestation that needs
  // them (with the log at hand) and shared by every later one the entry
  // serves: they depend only on the log and the PCR values it replayed
  // against.
  mutable absl::Mutex memo_mu;
  mutable std::shared_ptr<const LogClaims> memo ABSL_GUARDED_BY(memo_mu);
};

// A replayed log (its events, for another replay or for rendering) and the
// PcrValuesKey its per-event trust was decided against.
struct HeldLog {
  LogDigest log_digest;
  std::string pcrs_key;  // ReplayKey(), as CachedReplay's
  ValueKeyedBanks keyed;
  std::shared_ptr<const eventlog::ReplayedLog> replayed;  // never null
  size_t charge = 0;  // log_bytes * kChargePerLogByte
};

// What a verdict is charged: kVerdictCharge plus its findings' text.
size_t VerdictCharge(const CachedReplay& verdict);

// A compact key of PCR values: SHA-256 over each bank (in the given order,
// which the `pcrs` claim shows) and each PCR (by index) with its value.
// Equal keys mean equal banks in equal order.
std::string PcrValuesKey(const std::vector<tpm::PcrBank>& banks);

// The key a log's replay is kept under: PcrValuesKey's, except that a PCR
// outside `keyed` counts only by whether it holds its initial value
// (tpm::InitialPcrValue). Equal keys mean the log replays the same against
// both sets of values (eventlog::ValueKeyedPcrs), though a mismatch of such
// a PCR may quote another value (FindingsOf words it without the value).
std::string ReplayKey(const std::vector<tpm::PcrBank>& banks,
                      const ValueKeyedBanks& keyed);

// Thread-safe; once the charges exceed a share of the budget, entries
// unused for a while go first, else random ones (BudgetedCache says why not
// the least recently used). An entry bigger than its whole share is not
// kept.
class ReplayCache {
 public:
  // `budget_bytes` 0 disables the cache (Find never hits, Put keeps
  // nothing); 1/kVerdictShareDivisor of it is for verdicts.
  explicit ReplayCache(size_t budget_bytes)
      : verdicts_(budget_bytes / kVerdictShareDivisor),
        logs_(budget_bytes - budget_bytes / kVerdictShareDivisor) {}

  // The verdict for `log_digest`, or null. A hit counts as a use.
  std::shared_ptr<const CachedReplay> FindVerdict(
      const LogDigest& log_digest) const {
    return verdicts_.Find(log_digest);
  }
  // The replayed log for `log_digest`, or null. A hit counts as a use.
  std::shared_ptr<const HeldLog> FindHeldLog(
      const LogDigest& log_digest) const {
    return logs_.Find(log_digest);
  }

  // Keeps `verdict` and `log` (either may be null), replacing what was held
  // for the same log (the newest PCR values win: a device that extended a
  // PCR after boot replays against those).
  void Put(std::shared_ptr<const CachedReplay> verdict,
           std::shared_ptr<const HeldLog> log) {
    if (verdict != nullptr) {
      LogDigest key = verdict->log_digest;
      const size_t charge = verdict->charge;
      verdicts_.Put(std::move(key), std::move(verdict), charge);
    }
    if (log != nullptr) {
      LogDigest key = log->log_digest;
      const size_t charge = log->charge;
      logs_.Put(std::move(key), std::move(log), charge);
    }
  }

  // Verdicts held, and replayed logs held.
  size_t size() const { return verdicts_.size(); }
  size_t logs() const { return logs_.size(); }
  size_t charged_bytes() const {
    return verdicts_.charged_bytes() + logs_.charged_bytes();
  }
  size_t budget_bytes() const {
    return verdicts_.budget_bytes() + logs_.budget_bytes();
  }

 private:
  BudgetedCache<CachedReplay> verdicts_;
  BudgetedCache<HeldLog> logs_;
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_REPLAY_CACHE_H_
