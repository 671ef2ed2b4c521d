// File: service/verifier/claims_builder.h
// -----------------------------------------------------------------------------
// VerifiedEvidence -> the incoming claim set a policy is evaluated over
// (maa-spec §3.1, §3.2), issuer AttestationService:
//   aikValidated       the EK chained to the trust bundle when the AK was
//                      enrolled (credential activation)
//   aikPubHash         base64(SHA-256(DER SubjectPublicKeyInfo of the AK))
//                      (§3.1 leaves DER SPKI vs RSAPublicKey open; SPKI is
//                      the one encoding both RSA and ECC keys have)
//   tpmVersion         2
//   secureBootEnabled, bootDebuggingDisabled, notSafeMode, notWinPE,
//   vbsEnabled, iommuEnabled, ... (eventlog/claims.h, from trusted events)
//   events             the {"Events":[...]} JSON of the replayed log
//   pcrs               the {"PCRs":[...]} JSON of the quoted PCRs, read-only
// Claims the log cannot support (their PCRs unverified) are absent and come
// back as notes, so a denial can say why a claim was missing.
#ifndef VIGIL_SERVICE_VERIFIER_CLAIMS_BUILDER_H_
#define VIGIL_SERVICE_VERIFIER_CLAIMS_BUILDER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "policy/claim.h"
#include "service/verifier/evidence_verifier.h"
#include "service/verifier/reason.h"

namespace vigil::service {

// What a replay yields for the claim set, kept in its CachedReplay (made
// once per replay, not per attestation): the log's claims in derivation
// order and the notes for what was underivable. (The pcrs claim is made per
// round from the quote: its JSON is ~13 KB, more than the rest of a device's
// verdict.)
struct LogClaims {
  std::vector<std::pair<std::string, policy::Value>> claims;
  std::vector<Reason> notes;
};

struct BuiltClaims {
  policy::ClaimSet claims;
  // stage "claims", code "underivable": one per cause.
  std::vector<Reason> notes;
  // SHA-256 over everything the claim set is made from: aikValidated,
  // aikPubHash, the log digest and the round's PCR values (PcrValuesKey,
  // for the `pcrs` claim); the log's claims are a function of the replay
  // (LogClaims), which is a function of those. Equal keys mean equal claims
  // within one build of the verifier, so the control plane serialises a
  // device's claims for the store only when the key moves. Empty when it
  // cannot be computed (then nothing may be assumed). A claim added here
  // from anything else must go into the key too.
  std::string source_key;
  // The same as source_key but for the PCR values, of which it takes only
  // the replay's key (ReplayKey): everything but the `pcrs` claim is the
  // same for equal keys, so a decision memoized under it serves a policy
  // that cannot read `pcrs` (AttestationCore::Decide) also after a PCR the
  // log never extends moved (IMA's PCR 10). Empty when source_key is.
  std::string decision_key;
  // The round was decided from a held verdict without the log, so the set
  // lacks what needs the log's events: the `events` claim (events_absent),
  // and the log's claims when they were not made yet (log_claims_absent;
  // then they are absent, not underivable, and source_key is empty). A
  // policy may be evaluated over such a set only when it cannot read
  // `events` and the log's claims are there; otherwise only a decision
  // memoized for the same key may be used (AttestationCore::Decide).
  bool events_absent = false;
  bool log_claims_absent = false;
};

// The log's claims (eventlog::DeriveClaims) as LogClaims. Never fails.
std::shared_ptr<const LogClaims> MakeLogClaims(
    const eventlog::ReplayedLog& log);

// Never fails: a claim that cannot be built is absent and noted (or, for
// want of the log, BuiltClaims::events_absent / log_claims_absent).
BuiltClaims BuildClaims(const VerifiedEvidence& evidence);

// The scalar claims of `claims` as JSON ({"aikValidated": true, ...}), in
// order, for people and the journal: the JSON-valued claims (events, pcrs)
// and Sets are left out. Made when asked for, not per attestation (~20 JSON
// members, most rounds never shown). Never fails.
nlohmann::ordered_json ScalarClaimsJson(const policy::ClaimSet& claims);

// The `events` claim of a replayed log (maa-spec.md §3.3), rendered only
// when a policy reads it. Also what a dry run over a device's kept claims
// gets while the verifier still holds the log.
policy::Value EventsClaim(std::shared_ptr<const eventlog::ReplayedLog> log);

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_CLAIMS_BUILDER_H_
