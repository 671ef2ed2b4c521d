// File: service/verifier/evidence_verifier.h
// -----------------------------------------------------------------------------
// EvidenceVerifier: an enrolled device's Evidence -> VerifiedEvidence, or the
// reasons it was refused (style.md Part 3 data flow):
//   nonce (issued for this device, fresh, unused)
//   -> every quote verifies with the enrolled AK over that nonce
//      (tpm/verify) -> VerifiedPcrs; the PCRs the policy requires are quoted
//   -> the quote's signed TPM clock advanced (DeviceRegistry::RecordClock)
//   -> the event log parses and replays to the quoted PCRs (eventlog); a
//      log the verifier already holds (ReplayCache) may be named by its
//      SHA-256 instead of sent, and is replayed again only when the quoted
//      PCR values differ from those it was replayed against
// Each refusal is a Reason naming the stage and where (PCR and bank, event
// index and byte offset). A PCR outside the required mask that does not
// replay is a warning: its claims are underivable, never true.
//
// Trust: Evidence is untrusted; the EnrolledDevice (from the registry) and
// the nonce issuer's key are trusted.
#ifndef VIGIL_SERVICE_VERIFIER_EVIDENCE_VERIFIER_H_
#define VIGIL_SERVICE_VERIFIER_EVIDENCE_VERIFIER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "eventlog/replayed_log.h"
#include "service/verifier/ak_cache.h"
#include "service/verifier/device_registry.h"
#include "service/verifier/enrollment.h"
#include "service/verifier/nonce_issuer.h"
#include "service/verifier/reason.h"
#include "service/verifier/replay_cache.h"
#include "tpm/verify/quote_verifier.h"
#include "vigil/v1/evidence.pb.h"

namespace vigil::service {

// Evidence every check passed on. Only EvidenceVerifier constructs one.
class VerifiedEvidence {
 public:
  VerifiedEvidence(VerifiedEvidence&&) = default;
  VerifiedEvidence& operator=(VerifiedEvidence&&) = default;

  const EnrolledDevice& device() const { return device_; }
  // The quoted banks (one per algorithm, merged over the quotes): this
  // round's, which replay as the verdict's values did (a verdict serves only
  // quotes whose banks have its ReplayKey).
  const std::vector<tpm::PcrBank>& pcrs() const { return *pcrs_; }
  // The same, shared: for values that may outlive this evidence.
  const std::shared_ptr<const std::vector<tpm::PcrBank>>& shared_pcrs() const {
    return pcrs_;
  }
  const tpm::ClockInfo& clock() const { return clock_; }
  ClockTransition clock_transition() const { return transition_; }
  // base64(SHA-256(DER SPKI)) of the AK: the aikPubHash claim; empty when
  // the key has no SPKI encoding.
  const std::string& aik_pub_hash() const { return aik_pub_hash_; }
  // The replayed log, when the verifier has it for this round: sent with the
  // evidence, or held (replay_cache.h). Null when the round was decided
  // from the held verdict alone: then whatever needs the events (the
  // `events` claim, the log's claims if not yet made) is unavailable and
  // the round must ask for the log (AttestationCore::Decide).
  const std::shared_ptr<const eventlog::ReplayedLog>& shared_log() const {
    return log_;
  }
  // The replay's verdict as the verifier holds it (its memo of claims).
  const CachedReplay& replay() const { return *replay_; }
  // Non-fatal findings: replay quirks, unverified PCRs outside the mask,
  // events whose data does not match their digest.
  const std::vector<Reason>& warnings() const { return warnings_; }
  uint32_t pcr_mask() const { return pcr_mask_; }

 private:
  friend class EvidenceVerifier;
  VerifiedEvidence(EnrolledDevice device, tpm::ClockInfo clock,
                   ClockTransition transition, std::string aik_pub_hash,
                   std::vector<tpm::PcrBank> pcrs,
                   std::shared_ptr<const CachedReplay> replay,
                   std::shared_ptr<const eventlog::ReplayedLog> log,
                   std::vector<Reason> warnings, uint32_t pcr_mask)
      : device_(std::move(device)),
        clock_(clock),
        transition_(transition),
        aik_pub_hash_(std::move(aik_pub_hash)),
        pcrs_(
            std::make_shared<const std::vector<tpm::PcrBank>>(std::move(pcrs))),
        replay_(std::move(replay)),
        log_(std::move(log)),
        warnings_(std::move(warnings)),
        pcr_mask_(pcr_mask) {}

  EnrolledDevice device_;
  tpm::ClockInfo clock_;
  ClockTransition transition_;
  std::string aik_pub_hash_;
  std::shared_ptr<const std::vector<tpm::PcrBank>> pcrs_;  // never null
  std::shared_ptr<const CachedReplay> replay_;             // never null
  std::shared_ptr<const eventlog::ReplayedLog> log_;       // may be null
  std::vector<Reason> warnings_;
  uint32_t pcr_mask_;
};

// Either evidence or the reasons it was refused (never both).
struct EvidenceOutcome {
  std::optional<VerifiedEvidence> evidence;
  std::vector<Reason> reasons;  // refusals first, then warnings seen so far
  // With `evidence`: the verdict on the log it replayed, as the verifier
  // now holds it (its digest is what the next AttestationRequest may name
  // as known).
  std::shared_ptr<const CachedReplay> replay;
  // Refused (eventlog/log_unknown) because the named log's verdict is for
  // other PCR values and the parsed log is no longer held: the log itself
  // would serve.
  bool pcr_values_moved = false;
};

class EvidenceVerifier {
 public:
  // The default budget for event logs kept between attestations: verdicts
  // for ~13,000 distinct logs and ~490 typical UEFI boot logs parsed
  // (identical logs share entries).
  static constexpr size_t kDefaultReplayCacheBytes = 128u << 20;

  // Pointers must outlive the verifier. `replay_cache_bytes` 0: every
  // evidence must carry its log.
  EvidenceVerifier(NonceIssuer* nonces, DeviceRegistry* registry,
                   tpm::AkRequirements ak_requirements = {},
                   size_t replay_cache_bytes = kDefaultReplayCacheBytes)
      : nonces_(nonces),
        registry_(registry),
        aks_(ak_requirements),
        replays_(replay_cache_bytes) {}

  // Verifies `evidence` from `device` against `required_pcr_mask` (bit i =
  // PCR i must be quoted and must replay). Never fails as a Status: every
  // refusal is a Reason in the outcome. Consumes the nonce (a second call
  // with the same evidence is refused: "nonce: already used").
  //
  // The log: Evidence.event_log, or Evidence.event_log_sha256 naming a log
  // the verifier holds — `known` (the verdict this round's request named,
  // kept alive for the round so eviction cannot race it, and put back in
  // the cache if it was evicted meanwhile) or any verdict of the cache. A
  // named log serves when its verdict was made against this
  // round's PCR values, or when the verifier still holds the log to replay
  // it again. Otherwise the evidence is refused with stage "eventlog", code
  // "log_unknown" (send the log): for a digest the verifier never held, and
  // for one whose verdict is for other PCR values and whose log is gone.
  // Thread-safe.
  EvidenceOutcome Verify(
      const EnrolledDevice& device, const v1::Evidence& evidence,
      uint32_t required_pcr_mask,
      const std::shared_ptr<const CachedReplay>& known = nullptr) const;

  // The verdict the verifier holds for the log `digest`, or null.
  std::shared_ptr<const CachedReplay> FindVerdict(
      const LogDigest& digest) const {
    return replays_.FindVerdict(digest);
  }
  // The replayed log the verifier holds under `digest`, or null.
  std::shared_ptr<const HeldLog> FindHeldLog(const LogDigest& digest) const {
    return replays_.FindHeldLog(digest);
  }
  const ReplayCache& replay_cache() const { return replays_; }

 private:
  // Step 4's result: the verdict, and the replayed log when at hand.
  struct Replayed {
    std::shared_ptr<const CachedReplay> verdict;  // null: refused
    std::shared_ptr<const HeldLog> log;
    bool fresh = false;  // made now, not held: to be kept once accepted
    bool pcr_values_moved = false;  // EvidenceOutcome::pcr_values_moved
  };
  // Step 4: the log (sent or named) replayed against `pcrs`, from the cache
  // when the same log was replayed against the same values; or a null
  // verdict and the refusal in `*refusal`.
  Replayed ReplayLog(const v1::Evidence& evidence,
                     const std::vector<tpm::PcrBank>& pcrs,
                     const std::shared_ptr<const CachedReplay>& known,
                     Reason* refusal) const;

  NonceIssuer* nonces_;
  DeviceRegistry* registry_;
  AkCache aks_;
  mutable ReplayCache replays_;
};

// Converts wire PCR banks. Fails with kInvalidArgument naming the bank or
// PCR (unknown algorithm, index >= 24, wrong digest size, repeated index).
absl::StatusOr<std::vector<tpm::PcrBank>> PcrBanksFromProto(
    const google::protobuf::RepeatedPtrField<v1::PcrBank>& banks);

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_EVIDENCE_VERIFIER_H_
