#include "eventlog/extract/windows/sipa.h"

#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/byte_reader.h"
#include "common/status_macros.h"
#include "eventlog/extract/windows/sipa_payload.h"

namespace vigil::eventlog {
namespace {

using json = nlohmann::ordered_json;

absl::Status Error(size_t offset, absl::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat("offset ", offset, ": ", reason));
}

// Parses the tagged events in `r` (all of it) into `out`. `level` is the
// nesting level of the events being read (the top level is 0).
absl::Status ParseLevel(ByteReader r, int level, size_t* count,
                        std::vector<SipaEvent>* out) {
  while (!r.empty()) {
    const size_t at = r.offset();
    uint32_t id, size;
    if (r.remaining() < 8 || !r.ReadU32Le(&id) || !r.ReadU32Le(&size)) {
      return Error(at, absl::StrCat("truncated SIPA event header: ",
                                    r.remaining(), " bytes left, need 8"));
    }
    ByteReader body;
    if (!r.ReadSub(size, &body)) {
      return Error(at, absl::StrFormat(
                           "SIPA event 0x%08X: EventDataSize %u runs past the "
                           "end (%u bytes left)",
                           id, size, r.remaining()));
    }
    if (++*count > kMaxSipaEvents) {
      return Error(at,
                   absl::StrCat("more than ", kMaxSipaEvents, " SIPA events"));
    }
    SipaEvent ev;
    ev.id = id;
    ev.offset = at;
    ev.data = body.Rest();
    if (ev.is_aggregation()) {
      if (level + 1 > kMaxSipaNesting) {
        return Error(
            at, absl::StrFormat(
                    "SIPA aggregation 0x%08X nested deeper than %d levels", id,
                    kMaxSipaNesting));
      }
      RETURN_IF_ERROR(ParseLevel(body, level + 1, count, &ev.children));
    }
    out->push_back(std::move(ev));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<SipaEvent>> ParseSipaEvents(
    absl::Span<const uint8_t> data, size_t base_offset) {
  if (data.empty()) return Error(base_offset, "no SIPA events (empty data)");
  std::vector<SipaEvent> events;
  size_t count = 0;
  RETURN_IF_ERROR(
      ParseLevel(ByteReader(data, base_offset), 0, &count, &events));
  return events;
}

json SipaEventsJson(absl::Span<const SipaEvent> events) {
  json obj = json::object();
  // Keys that already repeated and hold Vigil's array of values; tracked so a
  // third occurrence appends instead of wrapping again.
  std::set<std::string> repeated;
  for (const SipaEvent& ev : events) {
    std::string key = SipaJsonKey(ev.id);
    json value = ev.is_aggregation() ? SipaEventsJson(ev.children)
                                     : SipaPayloadJson(ev.id, ev.data);
    auto it = obj.find(key);
    if (SipaAlwaysArray(ev.id)) {
      if (it == obj.end()) it = obj.emplace(key, json::array()).first;
      it->push_back(std::move(value));
    } else if (it == obj.end()) {
      obj.emplace(std::move(key), std::move(value));
    } else if (repeated.count(key) != 0) {
      it->push_back(std::move(value));
    } else {
      json pair = json::array();
      pair.push_back(std::move(*it));
      pair.push_back(std::move(value));
      *it = std::move(pair);
      repeated.insert(std::move(key));
    }
  }
  return obj;
}

std::optional<json> SipaProcessedData(const RawEvent& ev) {
  absl::StatusOr<std::vector<SipaEvent>> events = ParseSipaEvents(ev.data);
  if (!events.ok()) return std::nullopt;
  return SipaEventsJson(*events);
}

}  // namespace vigil::eventlog
