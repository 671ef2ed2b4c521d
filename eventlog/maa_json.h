// File: eventlog/maa_json.h
// -----------------------------------------------------------------------------
// Azure Attestation's JSON views of boot evidence (maa-spec §3.2-§3.4), which
// v1.2 policies query with JmesPath:
//   `events`: {"Events":[{"EventSeq","PcrIndex","EventType","EventTypeString",
//              "Digests":{"SHA256":<base64url>},"RawData","ProcessedData"}]}
//   `pcrs`:   {"PCRs":[{"Index":0,"Digests":{"SHA1":<hex>,"SHA256":<hex>}}]}
// plus a full dump for people (`vigilctl eventlog show`).
//
// Vigil's choices where the spec is inferred (documented in docs/EVENTLOG.md):
//   - Only trusted events appear in `events` (ReplayedLog::EventTrusted: PCR
//     verified, registered type, data matching its digest). EV_NO_ACTION
//     records and records on PCR 0xFFFFFFFF are omitted, as Azure does.
//   - EventSeq is the record's position with the log header as 0; logs without
//     a header (SHA-1 format) number their first record 1.
//   - EventTypeString is given for every registered type (Azure omits it for
//     types it has no decoder for); ProcessedData is null when Vigil has no
//     decoder or the data is malformed.
//   - `pcrs` digests are lower-case hex.
// 64-bit integers are exact (nlohmann::ordered_json keeps uint64).

#ifndef VIGIL_EVENTLOG_MAA_JSON_H_
#define VIGIL_EVENTLOG_MAA_JSON_H_

#include "absl/types/span.h"
#include "eventlog/replayed_log.h"
#include "nlohmann/json.hpp"
#include "tpm/types/pcr_bank.h"

namespace vigil::eventlog {

// The `events` claim value. Never fails: malformed event data yields a null
// ProcessedData for that event.
nlohmann::ordered_json RenderEventsJson(const ReplayedLog& log);

// The MAA ProcessedData for one event (UEFI or SIPA decoder), or null.
nlohmann::ordered_json ProcessedData(const RawEvent& ev);

// The `pcrs` claim value from PCR banks the caller has verified (a quote).
// PCRs are listed in index order with one digest per bank that has them.
nlohmann::ordered_json RenderPcrsJson(absl::Span<const tpm::PcrBank> banks);

// Everything about every record, trusted or not, for people: format, banks,
// per-event digests (hex), data check, trust, decoded data. INSECURE to feed
// into decisions: untrusted events are included (marked "trusted": false).
nlohmann::ordered_json RenderLogDump(const ReplayedLog& log);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_MAA_JSON_H_
