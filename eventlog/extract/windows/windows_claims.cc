#include "eventlog/extract/windows/windows_claims.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "eventlog/event_types.h"
#include "eventlog/extract/windows/sipa.h"
#include "eventlog/extract/windows/sipa_ids.h"
#include "nlohmann/json.hpp"

namespace vigil::eventlog {
namespace {

using json = nlohmann::ordered_json;

// maa-spec.md §2.3: "boolProperties" and "srtmDrtmEventPcr"; §2.4: the
// separator search for the SVN rules.
constexpr uint32_t kBoolPcrs[] = {12, 13, 19, 20};
constexpr uint32_t kSrtmDrtmPcrs[] = {12, 19};
constexpr uint32_t kSvnPcrs[] = {12, 13, 14};
// PCRs whose EV_EVENT_TAG records any claim reads.
constexpr uint32_t kSipaPcrs[] = {12, 13, 14, 19, 20};

// Separator data Windows writes to its SIPA PCRs ("WBCL", the TCG normal and
// error separators; PC Client PFP §10.4.1 and the corpus logs).
constexpr uint8_t kWbclSeparator[] = {'W', 'B', 'C', 'L'};
constexpr uint8_t kZeroSeparator[] = {0, 0, 0, 0};
constexpr uint8_t kErrorSeparator[] = {0xFF, 0xFF, 0xFF, 0xFF};

const char* const kWdbootPaths[] = {
    "\\windows\\system32\\drivers\\wdboot.sys",
    "\\windows\\system32\\drivers\\wd\\wdboot.sys"};

bool Contains(absl::Span<const uint32_t> pcrs, uint32_t pcr) {
  return std::find(pcrs.begin(), pcrs.end(), pcr) != pcrs.end();
}

bool SameBytes(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// A trusted EV_EVENT_TAG record and its ProcessedData (null when malformed).
struct TagEvent {
  size_t index;
  uint32_t pcr;
  json data;
};

struct WindowsEvents {
  std::vector<TagEvent> tags;  // log order
  // The first trusted EV_SEPARATOR in PCR 12/13/14 (§2.4 evSeparatorSeq).
  std::optional<size_t> first_separator;
};

WindowsEvents CollectEvents(const ReplayedLog& log) {
  WindowsEvents w;
  for (const RawEvent& ev : log.log().events) {
    if (!log.EventTrusted(ev.index)) continue;
    if (ev.untrusted_type == EV_SEPARATOR && Contains(kSvnPcrs, ev.pcr_index) &&
        !w.first_separator.has_value()) {
      w.first_separator = ev.index;
    }
    if (ev.untrusted_type != EV_EVENT_TAG ||
        !Contains(kSipaPcrs, ev.pcr_index)) {
      continue;
    }
    std::optional<json> data = SipaProcessedData(ev);
    w.tags.push_back({ev.index, ev.pcr_index,
                      data.has_value() ? *std::move(data) : json(nullptr)});
  }
  return w;
}

// The absolute file offset of `ev`'s data, for error messages.
size_t DataOffset(const EventLog& log, const RawEvent& ev) {
  if (log.storage == nullptr || ev.data.empty()) return 0;
  const uint8_t* begin = log.storage->data();
  const uint8_t* p = ev.data.data();
  if (p < begin || p >= begin + log.storage->size()) return 0;
  return static_cast<size_t>(p - begin);
}

// The Windows PCR check (file comment of windows_claims.h): "" when every
// extended record in `pcrs` is a well-formed SIPA event or a WBCL separator.
std::string WindowsPcrProblem(const ReplayedLog& log,
                              absl::Span<const uint32_t> pcrs) {
  for (const RawEvent& ev : log.log().events) {
    if (!Contains(pcrs, ev.pcr_index) || ev.untrusted_type == EV_NO_ACTION) {
      continue;
    }
    const std::string where =
        absl::StrCat("pcr ", ev.pcr_index, ": event ", ev.index, ": ");
    if (ev.untrusted_type == EV_SEPARATOR) {
      if (!SameBytes(ev.data, kWbclSeparator) &&
          !SameBytes(ev.data, kZeroSeparator) &&
          !SameBytes(ev.data, kErrorSeparator)) {
        return where + "EV_SEPARATOR data is not a WBCL separator";
      }
      continue;
    }
    if (ev.untrusted_type != EV_EVENT_TAG) {
      std::optional<absl::string_view> name = EventTypeName(ev.untrusted_type);
      return absl::StrCat(
          where,
          name.has_value()
              ? std::string(*name)
              : absl::StrFormat("event type 0x%08X", ev.untrusted_type),
          " is not a SIPA event (EV_EVENT_TAG) or separator");
    }
    absl::StatusOr<std::vector<SipaEvent>> sipa =
        ParseSipaEvents(ev.data, DataOffset(log.log(), ev));
    if (!sipa.ok()) {
      return absl::StrCat(where,
                          "malformed SIPA data: ", sipa.status().message());
    }
    const size_t boundaries = std::count_if(
        sipa->begin(), sipa->end(),
        [](const SipaEvent& s) { return s.id == SIPAEVENT_TRUSTBOUNDARY; });
    if (boundaries > 1) {
      return where + "more than one top-level SIPA TRUSTBOUNDARY";
    }
  }
  return "";
}

// Why claims over `pcrs` cannot be derived, or "".
std::string WhyUnderivable(const ReplayedLog& log,
                           absl::Span<const uint32_t> pcrs) {
  std::string why = log.WhyNotClean(pcrs);
  if (why.empty()) why = WindowsPcrProblem(log, pcrs);
  return why;
}

// JMESPath field access: null for non-objects and missing (or null) keys.
const json* Field(const json* j, const std::string& key) {
  if (j == nullptr || !j->is_object()) return nullptr;
  auto it = j->find(key);
  if (it == j->end() || it->is_null()) return nullptr;
  return &*it;
}

// JMESPath truthiness: false, null, "", [] and {} are false.
bool Truthy(const json* j) {
  if (j == nullptr || j->is_null()) return false;
  if (j->is_boolean()) return j->get<bool>();
  if (j->is_string() || j->is_array() || j->is_object()) return !j->empty();
  return true;
}

// JsonToClaimValue for an integer claim; nullopt when `j` is not one integer
// that fits int64.
std::optional<int64_t> AsInt64(const json& j) {
  if (j.is_number_unsigned()) {
    const uint64_t v = j.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<int64_t>(v);
  }
  if (j.is_number_integer()) return j.get<int64_t>();
  return std::nullopt;
}

// TB(P): `Events[? EV_EVENT_TAG && PcrIndex in P].ProcessedData
// .EVENT_TRUSTBOUNDARY` (a projection: missing values are dropped).
std::vector<const json*> TrustBoundaries(const WindowsEvents& w,
                                         absl::Span<const uint32_t> pcrs) {
  static const std::string kKey = SipaJsonKey(SIPAEVENT_TRUSTBOUNDARY);
  std::vector<const json*> out;
  for (const TagEvent& t : w.tags) {
    if (!Contains(pcrs, t.pcr)) continue;
    if (const json* tb = Field(&t.data, kKey)) out.push_back(tb);
  }
  return out;
}

// `[*].<key>` over trust boundaries.
std::vector<const json*> Values(const std::vector<const json*>& tbs,
                                uint32_t sipa_id) {
  const std::string key = SipaJsonKey(sipa_id);
  std::vector<const json*> out;
  for (const json* tb : tbs) {
    if (const json* v = Field(tb, key)) out.push_back(v);
  }
  return out;
}

bool ContainsOnlyValue(const std::vector<const json*>& set, const json& want) {
  return !set.empty() && std::all_of(set.begin(), set.end(),
                                     [&](const json* v) { return *v == want; });
}

// The §2.3 pattern: ContainsOnlyValue over the set, `if_absent` when the set
// is empty.
bool SetClaim(const std::vector<const json*>& set, const json& want,
              bool if_absent) {
  if (set.empty()) return if_absent;
  return ContainsOnlyValue(set, want);
}

// `X[]` (one-level flatten) of a JSON value; empty for non-arrays, which
// JMESPath flattens to null.
std::vector<const json*> Flatten(const json* j) {
  std::vector<const json*> out;
  if (j == nullptr || !j->is_array()) return out;
  for (const json& e : *j) {
    if (e.is_array()) {
      for (const json& inner : e) out.push_back(&inner);
    } else {
      out.push_back(&e);
    }
  }
  return out;
}

bool ElamDriverLoaded(const std::vector<const json*>& tbs) {
  const std::string modules_key =
      SipaJsonKey(SIPAEVENT_LOADEDMODULE_AGGREGATION);
  const std::string validated_key = SipaJsonKey(SIPAEVENT_IMAGEVALIDATED);
  const std::string path_key = SipaJsonKey(SIPAEVENT_FILEPATH);
  for (const json* tb : tbs) {
    for (const json* module : Flatten(Field(tb, modules_key))) {
      const json* validated = Field(module, validated_key);
      const json* path = Field(module, path_key);
      if (validated == nullptr || *validated != json(true) || path == nullptr ||
          !path->is_string()) {
        continue;
      }
      const std::string& p = path->get_ref<const std::string&>();
      for (const char* want : kWdbootPaths) {
        if (absl::EqualsIgnoreCase(p, want)) return true;
      }
    }
  }
  return false;
}

// `<modules>[].EVENT_MODULE_SVN | @[0]` of `obj`.
const json* FirstModuleSvn(const json* obj) {
  static const std::string kModules =
      SipaJsonKey(SIPAEVENT_LOADEDMODULE_AGGREGATION);
  static const std::string kSvn = SipaJsonKey(SIPAEVENT_MODULE_SVN);
  for (const json* module : Flatten(Field(obj, kModules))) {
    if (const json* svn = Field(module, kSvn)) return svn;
  }
  return nullptr;
}

// Sets an integer claim from a JSON value, or marks it underivable.
void SetIntClaim(const char* name, const json& value, DerivedClaims* out) {
  if (std::optional<int64_t> v = AsInt64(value)) {
    out->Set(name, *v);
  } else {
    out->Underivable(
        name,
        absl::StrCat("value ",
                     value.dump(-1, ' ', true, json::error_handler_t::replace),
                     " is not a single integer"));
  }
}

// maa-spec.md §2.4 bootMgrSvn / bootAppSvn (file comment).
void DeriveSvnClaims(const WindowsEvents& w, DerivedClaims* out) {
  static const std::string kTb = SipaJsonKey(SIPAEVENT_TRUSTBOUNDARY);
  static const std::string kAppSvn = SipaJsonKey(SIPAEVENT_APPLICATION_SVN);
  static const std::string kTransfer = SipaJsonKey(SIPAEVENT_TRANSFER_CONTROL);
  const size_t sep =
      w.first_separator.value_or(std::numeric_limits<size_t>::max());

  const TagEvent* mgr = nullptr;
  for (const TagEvent& t : w.tags) {
    if (t.pcr == 12 && t.index < sep &&
        Truthy(Field(Field(&t.data, kTb), kAppSvn))) {
      mgr = &t;
      break;
    }
  }
  if (mgr == nullptr) return;
  SetIntClaim("bootMgrSvn", *Field(Field(&mgr->data, kTb), kAppSvn), out);

  const TagEvent* transfer = nullptr;
  for (const TagEvent& t : w.tags) {
    if (t.pcr != 12 || t.index < mgr->index || t.index >= sep) continue;
    const json* v = Field(Field(Field(&t.data, kTb), kTransfer), "Value");
    if (v != nullptr && (*v == json(1) || *v == json(2))) {
      transfer = &t;
      break;
    }
  }
  if (transfer == nullptr) return;

  const TagEvent* module = nullptr;
  for (const TagEvent& t : w.tags) {
    if (t.pcr != 13 || t.index <= transfer->index || t.index >= sep) continue;
    if (Truthy(FirstModuleSvn(Field(&t.data, kTb))) ||
        Truthy(FirstModuleSvn(&t.data))) {
      module = &t;
      break;
    }
  }
  if (module == nullptr) return;

  for (const TagEvent& t : w.tags) {
    if (t.pcr != 12 || t.index <= module->index || t.index >= sep) continue;
    if (const json* svn = Field(Field(&t.data, kTb), kAppSvn)) {
      SetIntClaim("bootAppSvn", *svn, out);
      return;
    }
  }
}

void DeriveBoolPcrClaims(const WindowsEvents& w, DerivedClaims* out) {
  const std::vector<const json*> tbs = TrustBoundaries(w, kBoolPcrs);
  const json kTrue = true, kFalse = false;
  out->Set("codeIntegrityEnabled",
           SetClaim(Values(tbs, SIPAEVENT_CODEINTEGRITY), kTrue, false));
  out->Set("bootDebuggingDisabled",
           SetClaim(Values(tbs, SIPAEVENT_BOOTDEBUGGING), kFalse, false));
  out->Set("osKernelDebuggingDisabled",
           SetClaim(Values(tbs, SIPAEVENT_OSKERNELDEBUG), kFalse, false));
  out->Set("testSigningDisabled",
           SetClaim(Values(tbs, SIPAEVENT_TESTSIGNING), kFalse, false));
  out->Set("flightSigningNotEnabled",
           SetClaim(Values(tbs, SIPAEVENT_FLIGHTSIGNING), kFalse, false));
  out->Set("iommuEnabled",
           SetClaim(Values(tbs, SIPAEVENT_VBS_IOMMU_REQUIRED), kTrue, false));
  out->Set("notSafeMode",
           SetClaim(Values(tbs, SIPAEVENT_SAFEMODE), kFalse, true));
  out->Set("notWinPE", SetClaim(Values(tbs, SIPAEVENT_WINPE), kFalse, true));

  // `[*].EVENT_DATAEXECUTIONPREVENTION.Value | @[-1]`, default 0.
  const json* dep = nullptr;
  for (const json* v : Values(tbs, SIPAEVENT_DATAEXECUTIONPREVENTION)) {
    if (const json* value = Field(v, "Value")) dep = value;
  }
  if (dep == nullptr) {
    out->Set("depPolicy", int64_t{0});
  } else {
    SetIntClaim("depPolicy", *dep, out);
  }

  out->Set("elamDriverLoaded", ElamDriverLoaded(tbs));

  const std::vector<const json*> counters = Values(tbs, SIPAEVENT_BOOTCOUNTER);
  if (!counters.empty()) {
    const bool agree =
        std::all_of(counters.begin(), counters.end(),
                    [&](const json* c) { return *c == *counters[0]; });
    if (agree) {
      SetIntClaim("bootCount", *counters[0], out);
    } else {
      out->Underivable("bootCount", "SIPA BOOTCOUNTER values disagree");
    }
  }
}

void DeriveSrtmDrtmClaims(const WindowsEvents& w, DerivedClaims* out) {
  const std::vector<const json*> tbs = TrustBoundaries(w, kSrtmDrtmPcrs);

  std::vector<const json*> vsm = Values(tbs, SIPAEVENT_VBS_VSM_REQUIRED);
  const std::vector<const json*> mandatory =
      Values(tbs, SIPAEVENT_VBS_MANDATORY_ENFORCEMENT);
  vsm.insert(vsm.end(), mandatory.begin(), mandatory.end());
  out->Set("vbsEnabled", SetClaim(vsm, json(true), false));

  // `[*].EVENT_VBS_HVCI_POLICY | @[?String == '...Enable'].Value`.
  std::vector<const json*> hvci;
  for (const json* p : Values(tbs, SIPAEVENT_VBS_HVCI_POLICY)) {
    const json* s = Field(p, "String");
    if (s == nullptr || *s != json("HypervisorEnforcedCodeIntegrityEnable"))
      continue;
    if (const json* v = Field(p, "Value")) hvci.push_back(v);
  }
  out->Set("hvciEnabled", SetClaim(hvci, json(1), false));

  // `[*].EVENT_BITLOCKER_UNLOCK | @[? Value != `0`].Value | @[0]`, default 0.
  for (const json* unlock : Values(tbs, SIPAEVENT_BITLOCKER_UNLOCK)) {
    const json* v = Field(unlock, "Value");
    if (v == nullptr || *v == json(0)) continue;
    SetIntClaim("bitlockerStatus", *v, out);
    return;
  }
  out->Set("bitlockerStatus", int64_t{0});
}

void AllUnderivable(std::initializer_list<const char*> names,
                    const std::string& why, DerivedClaims* out) {
  for (const char* n : names) out->Underivable(n, why);
}

}  // namespace

void DeriveWindowsClaims(const ReplayedLog& log, DerivedClaims* out) {
  const WindowsEvents w = CollectEvents(log);

  if (std::string why = WhyUnderivable(log, kBoolPcrs); why.empty()) {
    DeriveBoolPcrClaims(w, out);
  } else {
    AllUnderivable({"codeIntegrityEnabled", "bootDebuggingDisabled",
                    "osKernelDebuggingDisabled", "testSigningDisabled",
                    "flightSigningNotEnabled", "iommuEnabled", "notSafeMode",
                    "notWinPE", "depPolicy", "elamDriverLoaded", "bootCount"},
                   why, out);
  }

  if (std::string why = WhyUnderivable(log, kSrtmDrtmPcrs); why.empty()) {
    DeriveSrtmDrtmClaims(w, out);
  } else {
    AllUnderivable({"vbsEnabled", "hvciEnabled", "bitlockerStatus"}, why, out);
  }

  if (std::string why = WhyUnderivable(log, kSvnPcrs); why.empty()) {
    DeriveSvnClaims(w, out);
  } else {
    AllUnderivable({"bootMgrSvn", "bootAppSvn"}, why, out);
  }
}

}  // namespace vigil::eventlog
