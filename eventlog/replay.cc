#include "eventlog/replay.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "eventlog/event_types.h"
#include "eventlog/uefi_variable.h"
#include "eventlog/workarounds.h"

namespace vigil::eventlog {

// Builds ReplayedLog values; the only code with access to its constructor.
class ReplayedLogBuilder {
 public:
  static ReplayedLog Make(const EventLog& log) {
    ReplayedLog r;
    r.log_ = log;
    return r;
  }
  static void SetVerified(ReplayedLog& r, std::bitset<tpm::kNumPcrs> v) {
    r.verified_ = v;
  }
  static void SetAgainstQuote(ReplayedLog& r, bool v) { r.against_quote_ = v; }
  static std::vector<DataCheck>& data_checks(ReplayedLog& r) {
    return r.data_checks_;
  }
  static std::vector<PcrMismatch>& mismatches(ReplayedLog& r) {
    return r.mismatches_;
  }
  static std::vector<AppliedQuirk>& quirks(ReplayedLog& r) { return r.quirks_; }
  static std::vector<IntegrityFinding>& findings(ReplayedLog& r) {
    return r.findings_;
  }
  static std::vector<tpm::HashAlg>& unreplayable(ReplayedLog& r) {
    return r.unreplayable_banks_;
  }
};

namespace {

// Trailing bytes tolerated after an authority event's UEFI_VARIABLE_DATA
// (shim writes 6).
constexpr size_t kMaxTrailingBytes = 8;

bool Extended(const RawEvent& ev) {
  return ev.untrusted_type != EV_NO_ACTION && ev.pcr_index < tpm::kNumPcrs;
}

bool DigestsEqualHashOf(const RawEvent& ev, absl::Span<const uint8_t> bytes) {
  std::array<uint8_t, tpm::kMaxDigestSize> h;
  for (const EventDigest& d : ev.digests) {
    if (!tpm::HashAlgAvailable(d.alg)) continue;
    if (!tpm::HashParts(d.alg, {bytes}, h.data()).ok()) return false;
    if (!std::equal(d.value.begin(), d.value.end(), h.begin())) return false;
  }
  return true;
}

DataCheck CheckData(const RawEvent& ev) {
  if (!Extended(ev)) return DataCheck::kNotApplicable;
  switch (DigestCoversData(ev.untrusted_type, ev.pcr_index)) {
    case DigestRule::kNotCovered:
      return DataCheck::kNotApplicable;
    case DigestRule::kDataHash:
      return DigestsEqualHashOf(ev, ev.data) ? DataCheck::kMatches
                                             : DataCheck::kMismatch;
    case DigestRule::kDataHashOrVariableData: {
      if (DigestsEqualHashOf(ev, ev.data)) return DataCheck::kMatches;
      auto var = ParseUefiVariableData(ev.data);
      if (var.ok() && DigestsEqualHashOf(ev, var->variable_data)) {
        return DataCheck::kMatchesVariableData;
      }
      return DataCheck::kMismatch;
    }
    case DigestRule::kDataHashAllowingTrailingBytes: {
      if (DigestsEqualHashOf(ev, ev.data)) return DataCheck::kMatches;
      auto var = ParseUefiVariableData(ev.data);
      if (!var.ok() || var->trailing_bytes == 0 ||
          var->trailing_bytes > kMaxTrailingBytes) {
        return DataCheck::kMismatch;
      }
      const size_t struct_len = ev.data.size() - var->trailing_bytes;
      for (size_t len = struct_len; len < ev.data.size(); ++len) {
        if (DigestsEqualHashOf(ev, ev.data.first(len))) {
          return DataCheck::kMatchesIgnoringTrailingBytes;
        }
      }
      return DataCheck::kMismatch;
    }
  }
  return DataCheck::kMismatch;
}

void CheckIntegrity(ReplayedLog& out) {
  const EventLog& log = out.log();
  auto& checks = ReplayedLogBuilder::data_checks(out);
  auto& findings = ReplayedLogBuilder::findings(out);
  checks.reserve(log.events.size());
  for (const RawEvent& ev : log.events) {
    // The crypto-agile header is record 0 and is not an event.
    const bool header = ev.index == 0 && log.format == LogFormat::kCryptoAgile;
    checks.push_back(header ? DataCheck::kNotApplicable : CheckData(ev));
    if (header || ev.pcr_index == kNoPcr) continue;
    if (!IsKnownEventType(ev.untrusted_type)) {
      findings.push_back({IntegrityFinding::Kind::kUnknownType, ev.index,
                          ev.pcr_index,
                          absl::StrCat("unknown event type 0x",
                                       absl::Hex(ev.untrusted_type, absl::kZeroPad8))});
    } else if (checks.back() == DataCheck::kMismatch) {
      findings.push_back(
          {IntegrityFinding::Kind::kDataMismatch, ev.index, ev.pcr_index,
           absl::StrCat(*EventTypeName(ev.untrusted_type),
                        " data does not match its digest")});
    }
  }
}

}  // namespace

tpm::Digest InitialValueForLog(const EventLog& log, tpm::HashAlg alg,
                               uint32_t pcr) {
  tpm::Digest v = tpm::InitialPcrValue(alg, pcr);
  if (pcr != 0) return v;
  if (log.startup_locality.has_value()) {
    v.back() = *log.startup_locality;
    return v;
  }
  for (const RawEvent& ev : log.events) {
    if (ev.pcr_index == 0 && ev.untrusted_type == EV_EFI_HCRTM_EVENT) {
      v.back() = 4;  // H-CRTM runs at locality 4 (PFP §3.3.2.2)
      break;
    }
  }
  return v;
}

absl::StatusOr<std::vector<BankReplay>> ReplayDigests(const EventLog& log) {
  std::vector<BankReplay> banks;
  for (tpm::HashAlg alg : log.algorithms) {
    if (!tpm::HashAlgAvailable(alg)) {
      return absl::UnimplementedError(absl::StrCat(
          "replay: ", tpm::HashAlgName(alg), " is not available in OpenSSL"));
    }
    BankReplay b;
    b.alg = alg;
    for (uint32_t p = 0; p < tpm::kNumPcrs; ++p) {
      b.values[p] = InitialValueForLog(log, alg, p);
    }
    banks.push_back(std::move(b));
  }
  const bool agile = log.format == LogFormat::kCryptoAgile;
  for (const RawEvent& ev : log.events) {
    if ((agile && ev.index == 0) || !Extended(ev)) continue;
    for (BankReplay& b : banks) {
      std::optional<absl::Span<const uint8_t>> d = ev.DigestFor(b.alg);
      if (!d.has_value()) continue;  // the parser guarantees one per bank
      absl::Status s = tpm::Extend(b.alg, &b.values[ev.pcr_index], *d);
      if (!s.ok()) return s;
      b.last_event[ev.pcr_index] = ev.index;
      ++b.event_count[ev.pcr_index];
    }
  }
  return banks;
}

absl::StatusOr<ReplayedLog> Replay(const EventLog& log,
                                   absl::Span<const tpm::PcrBank> trusted) {
  for (size_t i = 0; i < trusted.size(); ++i) {
    absl::Status s = tpm::ValidatePcrBank(trusted[i]);
    if (!s.ok()) return s;
    for (size_t j = 0; j < i; ++j) {
      if (trusted[j].alg == trusted[i].alg) {
        return absl::InvalidArgumentError(absl::StrCat(
            "replay: trusted bank ", tpm::HashAlgName(trusted[i].alg),
            " given twice"));
      }
    }
  }
  absl::StatusOr<std::vector<BankReplay>> replays = ReplayDigests(log);
  if (!replays.ok()) return replays.status();

  ReplayedLog out = ReplayedLogBuilder::Make(log);
  CheckIntegrity(out);
  std::bitset<tpm::kNumPcrs> covered, failed;
  for (const tpm::PcrBank& bank : trusted) {
    auto it = std::find_if(replays->begin(), replays->end(),
                           [&](const BankReplay& b) { return b.alg == bank.alg; });
    if (it == replays->end()) {
      ReplayedLogBuilder::unreplayable(out).push_back(bank.alg);
      continue;
    }
    for (const auto& [pcr, want] : bank.values) {
      covered.set(pcr);
      const tpm::Digest& got = it->values[pcr];
      if (got == want) continue;
      bool fixed = false;
      for (const Quirk& q : KnownQuirks()) {
        if (q.pcr != pcr) continue;
        tpm::Digest v = got;
        absl::Status s = ApplyQuirk(q, bank.alg, &v);
        if (!s.ok()) return s;
        if (v == want) {
          ReplayedLogBuilder::quirks(out).push_back(
              {std::string(q.id), bank.alg, pcr});
          fixed = true;
          break;
        }
      }
      if (fixed) continue;
      failed.set(pcr);
      ReplayedLogBuilder::mismatches(out).push_back(
          {bank.alg, pcr, want, got, it->last_event[pcr]});
    }
  }
  ReplayedLogBuilder::SetVerified(out, covered & ~failed);
  return out;
}

absl::StatusOr<ReplayedLog> InsecureReplayWithoutQuote(const EventLog& log) {
  absl::StatusOr<std::vector<BankReplay>> replays = ReplayDigests(log);
  if (!replays.ok()) return replays.status();
  ReplayedLog out = ReplayedLogBuilder::Make(log);
  CheckIntegrity(out);
  ReplayedLogBuilder::SetVerified(out, std::bitset<tpm::kNumPcrs>().set());
  ReplayedLogBuilder::SetAgainstQuote(out, false);
  return out;
}

bool ReplayedLog::EventTrusted(size_t index) const {
  if (index >= log_.events.size()) return false;
  const RawEvent& ev = log_.events[index];
  return PcrVerified(ev.pcr_index) && IsKnownEventType(ev.untrusted_type) &&
         data_checks_[index] != DataCheck::kMismatch;
}

std::string ReplayedLog::WhyNotClean(absl::Span<const uint32_t> pcrs) const {
  for (uint32_t p : pcrs) {
    if (!PcrVerified(p)) {
      return absl::StrCat("pcr ", p, ": not verified against trusted PCR values");
    }
  }
  for (const IntegrityFinding& f : findings_) {
    if (std::find(pcrs.begin(), pcrs.end(), f.pcr) != pcrs.end()) {
      return absl::StrCat("pcr ", f.pcr, ": event ", f.event_index, ": ",
                          f.detail);
    }
  }
  return "";
}

bool ReplayedLog::PcrsClean(absl::Span<const uint32_t> pcrs) const {
  return WhyNotClean(pcrs).empty();
}

}  // namespace vigil::eventlog
