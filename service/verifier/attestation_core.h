// File: service/verifier/attestation_core.h
// -----------------------------------------------------------------------------
// AttestationCore: the verifier's orchestration (style.md Part 3):
//   EvidenceVerifier (nonce -> quotes -> clock -> replay) -> BuildClaims ->
//   policy evaluation (the policy in force for "Tpm") -> require_valid_aik_cert
//   -> signed PlatformAttested token.
// No gRPC: service/grpc validates the request's shape, calls Attest and
// converts the outcome.
//
// The token (maa-spec §3.5, §6; docs/TOKENS.md): JWS signed by the key ring
// (ES256 default, RS256 by configuration) with claims
//   iss, iat, nbf = iat - 300 s, exp = iat + report_validity_in_minutes
//   (policy) or the configured default (8 h), jti (160-bit hex), sub = the
//   device id, x-ms-ver "1.0", x-ms-attestation-type "tpm", x-ms-policy-hash,
//   x-vigil-device {ak_name, aik_validated, ek_issuer}, nonce (when the relying
//   party supplied one), and the policy-issued claims under x-ms-policy
//   (default) or at the top level (IssuedClaimsPlacement::kTopLevel).
//
// Policy decisions are memoized. Evaluation is a pure function of the
// compiled policy and the claim set (the language has no clock, no
// randomness, no I/O), the policy is named by its hash (the same bytes
// compile to the same program), and the claim set by BuiltClaims::source_key
// (every input it is built from). A device re-attesting in the same boot
// under the same policy gets the decision its last round got, without
// rendering the `events` claim or running the policy's JmesPath queries
// again: with Microsoft's sample policies, which read `events`, that was
// ~80% of the verifier's CPU per attestation (docs/PERFORMANCE.md). Only
// the token is new each round (iat, exp, jti, nonce).
#ifndef VIGIL_SERVICE_VERIFIER_ATTESTATION_CORE_H_
#define VIGIL_SERVICE_VERIFIER_ATTESTATION_CORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"
#include "policy/claim.h"
#include "policy/property.h"
#include "service/token/jwt_signer.h"
#include "service/verifier/budgeted_cache.h"
#include "service/verifier/evidence_verifier.h"
#include "service/verifier/policy_set.h"
#include "service/verifier/reason.h"
#include "service/verifier/verifier_metrics.h"
#include "tpm/verify/random_source.h"
#include "vigil/v1/evidence.pb.h"

namespace vigil::service {

enum class IssuedClaimsPlacement {
  kNested,    // {"x-ms-policy": {...}} (Azure Attestation since ~2023)
  kTopLevel,  // beside iss/exp (the 2021 HealthAttestation CSP samples)
};

struct AttestationCoreOptions {
  std::string issuer;  // "https://verifier.example:8443", no trailing slash
  absl::Duration default_token_lifetime = absl::Hours(8);
  // Tokens never outlive this (the key ring keeps retired keys published for
  // this long); a policy asking for more is capped, with a warning reason.
  absl::Duration max_token_lifetime = absl::Hours(24);
  IssuedClaimsPlacement placement = IssuedClaimsPlacement::kNested;
  // Memory for memoized policy decisions (see the file comment); 0: every
  // attestation evaluates the policy. An entry is charged its issued claims
  // and reasons plus bookkeeping, ~0.3-1 KB for a policy that issues a few
  // claims: the default holds tens of thousands of devices' decisions.
  size_t decision_memo_bytes = 32u << 20;
};

// What an attestation takes from evaluating the policy over its claim set
// (AttestationCore's memo holds these). Immutable once made.
struct PolicyDecision {
  bool permitted = false;
  // Denied: "policy/denied" naming the deciding rule, then each
  // authorization rule's first condition that matched nothing.
  std::vector<Reason> refusals;
  // The effective properties (require_valid_aik_cert,
  // report_validity_in_minutes, ...), and whether the issuance rules set
  // report_validity_in_minutes with issueproperty().
  policy::PolicyProperties properties;
  bool lifetime_issued = false;
  // The issued claims, by type (arrays for types issued more than once).
  nlohmann::ordered_json issued = nlohmann::ordered_json::object();
};

// What one attestation produced. `permitted` implies a token.
struct AttestationOutcome {
  bool permitted = false;
  // Not kNo: not a decision. The evidence named a log whose verdict alone
  // could not decide this round, and the caller may ask for the log
  // (AttestOptions::may_ask_for_log). reasons[0] is eventlog/log_unknown;
  // neither counted as an attestation nor observed (audit, store).
  //   kOtherPcrValues  the verdict is for other PCR values and the parsed
  //                    log is gone (PCRs that move between rounds will
  //                    keep needing it)
  //   kUndecided       no decision memoized for this policy and these
  //                    claims (a policy change, an evicted decision)
  enum class LogNeeded { kNo, kOtherPcrValues, kUndecided };
  LogNeeded log_needed = LogNeeded::kNo;
  std::string token;
  std::string device_id;
  std::string jti;  // also the audit id when no token was issued
  absl::Time expires_at = absl::InfinitePast();
  // Refusals first (when denied), then warnings.
  std::vector<Reason> reasons;
  // For people and audit: the issued claims and the policy hash (the scalar
  // incoming claims: ClaimsSummary()).
  nlohmann::ordered_json issued;
  std::string policy_hash;
  // The verdict on the event log the evidence replayed, as the verifier
  // holds it (null when the evidence was refused before or at the replay):
  // the next round's AttestationRequest names its digest as known.
  std::shared_ptr<const CachedReplay> replay;
  // The incoming claims the policy was evaluated over (null when the
  // evidence was refused before claims were built), shared, not copied:
  // the control plane keeps them per device for dry runs, serialising them
  // on its recorder thread.
  std::shared_ptr<const policy::ClaimSet> claim_set;
  // BuiltClaims::source_key of claim_set: equal keys, equal claims.
  std::string claims_key;

  // The scalar incoming claims as JSON ({"aikValidated": true, ...};
  // ScalarClaimsJson of claim_set), made when asked for: null when there
  // is no claim set.
  nlohmann::ordered_json ClaimsSummary() const;
};

struct AttestOptions {
  std::string relying_party_nonce;  // copied to the token's "nonce"
  // The verdict on the log this round's request named
  // (known_event_log_sha256), kept alive until the evidence arrives; see
  // EvidenceVerifier::Verify.
  std::shared_ptr<const CachedReplay> known_log;
  // The caller will ask the agent for its log when the round needs it (a
  // stream whose request named the log): such a round comes back with
  // log_needed instead of being decided as a denial.
  bool may_ask_for_log = false;
};

class AttestationCore {
 public:
  // Pointers must outlive the core; `metrics` may be null (every outcome
  // is counted there when it is not). All members are thread-safe, so one
  // core serves every connection.
  AttestationCore(EvidenceVerifier* evidence, PolicySet* policies,
                  const token::JwtSigner* signer, const Clock* clock,
                  tpm::RandomSource* rng, AttestationCoreOptions options,
                  VerifierMetrics* metrics = nullptr)
      : evidence_(evidence),
        policies_(policies),
        signer_(signer),
        clock_(clock),
        rng_(rng),
        options_(std::move(options)),
        metrics_(metrics),
        decisions_(options_.decision_memo_bytes) {}

  // The PCRs the Tpm policy in force requires (required_pcr_mask).
  uint32_t RequiredPcrMask() const;
  // Whether the Tpm policy in force may read the `events` claim
  // (ActivePolicy::reads_events): only then can a round decided from a held
  // verdict, without the log, need the log for want of a memoized decision.
  bool PolicyReadsEvents() const;

  // The verdict held for the log `digest` (to name in a request), or null.
  std::shared_ptr<const CachedReplay> FindVerdict(
      const LogDigest& digest) const {
    return evidence_->FindVerdict(digest);
  }
  // The replayed log held under `digest`, or null.
  std::shared_ptr<const HeldLog> FindHeldLog(const LogDigest& digest) const {
    return evidence_->FindHeldLog(digest);
  }

  // Attests `device` with `evidence` (answering a nonce this verifier
  // issued). Never fails as a Status: refusals are reasons, including
  // internal faults (stage "token", code "internal") so the agent learns
  // that it was not its fault.
  AttestationOutcome Attest(const EnrolledDevice& device,
                            const v1::Evidence& evidence,
                            const AttestOptions& options = {}) const;

  const AttestationCoreOptions& options() const { return options_; }

  // Memoized policy decisions (the file comment), for gauges and tests.
  const BudgetedCache<PolicyDecision>& decision_memo() const {
    return decisions_;
  }

  // Called with every outcome (permitted or not) after Attest decided it:
  // the control plane records it as an audit event and as the device's
  // latest attestation. Set before the core serves (not synchronised);
  // runs on the attesting thread, so it must be quick (queue, not write).
  void SetObserver(std::function<void(const AttestationOutcome&)> observer) {
    observer_ = std::move(observer);
  }

 private:
  AttestationOutcome Decide(const EnrolledDevice& device,
                            const v1::Evidence& evidence,
                            const AttestOptions& options) const;
  // The decision of `policy` over `claims` (whose source key is
  // `claims_key`; empty: not memoized), from the memo or evaluated; null
  // when it is not memoized and `may_evaluate` is false (the claims lack
  // what the policy may read: BuiltClaims::events_absent and
  // log_claims_absent). Fails only as policy::Evaluate
  // does (a function error in the policy), which is not memoized.
  absl::StatusOr<std::shared_ptr<const PolicyDecision>> DecidePolicy(
      const ActivePolicy& policy, const policy::ClaimSet& claims,
      const std::string& claims_key, bool may_evaluate) const;

  EvidenceVerifier* evidence_;
  PolicySet* policies_;
  const token::JwtSigner* signer_;
  const Clock* clock_;
  tpm::RandomSource* rng_;
  AttestationCoreOptions options_;
  VerifierMetrics* metrics_;
  std::function<void(const AttestationOutcome&)> observer_;
  // Keyed by the policy's hash and the claim set's source key.
  mutable BudgetedCache<PolicyDecision> decisions_;
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_ATTESTATION_CORE_H_
