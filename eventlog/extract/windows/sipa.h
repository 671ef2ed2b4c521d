// File: eventlog/extract/windows/sipa.h
// -----------------------------------------------------------------------------
// Windows Boot Configuration Log (WBCL) SIPA events: the data of an
// EV_EVENT_TAG record as a tree (ParseSipaEvents) and as the `ProcessedData`
// object Azure Attestation puts in its `events` JSON (SipaProcessedData;
// maa-spec.md §3.3, §3.4).
//
// Wire format (Windows SDK um/wbcl.h): a sequence of
//   TCG_PCClientTaggedEventStruct { UINT32 EventID; UINT32 EventDataSize;
//                                   BYTE EventData[EventDataSize]; }
// little-endian, filling the data exactly. When EventID has
// SIPAEVENTTYPE_AGGREGATION (0x40000000) set, EventData is itself such a
// sequence (recursively). IDs and payload layouts: sipa_ids.h, sipa_payload.h.
//
// JSON rendering (maa-spec.md §3.4):
//   - each level (the top level and every aggregation) is an object keyed by
//     SipaJsonKey(EventID) ("EVENT_TRUSTBOUNDARY", ...), in log order;
//   - aggregations are nested objects; other events use SipaPayloadJson;
//   - EVENT_LOADEDMODULE_AGGREGATION, EVENT_SI_POLICY, EVENT_SI_POLICY_SIGNER
//     and EVENT_AUTHORITYPUBKEY are ALWAYS arrays, even with one element, as
//     MAA renders them;
//   - any OTHER key that occurs more than once at the same level becomes an
//     array of its values, in log order. This is Vigil's choice (MAA's is
//     unpublished) and it is fail-closed for the Microsoft sample policies:
//     ContainsOnlyValue over a set holding such an array is false, and
//     `.Value` lookups through it yield nothing (see windows_claims.h).
//
// Trust: parsing proves only that the bytes are well formed. The result is as
// trusted as the event it came from: use it for decisions only for events
// ReplayedLog::EventTrusted() accepts (eventlog/replayed_log.h).

#ifndef VIGIL_EVENTLOG_EXTRACT_WINDOWS_SIPA_H_
#define VIGIL_EVENTLOG_EXTRACT_WINDOWS_SIPA_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "eventlog/event_log.h"
#include "eventlog/extract/windows/sipa_ids.h"
#include "nlohmann/json.hpp"

namespace vigil::eventlog {

// Deepest aggregation nesting accepted: a top-level aggregation is level 1.
// Windows nests two levels (TRUSTBOUNDARY > LOADEDMODULE_AGGREGATION).
inline constexpr int kMaxSipaNesting = 8;
// Most tagged events (at all levels together) accepted in one record's data;
// a 5.5 KiB Windows 10 trust boundary holds about 100.
inline constexpr size_t kMaxSipaEvents = 65536;

// One TCG_PCClientTaggedEventStruct. Spans point into the parsed buffer.
struct SipaEvent {
  uint32_t id = 0;
  // Absolute offset of the EventID field (base_offset + position in data).
  size_t offset = 0;
  // EventData (for an aggregation: the raw nested bytes).
  absl::Span<const uint8_t> data;
  // The nested events of an aggregation, in order; empty otherwise.
  std::vector<SipaEvent> children;

  bool is_aggregation() const { return (id & SIPAEVENTTYPE_AGGREGATION) != 0; }
};

// ParseSipaEvents(data, base_offset): the tagged events in `data` (an
// EV_EVENT_TAG record's data), aggregations expanded. `base_offset` is the
// absolute offset of data[0], used in error messages (pass the record data's
// offset in the log file, or 0).
// Fails with kInvalidArgument, message "offset N: <reason>" naming the
// absolute offset of the offending tagged event, when:
//   - `data` is empty (an EV_EVENT_TAG with no tagged event);
//   - fewer than 8 bytes remain for an EventID/EventDataSize header;
//   - EventDataSize runs past the end of the enclosing data or aggregation;
//   - aggregations nest deeper than kMaxSipaNesting;
//   - there are more than kMaxSipaEvents tagged events.
// Payloads are not validated here (see sipa_payload.h). The result is
// UNVERIFIED (see the file comment).
absl::StatusOr<std::vector<SipaEvent>> ParseSipaEvents(
    absl::Span<const uint8_t> data, size_t base_offset = 0);

// SipaEventsJson(events): the JSON object for one level of parsed events
// (rendering rules in the file comment). Never fails.
nlohmann::ordered_json SipaEventsJson(absl::Span<const SipaEvent> events);

// SipaProcessedData(ev): the MAA `ProcessedData` object for a Windows
// EV_EVENT_TAG record, keyed by its outer tag(s), e.g.
// {"EVENT_TRUSTBOUNDARY": {...}} or {"EVENT_AUTHORITYPUBKEY": ["..."]}.
// Returns nullopt when ev.data is not a well-formed SIPA sequence
// (ParseSipaEvents fails). Does not look at ev.untrusted_type, which is
// attacker-controlled: the caller decides which records to render. Trust as
// the event (file comment).
std::optional<nlohmann::ordered_json> SipaProcessedData(const RawEvent& ev);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_EXTRACT_WINDOWS_SIPA_H_
