#include "service/verifier/attestation_core.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "policy/evaluator.h"
#include "service/token/raw_jwt.h"
#include "service/verifier/claims_builder.h"

namespace vigil::service {
namespace {

// maa-spec §3.5: nbf is back-dated five minutes for relying parties whose
// clocks run behind.
constexpr absl::Duration kNotBeforeSkew = absl::Minutes(5);

constexpr policy::EvaluateOptions kDecisionOnly = {.explain = false};

Reason Internal(absl::string_view what, const absl::Status& s) {
  return Reason::Of("token", "internal", absl::StrCat(what, ": ", s.message()));
}

// Why `eval` (evaluated with its explain trace) did not permit: the
// deciding rule, then, for "no permit() fired", each authorization rule's
// first condition that matched nothing — what the device lacked.
std::vector<Reason> DenialReasons(const policy::EvaluationResult& eval) {
  Reason r = Reason::Of("policy", "denied", eval.reason);
  if (eval.deciding_rule.line > 0) {
    r.rule =
        absl::StrCat(eval.deciding_rule.line, ":", eval.deciding_rule.column);
    for (const policy::RuleTrace& t : eval.trace) {
      if (t.location.line == eval.deciding_rule.line &&
          t.location.column == eval.deciding_rule.column) {
        r.rule_text = t.text;
      }
    }
  }
  std::vector<Reason> why = {std::move(r)};
  for (const policy::RuleTrace& t : eval.trace) {
    if (t.section != policy::ast::SectionKind::kAuthorization ||
        t.outcome != policy::RuleTrace::Outcome::kNotFired ||
        t.unmatched_condition < 0) {
      continue;
    }
    Reason u =
        Reason::Of("policy", "condition_unmatched",
                   absl::StrCat(t.unmatched_is_absence ? "claim present: "
                                                       : "no claim matched ",
                                t.unmatched_text));
    u.rule = absl::StrCat(t.location.line, ":", t.location.column);
    u.rule_text = t.text;
    why.push_back(std::move(u));
  }
  return why;
}

// The heap a JSON value holds (an estimate; its own 16-byte node is counted
// by its parent): strings, arrays and objects each own a heap object, and
// their vectors' spare capacity is memory too. No dump(): an issued claim
// may hold bytes that are not UTF-8, which dump() rejects by raising (the token
// step refuses them with a reason).
size_t JsonHeapBytes(const nlohmann::ordered_json& j) {
  using Json = nlohmann::ordered_json;
  constexpr size_t kMallocOverhead = 16;
  switch (j.type()) {
    case Json::value_t::string:
      return kMallocOverhead + sizeof(Json::string_t) +
             j.get_ref<const Json::string_t&>().capacity();
    case Json::value_t::binary:
      return kMallocOverhead + sizeof(Json::binary_t) +
             j.get_binary().capacity();
    case Json::value_t::array: {
      const auto& a = j.get_ref<const Json::array_t&>();
      size_t n = 2 * kMallocOverhead + sizeof(Json::array_t) +
                 a.capacity() * sizeof(Json);
      for (const Json& e : a) n += JsonHeapBytes(e);
      return n;
    }
    case Json::value_t::object: {
      const auto& o = j.get_ref<const Json::object_t&>();
      size_t n = 2 * kMallocOverhead + sizeof(Json::object_t) +
                 o.capacity() * sizeof(Json::object_t::value_type);
      for (const auto& [key, value] : o) {
        n += key.capacity() + JsonHeapBytes(value);
      }
      return n;
    }
    default:
      return 0;
  }
}

// What a memoized decision is charged: an estimate of its heap, its key
// and the memo's bookkeeping.
size_t DecisionCharge(const PolicyDecision& d, const std::string& key) {
  // The cache's heap entry and index slot, the shared_ptr's control block.
  constexpr size_t kEntryOverhead = 160;
  size_t bytes = kEntryOverhead + sizeof(PolicyDecision) + key.capacity() +
                 JsonHeapBytes(d.issued) +
                 d.refusals.capacity() * sizeof(Reason);
  for (const Reason& r : d.refusals) bytes += ReasonHeapBytes(r);
  return bytes;
}

}  // namespace

nlohmann::ordered_json AttestationOutcome::ClaimsSummary() const {
  if (claim_set == nullptr) return nullptr;
  return ScalarClaimsJson(*claim_set);
}

uint32_t AttestationCore::RequiredPcrMask() const {
  std::shared_ptr<const ActivePolicy> p = policies_->Get(kAttestationTypeTpm);
  return p == nullptr ? static_cast<uint32_t>(
                            policy::PolicyProperties().required_pcr_mask)
                      : static_cast<uint32_t>(p->properties.required_pcr_mask);
}

bool AttestationCore::PolicyReadsEvents() const {
  std::shared_ptr<const ActivePolicy> p = policies_->Get(kAttestationTypeTpm);
  return p != nullptr && p->reads_events;
}

AttestationOutcome AttestationCore::Attest(const EnrolledDevice& device,
                                           const v1::Evidence& evidence,
                                           const AttestOptions& options) const {
  // Steady time: the injected Clock is the token's (tests fix it).
  const auto start = std::chrono::steady_clock::now();
  AttestationOutcome out = Decide(device, evidence, options);
  if (out.log_needed != AttestationOutcome::LogNeeded::kNo) {
    if (metrics_ != nullptr) metrics_->logs_asked().Increment();
    return out;
  }
  if (metrics_ != nullptr) {
    metrics_->CountAttestation(
        out.permitted, out.reasons,
        absl::FromChrono(std::chrono::steady_clock::now() - start));
  }
  if (observer_) observer_(out);
  return out;
}

absl::StatusOr<std::shared_ptr<const PolicyDecision>>
AttestationCore::DecidePolicy(const ActivePolicy& policy,
                              const policy::ClaimSet& claims,
                              const std::string& claims_key,
                              bool may_evaluate) const {
  // The hash has a fixed length (43 base64url characters), so the two parts
  // cannot run together.
  std::string key;
  if (decisions_.budget_bytes() > 0 && !claims_key.empty() &&
      !policy.hash.empty()) {
    key = absl::StrCat(policy.hash, claims_key);
    if (std::shared_ptr<const PolicyDecision> hit = decisions_.Find(key)) {
      return hit;
    }
  }
  if (!may_evaluate) return nullptr;
  if (metrics_ != nullptr) metrics_->policy_evaluations().Increment();
  absl::StatusOr<policy::EvaluationResult> eval =
      policy::Evaluate(policy.compiled, claims, kDecisionOnly);
  // Most devices pass; the explain trace (which rule, which condition
  // matched nothing) is only needed to say why one did not, so a denial is
  // evaluated a second time with it (same claims, same result).
  if (eval.ok() && !eval->permitted) {
    eval = policy::Evaluate(policy.compiled, claims);
  }
  if (!eval.ok()) return eval.status();
  auto made = std::make_shared<PolicyDecision>();
  made->permitted = eval->permitted;
  made->properties = eval->properties;
  for (const policy::OutputClaim& c : eval->issued) {
    made->issued[c.type] = c.value;
  }
  for (const policy::OutputClaim& c : eval->issued_properties) {
    if (c.type == policy::kReportValidityInMinutes) {
      made->lifetime_issued = true;
    }
  }
  if (!eval->permitted) made->refusals = DenialReasons(*eval);
  if (!key.empty()) {
    const size_t charge = DecisionCharge(*made, key);
    decisions_.Put(std::move(key), made, charge);
  }
  return made;
}

AttestationOutcome AttestationCore::Decide(const EnrolledDevice& device,
                                           const v1::Evidence& evidence,
                                           const AttestOptions& options) const {
  AttestationOutcome out;
  out.device_id = device.device_id;
  uint8_t jti[20];
  if (absl::Status s = rng_->Fill(absl::MakeSpan(jti)); !s.ok()) {
    out.reasons.push_back(Internal("jti", s));
    return out;
  }
  out.jti = HexEncode(jti);

  std::shared_ptr<const ActivePolicy> policy =
      policies_->Get(kAttestationTypeTpm);
  if (policy == nullptr) {
    out.reasons.push_back(Reason::Of("policy", "no_policy",
                                     "no policy for attestation type Tpm"));
    return out;
  }
  out.policy_hash = policy->hash;
  const uint32_t mask =
      static_cast<uint32_t>(policy->properties.required_pcr_mask);

  EvidenceOutcome verified =
      evidence_->Verify(device, evidence, mask, options.known_log);
  out.reasons = std::move(verified.reasons);
  out.replay = std::move(verified.replay);
  if (!verified.evidence.has_value()) {
    if (options.may_ask_for_log && verified.pcr_values_moved) {
      out.log_needed = AttestationOutcome::LogNeeded::kOtherPcrValues;
    }
    return out;
  }

  BuiltClaims claims = BuildClaims(*verified.evidence);
  out.reasons.insert(out.reasons.end(), claims.notes.begin(),
                     claims.notes.end());
  out.claim_set =
      std::make_shared<const policy::ClaimSet>(std::move(claims.claims));
  out.claims_key = std::move(claims.source_key);

  // Without the log (decided from a held verdict) the policy is evaluated
  // only if it cannot read the `events` claim that needs it: the set then
  // decides as the whole one would (policy::CompiledPolicy::
  // MayReadClaimType). Otherwise only a memoized decision serves.
  const bool may_evaluate =
      !claims.log_claims_absent &&
      (!claims.events_absent || !policy->reads_events);
  // A policy that cannot read `pcrs` decides the same for every value of
  // a PCR the log never extends: its decision is memoized without them.
  absl::StatusOr<std::shared_ptr<const PolicyDecision>> decided =
      DecidePolicy(*policy, *out.claim_set,
                   policy->reads_pcrs ? out.claims_key : claims.decision_key,
                   may_evaluate);
  if (decided.ok() && *decided == nullptr) {
    // Decided from a held verdict and no decision is memoized for it: the
    // policy may read what needs the events.
    out.reasons.insert(out.reasons.begin(),
                       Reason::Of("eventlog", "log_unknown",
                                  "this round needs the event log (the "
                                  "verifier holds only its verdict, and no "
                                  "decision for this policy and these "
                                  "claims); send the event log itself"));
    out.claim_set = nullptr;  // partial: not to be kept
    out.claims_key.clear();
    out.replay = nullptr;  // not accepted
    if (options.may_ask_for_log) {
      out.log_needed = AttestationOutcome::LogNeeded::kUndecided;
    }
    return out;
  }
  if (!decided.ok()) {
    // A function error in the policy: the policy author's problem, named.
    out.reasons.insert(out.reasons.begin(),
                       Reason::Of("policy", "evaluation_error",
                                  std::string(decided.status().message())));
    return out;
  }
  const PolicyDecision& decision = **decided;
  if (!decision.permitted) {
    out.reasons.insert(out.reasons.begin(), decision.refusals.begin(),
                       decision.refusals.end());
    return out;
  }
  if (decision.properties.require_valid_aik_cert && !device.aik_validated) {
    out.reasons.insert(
        out.reasons.begin(),
        Reason::Of("policy", "aik_not_validated",
                   "the policy requires a valid AIK certificate "
                   "(require_valid_aik_cert) but the device's EK has no "
                   "certificate from the trust bundle"));
    return out;
  }

  // The token.
  const absl::Time now = clock_->Now();
  absl::Duration lifetime =
      policy->report_validity_set || decision.lifetime_issued
          ? absl::Minutes(decision.properties.report_validity_in_minutes)
          : options_.default_token_lifetime;
  if (lifetime > options_.max_token_lifetime) {
    out.reasons.push_back(Reason::Of(
        "token", "lifetime_capped",
        absl::StrCat("report_validity_in_minutes asks for ",
                     absl::FormatDuration(lifetime), "; capped at ",
                     absl::FormatDuration(options_.max_token_lifetime))));
    lifetime = options_.max_token_lifetime;
  }
  const nlohmann::ordered_json& issued = decision.issued;
  out.issued = issued;

  token::RawJwtBuilder b;
  b.SetIssuer(options_.issuer)
      .SetIssuedAt(now)
      .SetNotBefore(now - kNotBeforeSkew)
      .SetExpiration(now + lifetime)
      .SetJwtId(out.jti)
      .AddClaim("sub", device.device_id)
      .AddClaim("x-ms-ver", "1.0")
      .AddClaim("x-ms-attestation-type", "tpm")
      .AddClaim("x-ms-policy-hash", policy->hash)
      .AddClaim("x-vigil-device",
                nlohmann::ordered_json{{"ak_name", HexEncode(device.ak_name)},
                                       {"aik_validated", device.aik_validated},
                                       {"ek_issuer", device.ek_issuer},
                                       {"hostname", device.hostname}});
  if (!options.relying_party_nonce.empty()) {
    b.AddClaim("nonce", options.relying_party_nonce);
  }
  if (options_.placement == IssuedClaimsPlacement::kNested) {
    b.AddClaim("x-ms-policy", issued);
  } else {
    // The verifier's own claims win: a policy cannot forge "exp" or "sub".
    static constexpr absl::string_view kReserved[] = {"iss",
                                                      "iat",
                                                      "nbf",
                                                      "exp",
                                                      "jti",
                                                      "sub",
                                                      "aud",
                                                      "nonce",
                                                      "x-ms-ver",
                                                      "x-ms-attestation-type",
                                                      "x-ms-policy-hash",
                                                      "x-vigil-device"};
    for (auto it = issued.begin(); it != issued.end(); ++it) {
      if (std::find(std::begin(kReserved), std::end(kReserved), it.key()) !=
          std::end(kReserved)) {
        out.reasons.push_back(Reason::Of(
            "token", "claim_dropped",
            absl::StrCat("issued claim \"", it.key(),
                         "\" collides with a token claim and was left out")));
        continue;
      }
      b.AddClaim(it.key(), it.value());
    }
  }
  absl::StatusOr<token::RawJwt> jwt = std::move(b).Build();
  if (!jwt.ok()) {
    out.reasons.insert(out.reasons.begin(),
                       Internal("token claims", jwt.status()));
    return out;
  }
  absl::StatusOr<std::string> signed_token = signer_->SignAndEncode(*jwt);
  if (!signed_token.ok()) {
    out.reasons.insert(out.reasons.begin(),
                       Internal("signing", signed_token.status()));
    return out;
  }
  out.permitted = true;
  out.token = *std::move(signed_token);
  out.expires_at = now + lifetime;
  return out;
}

}  // namespace vigil::service
