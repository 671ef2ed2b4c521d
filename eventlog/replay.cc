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
  static ReplayedLog Make(EventLog log) {
    ReplayedLog r;
    r.log_ = std::move(log);
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

// Data is checked against one digest: that of the most preferred bank whose
// chain the caller verified. Checking the others adds nothing (their chains
// are not what is trusted) and would hash every covered event once per bank.
constexpr tpm::HashAlg kCheckPreference[] = {
    tpm::HashAlg::kSha256, tpm::HashAlg::kSha384, tpm::HashAlg::kSha512,
    tpm::HashAlg::kSm3_256, tpm::HashAlg::kSha1};

// Bit i of a mask stands for kCheckPreference[i].
using AlgMask = uint8_t;

AlgMask MaskOf(tpm::HashAlg alg) {
  for (size_t i = 0; i < std::size(kCheckPreference); ++i) {
    if (kCheckPreference[i] == alg) return static_cast<AlgMask>(1u << i);
  }
  return 0;
}

// The digest to check `ev`'s data against: the most preferred one in
// `allowed`, else (the PCR is not verified, so the answer only informs) the
// most preferred the event has.
std::optional<EventDigest> CheckDigest(const RawEvent& ev, AlgMask allowed) {
  for (int pass = 0; pass < 2; ++pass) {
    for (tpm::HashAlg alg : kCheckPreference) {
      if (pass == 0 && !(allowed & MaskOf(alg))) continue;
      if (!tpm::HashAlgAvailable(alg)) continue;
      if (std::optional<absl::Span<const uint8_t>> d = ev.DigestFor(alg)) {
        return EventDigest{alg, *d};
      }
    }
  }
  return std::nullopt;
}

bool DigestIsHashOf(const EventDigest& d, absl::Span<const uint8_t> bytes) {
  std::array<uint8_t, tpm::kMaxDigestSize> h;
  if (!tpm::HashParts(d.alg, {bytes}, h.data()).ok()) return false;
  return std::equal(d.value.begin(), d.value.end(), h.begin());
}

DataCheck CheckData(const RawEvent& ev, AlgMask allowed) {
  if (!Extended(ev)) return DataCheck::kNotApplicable;
  const DigestRule rule = DigestCoversData(ev.untrusted_type, ev.pcr_index);
  if (rule == DigestRule::kNotCovered) return DataCheck::kNotApplicable;
  std::optional<EventDigest> d = CheckDigest(ev, allowed);
  if (!d.has_value()) return DataCheck::kMismatch;
  if (DigestIsHashOf(*d, ev.data)) return DataCheck::kMatches;
  switch (rule) {
    case DigestRule::kNotCovered:
    case DigestRule::kDataHash:
      return DataCheck::kMismatch;
    case DigestRule::kDataHashOrVariableData: {
      auto var = ParseUefiVariableData(ev.data);
      if (var.ok() && DigestIsHashOf(*d, var->variable_data)) {
        return DataCheck::kMatchesVariableData;
      }
      return DataCheck::kMismatch;
    }
    case DigestRule::kDataHashAllowingTrailingBytes: {
      auto var = ParseUefiVariableData(ev.data);
      if (!var.ok() || var->trailing_bytes == 0 ||
          var->trailing_bytes > kMaxTrailingBytes) {
        return DataCheck::kMismatch;
      }
      const size_t struct_len = ev.data.size() - var->trailing_bytes;
      for (size_t len = struct_len; len < ev.data.size(); ++len) {
        if (DigestIsHashOf(*d, ev.data.first(len))) {
          return DataCheck::kMatchesIgnoringTrailingBytes;
        }
      }
      return DataCheck::kMismatch;
    }
  }
  return DataCheck::kMismatch;
}

// `allowed[pcr]`: the banks whose digests may be used to check events of
// that PCR (the verified ones).
void CheckIntegrity(ReplayedLog& out,
                    const std::array<AlgMask, tpm::kNumPcrs>& allowed) {
  const EventLog& log = out.log();
  auto& checks = ReplayedLogBuilder::data_checks(out);
  auto& findings = ReplayedLogBuilder::findings(out);
  checks.reserve(log.events.size());
  for (const RawEvent& ev : log.events) {
    // The crypto-agile header is record 0 and is not an event.
    const bool header = ev.index == 0 && log.format == LogFormat::kCryptoAgile;
    const AlgMask mask = ev.pcr_index < tpm::kNumPcrs ? allowed[ev.pcr_index] : 0;
    checks.push_back(header ? DataCheck::kNotApplicable : CheckData(ev, mask));
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

absl::StatusOr<std::vector<BankReplay>> ReplayBanks(
    const EventLog& log, absl::Span<const tpm::HashAlg> algs) {
  std::vector<BankReplay> banks;
  for (tpm::HashAlg alg : algs) {
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
      // A record without this bank's digest measured nothing into it
      // (parser.h: some Windows events are SHA-256 only).
      if (!d.has_value()) continue;
      absl::Status s = tpm::Extend(b.alg, &b.values[ev.pcr_index], *d);
      if (!s.ok()) return s;
      b.last_event[ev.pcr_index] = ev.index;
      ++b.event_count[ev.pcr_index];
    }
  }
  return banks;
}

}  // namespace

uint32_t ValueKeyedPcrs(const EventLog& log, tpm::HashAlg alg) {
  uint32_t mask = 1u;  // PCR 0
  for (const Quirk& q : KnownQuirks()) mask |= 1u << q.pcr;
  // The events ReplayBanks extends into this bank.
  const bool agile = log.format == LogFormat::kCryptoAgile;
  for (const RawEvent& ev : log.events) {
    if ((agile && ev.index == 0) || !Extended(ev)) continue;
    if (ev.DigestFor(alg).has_value()) mask |= 1u << ev.pcr_index;
  }
  return mask;
}

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
  return ReplayBanks(log, log.algorithms);
}

absl::StatusOr<ReplayedLog> Replay(EventLog log,
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
  // Only the banks being verified are replayed.
  std::vector<tpm::HashAlg> algs;
  for (const tpm::PcrBank& bank : trusted) {
    if (std::find(log.algorithms.begin(), log.algorithms.end(), bank.alg) !=
        log.algorithms.end()) {
      algs.push_back(bank.alg);
    }
  }
  absl::StatusOr<std::vector<BankReplay>> replays = ReplayBanks(log, algs);
  if (!replays.ok()) return replays.status();

  ReplayedLog out = ReplayedLogBuilder::Make(std::move(log));
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
  const std::bitset<tpm::kNumPcrs> verified = covered & ~failed;
  ReplayedLogBuilder::SetVerified(out, verified);
  std::array<AlgMask, tpm::kNumPcrs> allowed{};
  for (const tpm::PcrBank& bank : trusted) {
    for (const auto& [pcr, value] : bank.values) {
      if (verified[pcr]) allowed[pcr] |= MaskOf(bank.alg);
    }
  }
  CheckIntegrity(out, allowed);
  return out;
}

absl::StatusOr<ReplayedLog> InsecureReplayWithoutQuote(EventLog log) {
  absl::StatusOr<std::vector<BankReplay>> replays = ReplayDigests(log);
  if (!replays.ok()) return replays.status();
  AlgMask all = 0;
  for (tpm::HashAlg alg : log.algorithms) all |= MaskOf(alg);
  ReplayedLog out = ReplayedLogBuilder::Make(std::move(log));
  std::array<AlgMask, tpm::kNumPcrs> allowed;
  allowed.fill(all);
  CheckIntegrity(out, allowed);
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
