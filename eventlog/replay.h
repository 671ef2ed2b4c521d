// File: eventlog/replay.h
// -----------------------------------------------------------------------------
// Replay: the second of the three stages (parse -> replay -> extract,
// style.md rule 7). Pure: no I/O.
//
//   ReplayDigests(log)        recomputes every bank's PCRs from the digests;
//                             it trusts nothing and decides nothing.
//   Replay(log, trusted)      compares that with PCR values the caller has
//                             verified (from a quote) and yields a ReplayedLog,
//                             the only input extractors and claims accept.
//   InsecureReplayWithoutQuote(log)
//                             the same with the log's own replay standing in
//                             for verified values; for offline inspection.
//
// Replay conventions (PC Client PFP §3.3.2, PTP Table 4, corpus MANIFEST):
// PCRs 0-16 and 23 start at zero, 17-22 at all-0xFF; EV_NO_ACTION is never
// extended; a StartupLocality event sets PCR0's last initial byte to the
// locality; a log with an EV_EFI_HCRTM_EVENT starts PCR0 at 00..04; records on
// PCR 0xFFFFFFFF are skipped.

#ifndef VIGIL_EVENTLOG_REPLAY_H_
#define VIGIL_EVENTLOG_REPLAY_H_

#include <array>
#include <bitset>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "eventlog/event_log.h"
#include "eventlog/replayed_log.h"
#include "tpm/types/pcr_bank.h"

namespace vigil::eventlog {

// PCR values of one bank as the log's digests produce them.
struct BankReplay {
  tpm::HashAlg alg = tpm::HashAlg::kSha256;
  std::array<tpm::Digest, tpm::kNumPcrs> values;
  // Index (into EventLog::events) of the last event extended into each PCR.
  std::array<std::optional<size_t>, tpm::kNumPcrs> last_event;
  // Number of events extended into each PCR.
  std::array<size_t, tpm::kNumPcrs> event_count{};
};

// The initial value of `pcr` in bank `alg` for this log (locality / H-CRTM
// conventions above).
tpm::Digest InitialValueForLog(const EventLog& log, tpm::HashAlg alg,
                               uint32_t pcr);

// The PCRs of bank `alg` whose exact quoted values Replay()'s outcome
// depends on, as a mask (bit i: PCR i): those the log extends in that bank,
// PCR 0 (its initial value depends on the log: locality, H-CRTM) and the
// PCRs a known firmware quirk may explain (workarounds.h). For any other
// quoted PCR of that bank the outcome -- verified PCRs, mismatches but for
// their quoted value, quirks, integrity findings, and so every claim --
// depends only on whether the quoted value is the PCR's initial value
// (tpm::InitialPcrValue). So a PCR extended after boot without log events,
// such as IMA's PCR 10, need not make the same log a new replay each time it
// moves (service/verifier/replay_cache.h keys replays on this). A bank the
// log does not carry is not replayed at all (none of its values matter);
// the mask is then an upper bound. Never fails.
uint32_t ValueKeyedPcrs(const EventLog& log, tpm::HashAlg alg);

// Replays every bank the log carries. Fails with kUnimplemented only when
// OpenSSL lacks a bank's hash (SM3).
absl::StatusOr<std::vector<BankReplay>> ReplayDigests(const EventLog& log);

// Replay(log, trusted): compares the log's replay with `trusted` and returns
// the ReplayedLog. Mismatches are a domain outcome, not an error: they are
// listed in ReplayedLog::mismatches() and their PCRs are unverified.
// The caller MUST guarantee `trusted` came from a verified quote; this
// function cannot check that (go-eventlog's stated precondition).
// Banks in `trusted` that the log does not carry are ignored (listed in
// ReplayedLog::unreplayable_banks()).
// Fails with kInvalidArgument if a trusted bank is malformed
// (tpm::ValidatePcrBank) or the same bank is given twice, and as
// ReplayDigests otherwise.
// `log` is taken by value: move it in to avoid a copy.
absl::StatusOr<ReplayedLog> Replay(EventLog log,
                                   absl::Span<const tpm::PcrBank> trusted);

// InsecureReplayWithoutQuote(log): INSECURE: treats the log's own replay as
// the verified PCR values, so every PCR "verifies". Only for inspecting a log
// offline (vigilctl without --expect); an attacker who wrote the log controls
// every fact it yields. Fails as ReplayDigests.
absl::StatusOr<ReplayedLog> InsecureReplayWithoutQuote(EventLog log);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_REPLAY_H_
