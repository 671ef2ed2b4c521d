// File: service/verifier/verifier_metrics.h
// -----------------------------------------------------------------------------
// VerifierMetrics: what vigil-verifier tells Prometheus (docs/VERIFIER.md
// "Metrics" lists them with the alerts they are for). The core counts what
// it decides (attestations, the stage/code of each denial, replay findings
// per PCR, enrolment steps, how long Attest took); service/grpc counts open
// agent streams; the control plane adds its recorder's figures. Labels take
// only values from closed sets (reason stage/code constants, PCR numbers,
// fixed words), never device ids or free text: cardinality stays bounded
// however large the fleet (and common/metrics.h caps each family anyway).
#ifndef VIGIL_SERVICE_VERIFIER_VERIFIER_METRICS_H_
#define VIGIL_SERVICE_VERIFIER_VERIFIER_METRICS_H_

#include <array>
#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "service/verifier/reason.h"

namespace vigil::service {

class VerifierMetrics {
 public:
  // Registers the families below; registry().status() is OK unless a name
  // in this file is wrong (verifier_metrics_test checks it is not).
  VerifierMetrics();

  metrics::Registry& registry() { return registry_; }
  const metrics::Registry& registry() const { return registry_; }

  // One decided attestation: its result, its first refusal (when denied)
  // by stage and code, every replay reason about a PCR, and how long the
  // core took (nonce check to signed token).
  void CountAttestation(bool permitted, const std::vector<Reason>& reasons,
                        absl::Duration took);
  // Enrolment steps: "challenge" (EK and AK checked, credential made) and
  // "activation" (the agent's answer checked), each "ok" or "refused".
  void CountEnrolment(absl::string_view step, bool ok);

  metrics::Gauge& agent_streams() { return agent_streams_; }
  metrics::Counter& agent_streams_refused() { return agent_streams_refused_; }
  metrics::Counter& policy_reloads(bool ok) {
    return ok ? policy_reloads_ok_ : policy_reloads_failed_;
  }
  // Policies evaluated (the rest of the attestations reused a memoized
  // decision: attestation_core.h).
  metrics::Counter& policy_evaluations() { return policy_evaluations_; }
  // Rounds not decided but asked again for the log
  // (AttestationOutcome::log_needed).
  metrics::Counter& logs_asked() { return logs_asked_; }
  metrics::Counter& signing_key_rotations() { return signing_key_rotations_; }
  // HTTPS connections the connection guard closed (service/http), by
  // listener ("http_listen", "metrics_listen") and reason ("timeout",
  // "client_limit").
  metrics::CounterFamily& http_connections_closed() {
    return http_connections_closed_;
  }

 private:
  static constexpr std::array<absl::string_view, 4> kReplayCodes = {
      "pcr_mismatch", "pcr_mismatch_not_required", "pcr_not_in_log", "quirk"};
  static constexpr int kPcrs = 24;
  metrics::Counter& ReplayFinding(absl::string_view code, int pcr);

  metrics::Registry registry_;
  metrics::CounterFamily& attestations_;
  metrics::Counter& permitted_;
  metrics::Counter& denied_;
  metrics::CounterFamily& denials_;
  metrics::CounterFamily& replay_findings_;
  metrics::Histogram& attest_seconds_;
  metrics::CounterFamily& enrolments_;
  metrics::Gauge& agent_streams_;
  metrics::Counter& agent_streams_refused_;
  metrics::CounterFamily& policy_reloads_;
  metrics::Counter& policy_reloads_ok_;
  metrics::Counter& policy_reloads_failed_;
  metrics::Counter& policy_evaluations_;
  metrics::Counter& logs_asked_;
  metrics::Counter& signing_key_rotations_;
  metrics::CounterFamily& http_connections_closed_;
  // ReplayFinding's series of the known codes, by code and PCR.
  std::array<std::atomic<metrics::Counter*>, kReplayCodes.size() * kPcrs>
      replay_cache_{};
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_VERIFIER_METRICS_H_
