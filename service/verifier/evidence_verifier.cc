#include "service/verifier/evidence_verifier.h"

#include <algorithm>
#include <bitset>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/encoding.h"
#include "eventlog/parser.h"
#include "eventlog/replay.h"
#include "tpm/types/hash_alg.h"

namespace vigil::service {
namespace {

std::string Short(const tpm::Digest& d) {
  std::string hex = HexEncode(d);
  return hex.size() > 16 ? hex.substr(0, 16) + "…" : hex;
}

std::string MaskString(uint32_t mask) {
  std::string out;
  for (uint32_t i = 0; i < tpm::kNumPcrs; ++i) {
    if (mask & (1u << i)) absl::StrAppend(&out, out.empty() ? "" : ",", i);
  }
  return out;
}

// "offset 1234: ..." from the parser -> 1234.
int64_t OffsetOf(absl::string_view message) {
  if (!absl::ConsumePrefix(&message, "offset ")) return -1;
  const size_t colon = message.find(':');
  int64_t v = -1;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(message.substr(0, colon), &v)) {
    return -1;
  }
  return v;
}

// Adds `bank` into `merged` (several quotes may split the banks or PCRs).
// Fails when two quotes disagree on a PCR value.
absl::Status Merge(tpm::PcrBank bank, std::vector<tpm::PcrBank>& merged) {
  for (tpm::PcrBank& m : merged) {
    if (m.alg != bank.alg) continue;
    for (const auto& [pcr, value] : bank.values) {
      auto [it, inserted] = m.values.emplace(pcr, value);
      if (!inserted && it->second != value) {
        return absl::UnauthenticatedError(
            absl::StrCat("two quotes disagree on PCR ", pcr, " (",
                         tpm::HashAlgMaaName(bank.alg), ")"));
      }
    }
    return absl::OkStatus();
  }
  merged.push_back(std::move(bank));  // one quote: no copy
  return absl::OkStatus();
}

Reason FromStatus(std::string stage, std::string code, const absl::Status& s) {
  return Reason::Of(std::move(stage), std::move(code),
                    std::string(s.message()));
}

}  // namespace

absl::StatusOr<std::vector<tpm::PcrBank>> PcrBanksFromProto(
    const google::protobuf::RepeatedPtrField<v1::PcrBank>& banks) {
  std::vector<tpm::PcrBank> out;
  for (int i = 0; i < banks.size(); ++i) {
    const v1::PcrBank& b = banks[i];
    std::optional<tpm::HashAlg> alg =
        tpm::HashAlgFromId(static_cast<uint16_t>(b.hash_alg()));
    if (!alg.has_value() || b.hash_alg() > 0xFFFF) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "pcrs[%d].hash_alg: unknown algorithm 0x%04x", i, b.hash_alg()));
    }
    tpm::PcrBank bank;
    bank.alg = *alg;
    for (int j = 0; j < b.values_size(); ++j) {
      const v1::PcrValue& v = b.values(j);
      if (v.index() >= tpm::kNumPcrs) {
        return absl::InvalidArgumentError(
            absl::StrFormat("pcrs[%d].values[%d].index: %u, want < %u", i, j,
                            v.index(), tpm::kNumPcrs));
      }
      if (v.digest().size() != tpm::DigestSize(*alg)) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "pcrs[%d].values[%d].digest: %u bytes, want %u for %s", i, j,
            v.digest().size(), tpm::DigestSize(*alg),
            tpm::HashAlgMaaName(*alg)));
      }
      const absl::Span<const uint8_t> d = AsBytes(v.digest());
      if (!bank.values.emplace(v.index(), tpm::Digest(d.begin(), d.end()))
               .second) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "pcrs[%d].values[%d].index: PCR %u given twice", i, j, v.index()));
      }
    }
    for (const tpm::PcrBank& seen : out) {
      if (seen.alg == bank.alg) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "pcrs[%d]: bank %s given twice", i, tpm::HashAlgMaaName(*alg)));
      }
    }
    out.push_back(std::move(bank));
  }
  return out;
}

EvidenceOutcome EvidenceVerifier::Verify(
    const EnrolledDevice& device, const v1::Evidence& evidence,
    uint32_t required_pcr_mask,
    const std::shared_ptr<const CachedReplay>& known) const {
  EvidenceOutcome out;
  auto refuse = [&out](Reason r) -> EvidenceOutcome& {
    out.reasons.insert(out.reasons.begin(), std::move(r));
    return out;
  };

  // 1. The nonce: ours, this device's, fresh, unused.
  if (absl::Status s =
          nonces_->Consume(AsBytes(evidence.nonce()), device.device_id);
      !s.ok()) {
    const absl::string_view m = s.message();
    std::string code = absl::StrContains(m, "expired")        ? "nonce_expired"
                       : absl::StrContains(m, "already used") ? "nonce_reused"
                       : s.code() == absl::StatusCode::kResourceExhausted
                           ? "overloaded"
                           : "nonce_invalid";
    return std::move(refuse(FromStatus("nonce", code, s)));
  }

  // 2. Quotes: each signed by the enrolled AK over the nonce.
  absl::StatusOr<std::shared_ptr<const TrustedAk>> ak = aks_.Get(device);
  if (!ak.ok()) {
    return std::move(refuse(FromStatus("quote", "ak_unusable", ak.status())));
  }
  if (evidence.quotes_size() == 0) {
    return std::move(
        refuse(Reason::Of("quote", "missing", "evidence holds no quote")));
  }
  std::vector<tpm::PcrBank> pcrs;
  std::optional<tpm::ClockInfo> clock;
  for (int i = 0; i < evidence.quotes_size(); ++i) {
    const v1::Quote& q = evidence.quotes(i);
    absl::StatusOr<std::vector<tpm::PcrBank>> supplied =
        PcrBanksFromProto(q.pcrs());
    if (!supplied.ok()) {
      return std::move(refuse(Reason::Of(
          "quote", "malformed",
          absl::StrCat("quotes[", i, "].", supplied.status().message()))));
    }
    absl::StatusOr<tpm::VerifiedPcrs> v =
        (*ak)->verifier.Verify(AsBytes(q.attest()), AsBytes(q.signature()),
                               AsBytes(evidence.nonce()), *supplied);
    if (!v.ok()) {
      const bool bad_sig = absl::StrContains(v.status().message(), "signature");
      return std::move(refuse(
          Reason::Of("quote", bad_sig ? "bad_signature" : "invalid",
                     absl::StrCat("quotes[", i, "]: ", v.status().message()))));
    }
    const tpm::ClockInfo c = v->clock_info();
    for (tpm::PcrBank& b : std::move(*v).ReleaseBanks()) {
      if (absl::Status s = Merge(std::move(b), pcrs); !s.ok()) {
        return std::move(refuse(FromStatus("quote", "inconsistent", s)));
      }
    }
    if (clock.has_value() && (c.reset_count != clock->reset_count ||
                              c.restart_count != clock->restart_count)) {
      return std::move(refuse(Reason::Of("quote", "inconsistent",
                                         "quotes come from different boots "
                                         "(resetCount/restartCount differ)")));
    }
    if (!clock.has_value() || c.clock > clock->clock) clock = c;
  }
  // Every required PCR is quoted in at least one bank.
  std::bitset<tpm::kNumPcrs> quoted;
  for (const tpm::PcrBank& b : pcrs) {
    for (const auto& [pcr, value] : b.values) quoted.set(pcr);
  }
  uint32_t missing = 0;
  for (uint32_t i = 0; i < tpm::kNumPcrs; ++i) {
    if ((required_pcr_mask & (1u << i)) && !quoted.test(i)) missing |= 1u << i;
  }
  if (missing != 0) {
    return std::move(refuse(
        Reason::Of("quote", "pcrs_not_quoted",
                   absl::StrCat("the quotes do not cover PCR ",
                                MaskString(missing), " (the policy requires ",
                                MaskString(required_pcr_mask), ")"))));
  }

  // 3. The signed TPM clock advanced since the last accepted quote.
  absl::StatusOr<ClockTransition> transition =
      registry_->RecordClock(device.device_id, *clock);
  if (!transition.ok()) {
    return std::move(refuse(
        FromStatus("clock",
                   transition.status().code() == absl::StatusCode::kNotFound
                       ? "not_enrolled"
                       : "clock_rollback",
                   transition.status())));
  }

  // 4. The event log parses and replays to the quoted PCRs.
  Reason refusal;
  Replayed replayed = ReplayLog(evidence, pcrs, known, &refusal);
  if (replayed.verdict == nullptr) {
    out.pcr_values_moved = replayed.pcr_values_moved;
    return std::move(refuse(std::move(refusal)));
  }
  std::vector<Reason> failures;
  std::vector<Reason> warnings;
  for (const Reason& finding : replayed.verdict->findings) {
    // A PCR the log describes but does not reproduce means the log lies
    // about it: refuse when the policy requires it. A PCR the log is silent
    // about (extended after boot, e.g. IMA's PCR 10) is only unverified:
    // claims that depend on it are underivable, never true.
    if (finding.code != "pcr_mismatch") {
      warnings.push_back(finding);
    } else if (required_pcr_mask & (1u << finding.pcr)) {
      failures.push_back(finding);
    } else {
      warnings.push_back(finding);
      warnings.back().code = "pcr_mismatch_not_required";
    }
  }
  if (!failures.empty()) {
    out.reasons = std::move(failures);
    out.reasons.insert(out.reasons.end(), warnings.begin(), warnings.end());
    return out;
  }
  std::shared_ptr<const eventlog::ReplayedLog> log =
      replayed.log != nullptr ? replayed.log->replayed : nullptr;
  out.evidence.emplace(VerifiedEvidence(
      device, *clock, *transition, (*ak)->pub_hash, std::move(pcrs),
      replayed.verdict, std::move(log), warnings, required_pcr_mask));
  out.reasons = std::move(warnings);
  // Kept only once it replayed to the required PCRs: a log that failed is
  // never named as known.
  if (replayed.fresh) replays_.Put(replayed.verdict, replayed.log);
  out.replay = std::move(replayed.verdict);
  return out;
}

namespace {

// The refusal that asks for the log `digest` names (eventlog/log_unknown).
Reason LogUnknown(const LogDigest& digest, absl::string_view what) {
  return Reason::Of(
      "eventlog", "log_unknown",
      absl::StrCat("event_log_sha256 ",
                   Short(tpm::Digest(digest.begin(), digest.end())), " names ",
                   what, "; send the event log itself"));
}

// What a replay found, as reasons (CachedReplay::findings).
std::vector<Reason> FindingsOf(const eventlog::ReplayedLog& replayed) {
  std::vector<Reason> out;
  for (const eventlog::PcrMismatch& m : replayed.mismatches()) {
    Reason r;
    r.stage = "replay";
    r.code = "pcr_mismatch";
    r.pcr = static_cast<int>(m.pcr);
    r.bank = std::string(tpm::HashAlgMaaName(m.alg));
    if (m.last_event.has_value()) {
      const eventlog::RawEvent& ev = replayed.log().events[*m.last_event];
      r.event = static_cast<int64_t>(ev.index);
      r.event_offset = static_cast<int64_t>(ev.offset);
      r.message = absl::StrCat(
          "PCR ", m.pcr, " (", r.bank, "): the log replays to ",
          Short(m.replayed), " but the TPM quoted ", Short(m.expected),
          "; last event #", ev.index, " at offset ", ev.offset);
    } else {
      // Without the quoted value: the verdict serves every later value of
      // a PCR the log never extends (ReplayKey), such as IMA's PCR 10.
      r.code = "pcr_not_in_log";
      r.message = absl::StrCat(
          "PCR ", m.pcr, " (", r.bank, "): the TPM quoted a value other than "
          "its initial ", Short(m.replayed), " and the log has no event for "
          "it in this bank (extended without a logged event: after boot, as "
          "IMA extends PCR 10, or unlogged by firmware)");
    }
    out.push_back(std::move(r));
  }
  for (const eventlog::AppliedQuirk& q : replayed.quirks()) {
    Reason r =
        Reason::Of("replay", "quirk",
                   absl::StrCat("PCR ", q.pcr, " (", tpm::HashAlgMaaName(q.alg),
                                ") replayed only with firmware quirk ", q.id));
    r.pcr = static_cast<int>(q.pcr);
    r.bank = std::string(tpm::HashAlgMaaName(q.alg));
    out.push_back(std::move(r));
  }
  for (const eventlog::IntegrityFinding& f : replayed.findings()) {
    const eventlog::RawEvent& ev = replayed.log().events[f.event_index];
    Reason r =
        Reason::Of("eventlog",
                   f.kind == eventlog::IntegrityFinding::Kind::kDataMismatch
                       ? "event_data_mismatch"
                       : "unknown_event_type",
                   absl::StrCat("event #", ev.index, " (PCR ", f.pcr,
                                ", offset ", ev.offset, "): ", f.detail));
    r.pcr = static_cast<int>(f.pcr);
    r.event = static_cast<int64_t>(ev.index);
    r.event_offset = static_cast<int64_t>(ev.offset);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

EvidenceVerifier::Replayed EvidenceVerifier::ReplayLog(
    const v1::Evidence& evidence, const std::vector<tpm::PcrBank>& pcrs,
    const std::shared_ptr<const CachedReplay>& known, Reason* refusal) const {
  Replayed out;
  // The round's ReplayKey, once the log's keyed PCRs are known (from an
  // entry for the log, or from the log once parsed).
  std::string pcrs_key;
  std::shared_ptr<const CachedReplay> verdict;
  LogDigest digest;
  const bool sent = !evidence.event_log().empty();
  if (sent) {
    absl::StatusOr<tpm::Digest> d =
        tpm::Hash(tpm::HashAlg::kSha256, AsBytes(evidence.event_log()));
    if (!d.ok()) {
      *refusal = FromStatus("eventlog", "internal", d.status());
      return out;
    }
    digest.assign(d->begin(), d->end());
    verdict = replays_.FindVerdict(digest);
  } else if (!evidence.event_log_sha256().empty()) {
    digest = evidence.event_log_sha256();
    verdict = replays_.FindVerdict(digest);
    if (known != nullptr && known->log_digest == digest) {
      // The same log: the same keyed PCRs as `verdict`.
      pcrs_key = ReplayKey(pcrs, known->keyed);
      if (verdict == nullptr) {
        // Evicted since the request named it: the round has it pinned, and
        // it goes back, or the device's next round would resend its log.
        replays_.Put(known, nullptr);
        verdict = known;
      } else if (verdict->pcrs_key != pcrs_key &&
                 known->pcrs_key == pcrs_key) {
        verdict = known;  // replaced meanwhile by another device's values
      }
    }
  }
  // The held log, for the verdict's values or to replay again (also when
  // the verdict was evicted and the log was not).
  const bool named = !sent && !evidence.event_log_sha256().empty();
  std::shared_ptr<const HeldLog> held =
      verdict != nullptr || named ? replays_.FindHeldLog(digest) : nullptr;
  if (named && verdict == nullptr && held == nullptr) {
    *refusal = LogUnknown(digest, "a log this verifier does not hold");
    return out;
  }
  if (pcrs_key.empty() && verdict != nullptr) {
    pcrs_key = ReplayKey(pcrs, verdict->keyed);
  } else if (pcrs_key.empty() && held != nullptr) {
    pcrs_key = ReplayKey(pcrs, held->keyed);
  }
  if (verdict != nullptr && verdict->pcrs_key == pcrs_key) {
    out.verdict = std::move(verdict);
    if (held != nullptr && held->pcrs_key == pcrs_key) {
      out.log = std::move(held);
    } else if (!sent) {
      return out;  // decided from the verdict; the log is not at hand
    }
    if (out.log != nullptr) return out;
    // The log was sent and is not held: replayed below, so this round has
    // it (and the cache gets it back).
  }

  // Parse (or take the held log's events) and replay against these values.
  absl::StatusOr<eventlog::EventLog> log;
  size_t log_bytes = 0;
  if (sent) {
    log = eventlog::Parse(AsBytes(evidence.event_log()));
    log_bytes = evidence.event_log().size();
  } else if (held != nullptr) {
    log = held->replayed->log();  // a copy: Replay consumes it
    log_bytes = held->charge / kChargePerLogByte;
  } else if (verdict != nullptr) {
    *refusal = LogUnknown(digest,
                          "a log this verifier holds only as replayed against "
                          "other PCR values");
    out.pcr_values_moved = true;
    return out;
  } else {
    log = eventlog::Parse({});  // no log at all: the parser names it
  }
  if (!log.ok()) {
    *refusal = FromStatus("eventlog", "malformed", log.status());
    refusal->event_offset = OffsetOf(log.status().message());
    return out;
  }
  ValueKeyedBanks keyed = verdict != nullptr ? verdict->keyed
                          : held != nullptr  ? held->keyed
                                             : ValueKeyedBanks(*log);
  if (pcrs_key.empty()) pcrs_key = ReplayKey(pcrs, keyed);
  absl::StatusOr<eventlog::ReplayedLog> replayed =
      eventlog::Replay(*std::move(log), pcrs);
  if (!replayed.ok()) {
    *refusal = FromStatus("replay", "failed", replayed.status());
    return out;
  }
  auto kept = std::make_shared<HeldLog>();
  kept->log_digest = digest;
  kept->pcrs_key = pcrs_key;
  kept->keyed = keyed;
  kept->replayed =
      std::make_shared<const eventlog::ReplayedLog>(*std::move(replayed));
  kept->charge = log_bytes * kChargePerLogByte;
  if (out.verdict == nullptr) {
    auto made = std::make_shared<CachedReplay>();
    made->log_digest = std::move(digest);
    made->pcrs_key = std::move(pcrs_key);
    made->keyed = std::move(keyed);
    made->findings = FindingsOf(*kept->replayed);
    made->log_bytes = log_bytes;
    made->charge = VerdictCharge(*made);
    out.verdict = std::move(made);
  }
  out.log = std::move(kept);
  out.fresh = true;
  return out;
}

}  // namespace vigil::service
