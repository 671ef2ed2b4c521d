// File: agent/daemon/state_machine.h
// -----------------------------------------------------------------------------
// The agent's attestation loop as an explicit state machine (style.md rule 25;
// rust-keylime's state_machine.rs), over one Connect stream at a time
// (attestation_service.proto describes the dialogue):
//
//   kUnenrolled --connect, send AgentHello--> kEnrolling
//   kEnrolling  --CredentialChallenge: activate, answer; Enrolled--> kAttesting
//   kAttesting  --AttestationRequest: collect, send Evidence;
//                 AttestationResult: write or remove the token--> kAttesting
//   any failure (connect, stream error, a step's deadline, TPM error)
//               --cancel the stream--> kBackoff --jittered delay--> kUnenrolled
//
// While attesting, the agent asks for a new round (AttestationWanted) when
// its interval has passed since the last result, and when the TPM's
// resetCount changed (a new boot: resume from hibernation, or a TPM that was
// reset under it). The verifier may start a round at any time.
//
// Time is read from the injected Clock and the backoff's randomness is
// injected; waiting itself uses real time, interruptible by RequestStop().

#ifndef VIGIL_AGENT_DAEMON_STATE_MACHINE_H_
#define VIGIL_AGENT_DAEMON_STATE_MACHINE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/client/verifier_client.h"
#include "agent/collect/attester.h"
#include "agent/daemon/backoff.h"
#include "agent/daemon/notifier.h"
#include "common/clock.h"

namespace vigil::agent {

enum class AgentState { kUnenrolled, kEnrolling, kAttesting, kBackoff };
absl::string_view AgentStateName(AgentState state);

struct StateMachineOptions {
  absl::Duration interval = absl::Hours(1);
  absl::Duration step_timeout = absl::Seconds(60);
  // How often to read the TPM's resetCount while idle.
  absl::Duration boot_check = absl::Seconds(30);
  // WATCHDOG=1 period (zero: none); waits are cut to at most this long.
  absl::Duration watchdog = absl::ZeroDuration();
  BackoffOptions backoff;
  std::string token_file;
  // Stop after the first AttestationResult, or the first failure, instead
  // of retrying (vigil-agent --once).
  bool once = false;
};

// Counters for STATUS= lines and tests. All monotonic.
struct AgentStats {
  int connects = 0;         // streams opened
  int enrolments = 0;       // Enrolled messages received
  int challenges = 0;       // credentials activated
  int attestations = 0;     // AttestationResults received
  int permitted = 0;        // of which permitted
  int failures = 0;         // transitions into kBackoff
  int backoff_attempt = 0;  // failed attempts since the last success
  std::string device_id;
};

class StateMachine {
 public:
  // All references must outlive the machine.
  StateMachine(VerifierConnector& connector, Attester& attester,
               Notifier& notifier, const Clock& clock, UniformRandom uniform,
               StateMachineOptions options);

  // Run(): runs until RequestStop() (returns nullopt) or, with options.once,
  // until the first AttestationResult (returned). Failures are retried with
  // backoff, except with once, where the first one is returned as the
  // Status (kUnavailable verifier unreachable, kDeadlineExceeded no answer,
  // the verifier's error, or the TPM's).
  absl::StatusOr<std::optional<v1::AttestationResult>> Run();

  // RequestStop(): makes Run() return soon; cancels the stream. Thread-safe
  // and async-signal-unsafe (call it from a signal-waiting thread).
  void RequestStop();

  AgentState state() const;  // thread-safe
  AgentStats stats() const;  // thread-safe

 private:
  // One step of each state; each returns the failure that sends the machine
  // to kBackoff.
  absl::Status Connect();
  absl::Status Converse();
  absl::Status Handle(const v1::VerifierMessage& message);
  absl::Status HandleResult(const v1::AttestationResult& result);
  absl::Status Idle();
  absl::Status Send(const v1::AgentMessage& message);
  void Fail(const absl::Status& status);
  void SetState(AgentState state, absl::string_view status_line);
  // Sleeps up to `d` (real time); false when stopping.
  bool Wait(absl::Duration d);
  void MaybeWatchdog();

  VerifierConnector& connector_;
  Attester& attester_;
  Notifier& notifier_;
  const Clock& clock_;
  StateMachineOptions options_;
  Backoff backoff_;

  // Touched only by the thread in Run().
  std::optional<absl::Time> step_deadline_;  // awaiting the verifier
  absl::Time next_attestation_ = absl::InfiniteFuture();
  absl::Time next_boot_check_ = absl::InfinitePast();
  absl::Time next_watchdog_ = absl::InfinitePast();
  std::optional<uint32_t> reset_count_;  // at the last evidence
  std::optional<v1::AttestationResult> once_result_;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  AgentState state_ ABSL_GUARDED_BY(mu_) = AgentState::kUnenrolled;
  AgentStats stats_ ABSL_GUARDED_BY(mu_);
  // Shared so RequestStop can cancel it while Run uses it.
  std::shared_ptr<VerifierStream> stream_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_DAEMON_STATE_MACHINE_H_
