// File: eventlog/workarounds.h
// -----------------------------------------------------------------------------
// Named firmware quirks (style.md rule 9, after go-attestation's
// attest/eventlog_workarounds.go). A quirk models a measurement the firmware
// extended into a PCR but did not log. It is tried only when the replay of its
// PCR mismatches the trusted value, and a quirk that makes the PCR match is
// reported (ReplayedLog::quirks()) so operators and policy can see it.
// Quirks never add events to the log: no fact is ever derived from one.

#ifndef VIGIL_EVENTLOG_WORKAROUNDS_H_
#define VIGIL_EVENTLOG_WORKAROUNDS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tpm/types/hash_alg.h"

namespace vigil::eventlog {

struct Quirk {
  absl::string_view id;  // stable identifier, reported verbatim
  uint32_t pcr;          // the only PCR it may change
  absl::string_view description;
  // Unlogged EV_EFI_ACTION strings the firmware measured, in order, after
  // the last logged event of `pcr` (digest = H(string), PFP §10.4.1).
  std::vector<absl::string_view> unlogged_actions;
};

// The table, in the order quirks are tried.
absl::Span<const Quirk> KnownQuirks();

// Extends `pcr` (a replayed value of bank `alg`) with the quirk's unlogged
// measurements. Failure modes as tpm::Extend.
absl::Status ApplyQuirk(const Quirk& quirk, tpm::HashAlg alg, tpm::Digest* pcr);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_WORKAROUNDS_H_
