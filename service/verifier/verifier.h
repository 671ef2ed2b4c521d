// File: service/verifier/verifier.h
// -----------------------------------------------------------------------------
// Verifier: the verifier core assembled from its options: trust bundle, HMAC
// key, nonce issuer, device registry, enroller, evidence verifier, policies,
// token key ring and the attestation core. No network: service/grpc serves
// it, tests and the load generator call it in process.
#ifndef VIGIL_SERVICE_VERIFIER_VERIFIER_H_
#define VIGIL_SERVICE_VERIFIER_VERIFIER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "service/token/key_ring.h"
#include "service/verifier/attestation_core.h"
#include "service/verifier/device_registry.h"
#include "service/verifier/ek_trust.h"
#include "service/verifier/enrollment.h"
#include "service/verifier/evidence_verifier.h"
#include "service/verifier/hmac_key.h"
#include "service/verifier/nonce_issuer.h"
#include "service/verifier/policy_set.h"
#include "service/verifier/verifier_metrics.h"
#include "tpm/verify/random_source.h"

namespace vigil::service {

struct VerifierOptions {
  // TPM manufacturer roots (and pinned intermediates): a directory, or PEM
  // text (tests). One of the two is required.
  std::string ek_trust_dir;
  std::string ek_trust_pem;
  bool allow_uncertified_ek = false;
  // The HMAC key shared by replicas (hex/base64 file); empty: a random key
  // (one replica; nonces die with the process).
  std::string hmac_key_file;
  // Policies: a <Type>.policy directory or one Tpm policy file; empty: the
  // built-in default.
  std::string policy_path;
  // Token signing: a PEM private key (ES256 P-256 or RS256 RSA); empty: a
  // key generated at start (development: tokens stop verifying after a
  // restart). `token_algorithm` only applies to generated keys.
  std::string signing_key_file;
  std::string signing_chain_file;  // PEM chain for x5c/x5t, leaf first
  token::JwsAlgorithm token_algorithm = token::JwsAlgorithm::kEs256;
  token::CertificateHeader certificate_header = token::CertificateHeader::kNone;
  AttestationCoreOptions core;  // issuer, lifetimes, claim placement
  absl::Duration nonce_lifetime = absl::Minutes(2);
  absl::Duration enrolment_lifetime = absl::Minutes(5);
  // Memory for event logs held between attestations (an agent whose log's
  // verdict is held names it instead of sending it; replay_cache.h): half
  // for verdicts (~5 KB each: the default keeps ~13,000), half for logs
  // held parsed (3 bytes per log byte: ~490 45-KB logs). 0: every round
  // carries its log.
  size_t replay_cache_bytes = EvidenceVerifier::kDefaultReplayCacheBytes;
  // Where enrolled devices and their TPM clocks are kept: the control
  // plane's store (shared by replicas; must outlive the verifier), or null
  // for an in-memory registry of this process.
  DeviceRegistry* device_registry = nullptr;
};

class Verifier {
 public:
  // Builds every component. Fails with the first component's error
  // (kNotFound / kInvalidArgument naming the file or setting); nothing is
  // served by a Verifier that failed to build.
  static absl::StatusOr<std::unique_ptr<Verifier>> Create(
      const VerifierOptions& options, const Clock* clock);

  Enroller& enroller() { return *enroller_; }
  DeviceRegistry& registry() { return *registry_; }
  NonceIssuer& nonces() { return *nonces_; }
  PolicySet& policies() { return policies_; }
  token::KeyRing& key_ring() { return *key_ring_; }
  AttestationCore& core() { return *core_; }
  const VerifierOptions& options() const { return options_; }
  const Clock& clock() const { return *clock_; }
  // Counters, gauges and histograms for Prometheus (verifier_metrics.h);
  // the server and the control plane add theirs before serving.
  VerifierMetrics& metrics() { return metrics_; }
  // The OpenID metadata and JWKS documents relying parties fetch.
  absl::StatusOr<std::string> OpenIdConfiguration() const;
  std::string Jwks() const { return key_ring_->JwksJson(); }

  // Re-reads the policies from options().policy_path (SIGHUP). On error the
  // policies in force stay and the error says which file and line.
  absl::Status ReloadPolicies();

  // Re-reads options().signing_key_file (SIGHUP). A key with a new kid
  // becomes the signing key; the previous one stays in the JWKS until every
  // token it signed has expired (token::KeyRing::Rotate), so relying parties
  // never see a valid token they cannot check. Returns whether the key
  // changed. Fails (key in force unchanged) when the file cannot be loaded;
  // kFailedPrecondition when the key was generated at start (no file).
  absl::StatusOr<bool> ReloadSigningKey();

 private:
  explicit Verifier(VerifierOptions options, const Clock* clock)
      : options_(std::move(options)), clock_(clock) {}

  VerifierOptions options_;
  const Clock* clock_;
  // Before every component that counts in it (they are destroyed first).
  VerifierMetrics metrics_;
  tpm::OpenSslRandomSource rng_;  // secrets (enrolment)
  // Nonces and token ids: unpredictable, then published.
  tpm::BufferedRandomSource public_rng_{&rng_};
  std::optional<EkTrustStore> trust_;
  std::optional<HmacKey> hmac_;
  std::unique_ptr<NonceIssuer> nonces_;
  std::unique_ptr<InMemoryDeviceRegistry> own_registry_;
  DeviceRegistry* registry_ = nullptr;
  std::unique_ptr<Enroller> enroller_;
  std::unique_ptr<EvidenceVerifier> evidence_;
  PolicySet policies_;
  std::unique_ptr<token::KeyRing> key_ring_;
  token::JwsAlgorithm token_algorithm_ = token::JwsAlgorithm::kEs256;
  absl::StatusOr<token::SigningKey> LoadSigningKey() const;
  void RegisterGauges();
  std::unique_ptr<AttestationCore> core_;
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_VERIFIER_H_
