// File: eventlog/replayed_log.h
// -----------------------------------------------------------------------------
// ReplayedLog: an EventLog whose digests were replayed against trusted PCR
// values, with every event's integrity checked. Only Replay() and
// InsecureReplayWithoutQuote() (eventlog/replay.h) construct one, so holding a
// ReplayedLog proves the replay happened (style.md rule 5). Extractors and
// claims take a ReplayedLog and consult EventTrusted()/PcrsClean() before
// using an event.

#ifndef VIGIL_EVENTLOG_REPLAYED_LOG_H_
#define VIGIL_EVENTLOG_REPLAYED_LOG_H_

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "eventlog/event_log.h"
#include "tpm/types/pcr_bank.h"

namespace vigil::eventlog {

struct PcrMismatch {
  tpm::HashAlg alg;
  uint32_t pcr;
  tpm::Digest expected;  // the trusted value
  tpm::Digest replayed;  // what the log's digests produce
  // The last event extended into the PCR (index into EventLog::events), or
  // nullopt when the log has no event for it.
  std::optional<size_t> last_event;
};

struct AppliedQuirk {
  std::string id;
  tpm::HashAlg alg;
  uint32_t pcr;
};

// How an event's data relates to its digests (eventlog/event_types.h
// DigestRule).
enum class DataCheck {
  kNotApplicable,  // the digest does not cover the data (or EV_NO_ACTION)
  kMatches,        // every bank's digest equals H(data)
  // EV_EFI_VARIABLE_BOOT: every digest equals H(VariableData) (EDK2 style)
  kMatchesVariableData,
  // EV_EFI_VARIABLE_AUTHORITY: every digest equals H(a prefix of the data
  // that contains the whole UEFI_VARIABLE_DATA) (the shim bug)
  kMatchesIgnoringTrailingBytes,
  kMismatch,  // some bank's digest differs from H(data): data is forged
};

// A trust-rule violation found while checking the log (landscape.md §10).
struct IntegrityFinding {
  enum class Kind {
    kDataMismatch,  // data does not hash to the digest its type requires
    kUnknownType,   // event type not in the TCG registry
  };
  Kind kind;
  size_t event_index;
  uint32_t pcr;
  std::string detail;
};

class ReplayedLog {
 public:
  const EventLog& log() const { return log_; }

  // True when the PCR replayed (possibly with a reported quirk) to the
  // trusted value in every trusted bank the log carries that includes it,
  // and at least one such bank includes it.
  bool PcrVerified(uint32_t pcr) const {
    return pcr < tpm::kNumPcrs && verified_[pcr];
  }
  // True when every PCR in `pcrs` is verified and none of their events has an
  // integrity finding. Claims that depend on `pcrs` require this.
  bool PcrsClean(absl::Span<const uint32_t> pcrs) const;
  // The reason PcrsClean(pcrs) is false ("pcr 7: not verified", "pcr 12:
  // event 31: unknown event type 0x1234"), or "" when clean.
  std::string WhyNotClean(absl::Span<const uint32_t> pcrs) const;

  // True when facts may be taken from event `index`: its PCR is verified, its
  // type is registered, and its data is covered-and-matching or not covered.
  bool EventTrusted(size_t index) const;
  DataCheck data_check(size_t index) const { return data_checks_[index]; }

  const std::vector<PcrMismatch>& mismatches() const { return mismatches_; }
  const std::vector<AppliedQuirk>& quirks() const { return quirks_; }
  const std::vector<IntegrityFinding>& findings() const { return findings_; }
  const std::vector<tpm::HashAlg>& unreplayable_banks() const {
    return unreplayable_banks_;
  }
  // False for InsecureReplayWithoutQuote results.
  bool against_quote() const { return against_quote_; }

 private:
  friend class ReplayedLogBuilder;
  ReplayedLog() = default;

  EventLog log_;
  std::bitset<tpm::kNumPcrs> verified_;
  std::vector<DataCheck> data_checks_;
  std::vector<PcrMismatch> mismatches_;
  std::vector<AppliedQuirk> quirks_;
  std::vector<IntegrityFinding> findings_;
  std::vector<tpm::HashAlg> unreplayable_banks_;
  bool against_quote_ = true;
};

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_REPLAYED_LOG_H_
