#include "service/verifier/verifier.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "service/token/openid_metadata.h"

namespace vigil::service {

absl::StatusOr<std::unique_ptr<Verifier>> Verifier::Create(
    const VerifierOptions& options, const Clock* clock) {
  std::unique_ptr<Verifier> v(new Verifier(options, clock));
  if (!options.ek_trust_dir.empty()) {
    ASSIGN_OR_RETURN(EkTrustStore t,
                     EkTrustStore::LoadDirectory(options.ek_trust_dir));
    v->trust_.emplace(std::move(t));
  } else if (!options.ek_trust_pem.empty()) {
    ASSIGN_OR_RETURN(EkTrustStore t,
                     EkTrustStore::FromPem(options.ek_trust_pem));
    v->trust_.emplace(std::move(t));
  } else {
    return absl::InvalidArgumentError(
        "ek_trust_dir: required (the TPM manufacturer roots EK certificates "
        "must chain to)");
  }
  if (!options.hmac_key_file.empty()) {
    ASSIGN_OR_RETURN(HmacKey k, HmacKey::FromFile(options.hmac_key_file));
    v->hmac_.emplace(std::move(k));
  } else {
    ASSIGN_OR_RETURN(HmacKey k, HmacKey::Generate());
    v->hmac_.emplace(std::move(k));
  }
  v->nonces_ = std::make_unique<NonceIssuer>(
      &*v->hmac_, clock, &v->public_rng_, options.nonce_lifetime,
      NonceIssuer::RememberedFor(std::thread::hardware_concurrency(),
                                 options.nonce_lifetime));
  if (options.device_registry != nullptr) {
    v->registry_ = options.device_registry;
  } else {
    v->own_registry_ = std::make_unique<InMemoryDeviceRegistry>();
    v->registry_ = v->own_registry_.get();
  }
  EnrollmentOptions eo;
  eo.ek.allow_uncertified = options.allow_uncertified_ek;
  eo.challenge_lifetime = options.enrolment_lifetime;
  v->enroller_ = std::make_unique<Enroller>(&*v->trust_, &*v->hmac_, clock,
                                            &v->rng_, eo, &v->metrics_);
  v->evidence_ = std::make_unique<EvidenceVerifier>(
      v->nonces_.get(), v->registry_, tpm::AkRequirements{},
      options.replay_cache_bytes);
  if (!options.policy_path.empty()) {
    RETURN_IF_ERROR(v->policies_.Load(options.policy_path, clock->Now()));
  }
  absl::StatusOr<token::SigningKey> key = v->LoadSigningKey();
  if (!key.ok()) return key.status();
  v->token_algorithm_ = key->algorithm();
  token::KeyRingOptions ro;
  ro.max_token_lifetime = options.core.max_token_lifetime;
  ro.signer.certificate_header = options.certificate_header;
  ASSIGN_OR_RETURN(v->key_ring_,
                   token::KeyRing::Create(*std::move(key), *clock, ro));
  // The issuer must be a URL relying parties can fetch metadata from.
  ASSIGN_OR_RETURN(std::string metadata, v->OpenIdConfiguration());
  (void)metadata;
  v->core_ = std::make_unique<AttestationCore>(
      v->evidence_.get(), &v->policies_, v->key_ring_.get(), clock,
      &v->public_rng_, options.core, &v->metrics_);
  v->RegisterGauges();
  RETURN_IF_ERROR(v->metrics_.registry().status());
  return v;
}

void Verifier::RegisterGauges() {
  metrics::Registry& r = metrics_.registry();
  // Read at scrape time from components the Verifier owns. They are
  // destroyed before the registry (metrics_ is declared first), which is
  // harmless as long as nothing renders during ~Verifier: main destroys
  // the metrics endpoint first.
  const NonceIssuer* nonces = nonces_.get();
  r.AddGaugeCallback(
      "vigil_nonces_remembered",
      "Accepted nonces remembered until they expire (replay protection; "
      "expired ones are forgotten as attestations arrive); at "
      "vigil_nonces_remembered_max new attestations are refused.",
      [nonces] { return static_cast<double>(nonces->remembered()); });
  r.AddGaugeCallback(
      "vigil_nonces_remembered_max", "The bound on vigil_nonces_remembered.",
      [nonces] { return static_cast<double>(nonces->max_remembered()); });
  const ReplayCache* replays = &evidence_->replay_cache();
  r.AddGaugeCallback(
      "vigil_event_logs_held",
      "Event logs whose replay verdict is held, so an agent can name an "
      "unchanged log instead of sending it.",
      [replays] { return static_cast<double>(replays->size()); });
  r.AddGaugeCallback(
      "vigil_event_logs_held_parsed",
      "Of the held event logs, those also held parsed: what a round needs "
      "for other PCR values or a policy decision not yet memoized (without "
      "it, the agent is asked to send the log).",
      [replays] { return static_cast<double>(replays->logs()); });
  r.AddGaugeCallback(
      "vigil_event_logs_held_bytes",
      "Memory charged to the held event logs, verdicts and parsed (the "
      "budget is event_log_cache_mb, half for each).",
      [replays] { return static_cast<double>(replays->charged_bytes()); });
  const BudgetedCache<PolicyDecision>* decisions = &core_->decision_memo();
  r.AddGaugeCallback(
      "vigil_policy_decisions_held",
      "Policy decisions memoized by (policy, claim set): a device "
      "re-attesting in the same boot under the same policy reuses its "
      "decision instead of evaluating the policy again.",
      [decisions] { return static_cast<double>(decisions->size()); });
  r.AddGaugeCallback(
      "vigil_policy_decisions_held_bytes",
      "Memory charged to the memoized policy decisions (the budget is "
      "policy_decision_cache_mb).",
      [decisions] { return static_cast<double>(decisions->charged_bytes()); });
  const PolicySet* policies = &policies_;
  r.AddGaugeCallback(
      "vigil_policy_generation",
      "Generation of the policies in force (moves when a reload or the "
      "control plane changes them).",
      [policies] { return static_cast<double>(policies->generation()); });
}

absl::StatusOr<std::string> Verifier::OpenIdConfiguration() const {
  token::OpenIdMetadataOptions o;
  o.signing_algorithms = std::vector<token::JwsAlgorithm>{token_algorithm_};
  return token::RenderOpenIdConfiguration(options_.core.issuer, o);
}

absl::StatusOr<token::SigningKey> Verifier::LoadSigningKey() const {
  absl::StatusOr<token::SigningKey> key =
      options_.signing_key_file.empty()
          ? token::SigningKey::Generate(options_.token_algorithm)
          : token::SigningKey::LoadPemFile(options_.signing_key_file);
  if (key.ok() && !options_.signing_chain_file.empty()) {
    key = key->WithCertificateChainPemFile(options_.signing_chain_file);
  }
  return key;
}

absl::StatusOr<bool> Verifier::ReloadSigningKey() {
  if (options_.signing_key_file.empty()) {
    return absl::FailedPreconditionError(
        "signing key was generated at start (no signing_key file to reload)");
  }
  ASSIGN_OR_RETURN(token::SigningKey key, LoadSigningKey());
  if (key.kid() == key_ring_->current_kid()) return false;
  if (key.algorithm() != token_algorithm_) {
    // The metadata lists one algorithm; relying parties that pinned it would
    // refuse the new tokens.
    return absl::InvalidArgumentError(absl::StrCat(
        options_.signing_key_file, ": the new key is ",
        token::JwsAlgorithmName(key.algorithm()), ", the key in force ",
        token::JwsAlgorithmName(token_algorithm_),
        "; change algorithms with a restart"));
  }
  RETURN_IF_ERROR(key_ring_->Rotate(std::move(key)));
  metrics_.signing_key_rotations().Increment();
  return true;
}

absl::Status Verifier::ReloadPolicies() {
  if (options_.policy_path.empty()) return absl::OkStatus();
  absl::Status s = policies_.Load(options_.policy_path, clock_->Now());
  metrics_.policy_reloads(s.ok()).Increment();
  return s;
}

}  // namespace vigil::service
