#include "eventlog/maa_json.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "eventlog/event_types.h"
#include "eventlog/extract/uefi/processed_data.h"
#include "eventlog/extract/windows/sipa.h"

namespace vigil::eventlog {
namespace {

using json = nlohmann::ordered_json;

bool HasHeaderRecord(const EventLog& log) {
  if (log.format == LogFormat::kCryptoAgile) return true;
  return !log.events.empty() && log.events[0].untrusted_type == EV_NO_ACTION;
}

absl::string_view DataCheckName(DataCheck c) {
  switch (c) {
    case DataCheck::kNotApplicable:
      return "not-covered";
    case DataCheck::kMatches:
      return "matches";
    case DataCheck::kMatchesVariableData:
      return "matches-variable-data";
    case DataCheck::kMatchesIgnoringTrailingBytes:
      return "matches-ignoring-trailing-bytes";
    case DataCheck::kMismatch:
      return "MISMATCH";
  }
  return "unknown";
}

}  // namespace

json ProcessedData(const RawEvent& ev) {
  if (ev.untrusted_type == EV_EVENT_TAG) {
    if (std::optional<json> j = SipaProcessedData(ev)) return *std::move(j);
    return nullptr;
  }
  if (std::optional<json> j = UefiProcessedData(ev)) return *std::move(j);
  return nullptr;
}

json RenderEventsJson(const ReplayedLog& replayed) {
  const EventLog& log = replayed.log();
  const size_t seq_base = HasHeaderRecord(log) ? 0 : 1;
  json events = json::array();
  for (const RawEvent& ev : log.events) {
    if (ev.untrusted_type == EV_NO_ACTION || ev.pcr_index == kNoPcr) continue;
    if (!replayed.EventTrusted(ev.index)) continue;
    json j;
    j["EventSeq"] = ev.index + seq_base;
    j["PcrIndex"] = ev.pcr_index;
    j["EventType"] = ev.untrusted_type;
    if (std::optional<absl::string_view> name = EventTypeName(ev.untrusted_type)) {
      j["EventTypeString"] = std::string(*name);
    }
    json digests = json::object();
    for (const EventDigest& d : ev.digests) {
      digests[std::string(tpm::HashAlgMaaName(d.alg))] = Base64UrlEncode(d.value);
    }
    j["Digests"] = std::move(digests);
    j["RawData"] = Base64UrlEncode(ev.data);
    j["ProcessedData"] = ProcessedData(ev);
    events.push_back(std::move(j));
  }
  json out;
  out["Events"] = std::move(events);
  return out;
}

json RenderPcrsJson(absl::Span<const tpm::PcrBank> banks) {
  std::map<uint32_t, json> by_index;
  for (const tpm::PcrBank& bank : banks) {
    for (const auto& [index, value] : bank.values) {
      json& entry = by_index[index];
      if (entry.is_null()) {
        entry["Index"] = index;
        entry["Digests"] = json::object();
      }
      entry["Digests"][std::string(tpm::HashAlgMaaName(bank.alg))] =
          HexEncode(value);
    }
  }
  json list = json::array();
  for (auto& [index, entry] : by_index) list.push_back(std::move(entry));
  json out;
  out["PCRs"] = std::move(list);
  return out;
}

json RenderLogDump(const ReplayedLog& replayed) {
  const EventLog& log = replayed.log();
  json out;
  out["format"] = log.format == LogFormat::kCryptoAgile ? "crypto-agile" : "sha1";
  json algs = json::array();
  for (tpm::HashAlg a : log.algorithms) algs.push_back(std::string(tpm::HashAlgName(a)));
  out["algorithms"] = std::move(algs);
  if (log.spec_id) {
    out["specId"] = {
        {"signature", log.spec_id->signature},
        {"platformClass", log.spec_id->platform_class},
        {"specVersion", absl::StrCat(log.spec_id->spec_version_major, ".",
                                     log.spec_id->spec_version_minor, " errata ",
                                     log.spec_id->spec_errata)},
        {"uintnSize", log.spec_id->uintn_size}};
  }
  if (log.startup_locality) out["startupLocality"] = *log.startup_locality;
  out["verifiedAgainstQuote"] = replayed.against_quote();
  json events = json::array();
  for (const RawEvent& ev : log.events) {
    json j;
    j["index"] = ev.index;
    j["offset"] = ev.offset;
    j["pcr"] = ev.pcr_index == kNoPcr ? json(-1) : json(ev.pcr_index);
    j["type"] = std::string(EventTypeName(ev.untrusted_type)
                                .value_or(absl::StrCat("unknown 0x",
                                                       absl::Hex(ev.untrusted_type))));
    json digests = json::object();
    for (const EventDigest& d : ev.digests) {
      digests[std::string(tpm::HashAlgName(d.alg))] = HexEncode(d.value);
    }
    j["digests"] = std::move(digests);
    j["dataSize"] = ev.data.size();
    j["dataCheck"] = std::string(DataCheckName(replayed.data_check(ev.index)));
    j["trusted"] = replayed.EventTrusted(ev.index);
    json decoded = ProcessedData(ev);
    if (decoded.is_null()) {
      j["data"] = HexEncode(ev.data);
    } else {
      j["decoded"] = std::move(decoded);
    }
    events.push_back(std::move(j));
  }
  out["events"] = std::move(events);
  json findings = json::array();
  for (const IntegrityFinding& f : replayed.findings()) {
    findings.push_back({{"event", f.event_index}, {"pcr", f.pcr}, {"detail", f.detail}});
  }
  out["findings"] = std::move(findings);
  return out;
}

}  // namespace vigil::eventlog
