// File: service/verifier/enrollment.h
// -----------------------------------------------------------------------------
// Enrolment by credential activation (TPM 2.0 Part 1 §24; issue #5 §1): the
// verifier checks the EK (ek_trust.h) and that the AK public area describes
// an attestation key (tpm/verify/ak_checks.h), then encrypts a secret to the
// EK bound to the AK's Name with TPM2_MakeCredential. Only a TPM holding both
// that EK and that AK can recover the secret with TPM2_ActivateCredential, so
// a correct answer proves the AK lives in the EK's TPM.
//
// Stateless like the nonces: secret = HMAC(key, "vigil enrol v1", device_id,
// AK Name, ticket) where the ticket (handed to the agent and back) carries
// the time of the challenge. Any replica with the key can complete an
// enrolment another started, and nothing is stored until it completes.
#ifndef VIGIL_SERVICE_VERIFIER_ENROLLMENT_H_
#define VIGIL_SERVICE_VERIFIER_ENROLLMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "service/verifier/ek_trust.h"
#include "service/verifier/hmac_key.h"
#include "service/verifier/verifier_metrics.h"
#include "tpm/verify/ak_checks.h"
#include "tpm/verify/make_credential.h"
#include "tpm/verify/random_source.h"
#include "tpm/wire/public_area.h"
#include "vigil/v1/attestation_service.pb.h"

namespace vigil::service {

// A device whose AK was proven to live in its EK's TPM.
struct EnrolledDevice {
  std::string device_id;  // DeviceIdForEk(ek)
  tpm::PublicArea ek;
  tpm::PublicArea ak;
  std::vector<uint8_t> ak_name;  // nameAlg || H(TPMT_PUBLIC)
  // The EK chained to the trust bundle: the MAA claim aikValidated.
  bool aik_validated = false;
  std::string ek_issuer;
  std::string hostname;
  absl::Time enrolled_at;
};

struct EnrollmentOptions {
  EkVerifyOptions ek;
  tpm::AkRequirements ak;
  // How long the agent has to answer a challenge.
  absl::Duration challenge_lifetime = absl::Minutes(5);
};

struct EnrollmentChallenge {
  tpm::CredentialBlob credential;
  std::vector<uint8_t> ticket;
  std::string device_id;
};

class Enroller {
 public:
  // Every pointer must outlive the Enroller; `metrics` may be null (each
  // Begin and Complete is counted there when it is not).
  Enroller(const EkTrustStore* trust, const HmacKey* key, const Clock* clock,
           tpm::RandomSource* rng, EnrollmentOptions options = {},
           VerifierMetrics* metrics = nullptr)
      : trust_(trust),
        key_(key),
        clock_(clock),
        rng_(rng),
        options_(options),
        metrics_(metrics) {}

  // Checks the hello's EK (chain, key match) and AK (attributes), and makes
  // the credential challenge. Fails with the EkTrustStore::Verify errors,
  // kUnauthenticated when the AK is unfit ("AK rejected: ..."),
  // kInvalidArgument for an unparseable AK public area, kInternal when
  // randomness fails.
  absl::StatusOr<EnrollmentChallenge> Begin(const v1::AgentHello& hello) const;

  // Checks the agent's answer: the same hello as Begin (re-verified: nothing
  // was stored), the ticket from the challenge, and the secret
  // TPM2_ActivateCredential returned. Fails as Begin, and with
  // kUnauthenticated for an expired or malformed ticket ("enrolment: the
  // challenge expired 12s ago") or a wrong secret ("enrolment: credential
  // activation failed: the AK is not in the EK's TPM").
  absl::StatusOr<EnrolledDevice> Complete(
      const v1::AgentHello& hello, absl::Span<const uint8_t> ticket,
      absl::Span<const uint8_t> secret) const;

 private:
  struct Checked {
    TrustedEk ek;
    tpm::PublicArea ak;
    std::vector<uint8_t> ak_name;
  };
  absl::StatusOr<Checked> Check(const v1::AgentHello& hello) const;
  absl::StatusOr<std::vector<uint8_t>> Secret(
      const Checked& c, absl::Span<const uint8_t> ticket) const;
  absl::StatusOr<EnrollmentChallenge> Challenge(
      const v1::AgentHello& hello) const;
  absl::StatusOr<EnrolledDevice> Activate(
      const v1::AgentHello& hello, absl::Span<const uint8_t> ticket,
      absl::Span<const uint8_t> secret) const;

  const EkTrustStore* trust_;
  const HmacKey* key_;
  const Clock* clock_;
  tpm::RandomSource* rng_;
  EnrollmentOptions options_;
  VerifierMetrics* metrics_;
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_ENROLLMENT_H_
