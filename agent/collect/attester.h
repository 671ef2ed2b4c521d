// File: agent/collect/attester.h
// -----------------------------------------------------------------------------
// Attester: what the agent's state machine needs from the device, in the
// vocabulary of the vigil.v1 protocol. EvidenceCollector (evidence_collector.h)
// implements it with the local TPM; tests substitute a fake, so the state
// machine runs without a TPM.

#ifndef VIGIL_AGENT_COLLECT_ATTESTER_H_
#define VIGIL_AGENT_COLLECT_ATTESTER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "vigil/v1/attestation_service.pb.h"
#include "vigil/v1/evidence.pb.h"

namespace vigil::agent {

// The device side of the Connect dialogue (attestation_service.proto).
// Not thread-safe: one owner (the state machine) calls it. Every failure is a
// Status: kUnavailable when the TPM (or the event log) is unreachable and a
// later call may succeed, kInvalidArgument when the verifier's message cannot
// be answered (bad nonce, a credential not made for this TPM), other codes as
// tpm/device reports them.
class Attester {
 public:
  virtual ~Attester() = default;

  // Hello(): the agent's identity for AgentHello: EK certificate(s) (or only
  // the EK public area when the TPM holds none), the AK public area, TPM
  // information. Loads the AK, creating it under the EK when absent.
  virtual absl::StatusOr<v1::AgentHello> Hello() = 0;

  // Activate(challenge): TPM2_ActivateCredential on the verifier's challenge;
  // the recovered secret is SECRET (never log it).
  virtual absl::StatusOr<v1::CredentialResponse> Activate(
      const v1::CredentialChallenge& challenge) = 0;

  // Collect(request): quotes over request.nonce of the requested PCRs in
  // every allocated bank, with the PCR values, the event log, TPM info and
  // boot counters. UNVERIFIED by construction: the verifier checks it.
  virtual absl::StatusOr<v1::Evidence> Collect(
      const v1::AttestationRequest& request) = 0;

  // ResetCount(): the TPM's resetCount (TPMS_CLOCK_INFO, Part 2 §10.11.1),
  // which changes on every TPM Reset, i.e. every boot.
  virtual absl::StatusOr<uint32_t> ResetCount() = 0;
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_COLLECT_ATTESTER_H_
