#include "service/verifier/verifier_metrics.h"

#include <algorithm>
#include <ctime>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace vigil::service {

VerifierMetrics::VerifierMetrics()
    : attestations_(registry_.AddCounterFamily(
          "vigil_attestations_total",
          "Attestations decided, by result (a permitted one has a token).",
          {"result"})),
      permitted_(attestations_.With({"permitted"})),
      denied_(attestations_.With({"denied"})),
      denials_(registry_.AddCounterFamily(
          "vigil_attestation_denials_total",
          "Denied attestations by the stage and code of their first reason "
          "(vigil.v1.Reason).",
          {"stage", "code"})),
      replay_findings_(registry_.AddCounterFamily(
          "vigil_replay_findings_total",
          "Attestations with a replay reason about a PCR (once per "
          "attestation, whatever the banks): pcr_mismatch (refused), "
          "pcr_mismatch_not_required, pcr_not_in_log, quirk.",
          {"code", "pcr"})),
      // 0.25 ms to ~4 s: an attestation with its log held takes ~0.1 ms of
      // CPU, a 45 KB log replayed ~0.5 ms, a slow store adds milliseconds.
      attest_seconds_(registry_.AddHistogram(
          "vigil_attestation_duration_seconds",
          "Time the verifier took to decide an attestation, from its "
          "evidence to the signed token (not the network).",
          metrics::ExponentialBounds(0.00025, 2, 15))),
      enrolments_(registry_.AddCounterFamily(
          "vigil_enrolments_total",
          "Enrolment steps: challenge (EK chain and AK checked) and "
          "activation (credential answer checked), ok or refused.",
          {"step", "result"})),
      agent_streams_(registry_.AddGauge("vigil_agent_streams",
                                        "Agent Connect streams open now.")),
      agent_streams_refused_(registry_.AddCounter(
          "vigil_agent_streams_refused_total",
          "Connect streams refused because max_streams were open.")),
      policy_reloads_(registry_.AddCounterFamily(
          "vigil_policy_reloads_total",
          "Policy reloads (SIGHUP), by result; a failed one leaves the "
          "policies in force.",
          {"result"})),
      policy_reloads_ok_(policy_reloads_.With({"ok"})),
      policy_reloads_failed_(policy_reloads_.With({"failed"})),
      policy_evaluations_(registry_.AddCounter(
          "vigil_policy_evaluations_total",
          "Policy evaluations run: attestations that reached the policy and "
          "found no memoized decision (a device's first round in a boot or "
          "under a new policy, an evicted decision, the memo off, or a "
          "policy error, which is never memoized).")),
      logs_asked_(registry_.AddCounter(
          "vigil_event_logs_asked_total",
          "Rounds whose evidence named a log the verifier held only the "
          "verdict of, when the round needed the log itself (other PCR "
          "values, a policy decision not memoized): the stream asked the "
          "agent again for the log instead of answering. Not counted as "
          "attestations.")),
      signing_key_rotations_(registry_.AddCounter(
          "vigil_signing_key_rotations_total",
          "Token signing keys rotated in (SIGHUP with a new key file).")),
      http_connections_closed_(registry_.AddCounterFamily(
          "vigil_http_connections_closed_total",
          "HTTPS connections closed by the verifier: timeout (no response "
          "within http_request_timeout) or client_limit (over "
          "http_connections_per_client).",
          {"listener", "reason"})) {
  const double start = static_cast<double>(std::time(nullptr));
  registry_.AddGaugeCallback(
      "process_start_time_seconds",
      "Start time of the process since the Unix epoch, in seconds.",
      [start] { return start; });
}

void VerifierMetrics::CountAttestation(bool permitted,
                                       const std::vector<Reason>& reasons,
                                       absl::Duration took) {
  (permitted ? permitted_ : denied_).Increment();
  if (!permitted && !reasons.empty()) {
    denials_.With({reasons.front().stage, reasons.front().code}).Increment();
  }
  // Once per (code, PCR) however many banks the finding is about: the
  // agent quotes every allocated bank, so a SHA-1 + SHA-256 TPM reports
  // each mismatch twice.
  std::vector<std::pair<absl::string_view, int>> seen;
  for (const Reason& r : reasons) {
    if (r.stage != "replay" || r.pcr < 0) continue;
    const std::pair<absl::string_view, int> key(r.code, r.pcr);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    ReplayFinding(r.code, r.pcr).Increment();
  }
  attest_seconds_.Observe(absl::ToDoubleSeconds(took));
}

metrics::Counter& VerifierMetrics::ReplayFinding(absl::string_view code,
                                                 int pcr) {
  // A Linux log whose PCR 10 (IMA) is extended after boot has a finding in
  // every attestation: the series of the known codes are looked up once
  // and kept, not under the family's lock each time.
  size_t slot = kReplayCodes.size();
  for (size_t i = 0; i < kReplayCodes.size(); ++i) {
    if (code == kReplayCodes[i]) slot = i;
  }
  if (slot == kReplayCodes.size() || pcr >= kPcrs) {
    return replay_findings_.With({code, absl::StrCat(pcr)});
  }
  std::atomic<metrics::Counter*>& cached = replay_cache_[slot * kPcrs + pcr];
  metrics::Counter* c = cached.load(std::memory_order_acquire);
  if (c == nullptr) {
    c = &replay_findings_.With({code, absl::StrCat(pcr)});
    cached.store(c, std::memory_order_release);
  }
  return *c;
}

void VerifierMetrics::CountEnrolment(absl::string_view step, bool ok) {
  enrolments_.With({step, ok ? "ok" : "refused"}).Increment();
}

}  // namespace vigil::service
