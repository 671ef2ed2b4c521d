#include "agent/daemon/state_machine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "agent/daemon/log.h"
#include "agent/daemon/token_file.h"
#include "common/status_macros.h"

namespace vigil::agent {
namespace {

// The longest the loop sleeps before checking its timers again.
constexpr absl::Duration kPoll = absl::Seconds(1);

absl::Status ProtocolError(absl::string_view what, AgentState state) {
  return absl::FailedPreconditionError(absl::StrCat(
      "protocol: unexpected ", what, " while ", AgentStateName(state)));
}

}  // namespace

absl::string_view AgentStateName(AgentState state) {
  switch (state) {
    case AgentState::kUnenrolled:
      return "unenrolled";
    case AgentState::kEnrolling:
      return "enrolling";
    case AgentState::kAttesting:
      return "attesting";
    case AgentState::kBackoff:
      return "backoff";
  }
  return "?";
}

StateMachine::StateMachine(VerifierConnector& connector, Attester& attester,
                           Notifier& notifier, const Clock& clock,
                           UniformRandom uniform, StateMachineOptions options)
    : connector_(connector),
      attester_(attester),
      notifier_(notifier),
      clock_(clock),
      options_(std::move(options)),
      backoff_(options_.backoff, std::move(uniform)) {}

AgentState StateMachine::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

AgentStats StateMachine::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void StateMachine::RequestStop() {
  absl::MutexLock lock(&mu_);
  stop_ = true;
  if (stream_ != nullptr) stream_->Cancel();
}

void StateMachine::SetState(AgentState state, absl::string_view status_line) {
  {
    absl::MutexLock lock(&mu_);
    state_ = state;
  }
  LogInfo(absl::StrCat(AgentStateName(state), ": ", status_line));
  notifier_.Notify(
      absl::StrCat("STATUS=", AgentStateName(state), ": ", status_line));
}

void StateMachine::MaybeWatchdog() {
  if (options_.watchdog <= absl::ZeroDuration()) return;
  absl::Time now = clock_.Now();
  if (now < next_watchdog_) return;
  next_watchdog_ = now + options_.watchdog;
  notifier_.Notify("WATCHDOG=1");
}

bool StateMachine::Wait(absl::Duration d) {
  const absl::Duration chunk =
      options_.watchdog > absl::ZeroDuration() ? options_.watchdog : d;
  while (d > absl::ZeroDuration()) {
    const absl::Duration step = std::min(d, chunk);
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_), step);
      if (stop_) return false;
    }
    d -= step;
    MaybeWatchdog();
  }
  return true;
}

void StateMachine::Fail(const absl::Status& status) {
  LogError(absl::StrCat(AgentStateName(state()), ": ", status.ToString()));
  std::shared_ptr<VerifierStream> stream;
  {
    absl::MutexLock lock(&mu_);
    stream = std::exchange(stream_, nullptr);
    ++stats_.failures;
  }
  if (stream != nullptr) stream->Cancel();
  stream.reset();  // joins the stream's reader
  step_deadline_.reset();
  next_attestation_ = absl::InfiniteFuture();
  SetState(AgentState::kBackoff, status.message());
}

absl::Status StateMachine::Send(const v1::AgentMessage& message) {
  std::shared_ptr<VerifierStream> stream;
  {
    absl::MutexLock lock(&mu_);
    stream = stream_;
  }
  if (stream == nullptr) return absl::CancelledError("no stream");
  return vigil::internal::Annotate(stream->Send(message), "send to verifier");
}

absl::Status StateMachine::Connect() {
  absl::StatusOr<v1::AgentHello> hello = attester_.Hello();
  if (!hello.ok()) return vigil::internal::Annotate(hello.status(), "hello");
  ASSIGN_OR_RETURN(std::unique_ptr<VerifierStream> stream,
                   connector_.Connect());
  {
    absl::MutexLock lock(&mu_);
    stream_ = std::move(stream);
    ++stats_.connects;
    if (stop_) stream_->Cancel();
  }
  v1::AgentMessage m;
  *m.mutable_hello() = *std::move(hello);
  RETURN_IF_ERROR(Send(m));
  step_deadline_ = clock_.Now() + options_.step_timeout;
  SetState(AgentState::kEnrolling, "hello sent");
  return absl::OkStatus();
}

absl::Status StateMachine::Converse() {
  std::shared_ptr<VerifierStream> stream;
  {
    absl::MutexLock lock(&mu_);
    stream = stream_;
  }
  if (stream == nullptr) return absl::CancelledError("no stream");
  absl::Duration wait = kPoll;
  if (options_.watchdog > absl::ZeroDuration()) {
    wait = std::min(wait, options_.watchdog);
  }
  if (step_deadline_.has_value()) {
    const absl::Time now = clock_.Now();
    if (now >= *step_deadline_) {
      return absl::DeadlineExceededError(
          absl::StrCat("the verifier did not answer within ",
                       absl::FormatDuration(options_.step_timeout)));
    }
    wait = std::min(wait, *step_deadline_ - now);
  }
  absl::StatusOr<v1::VerifierMessage> m = stream->Receive(wait);
  if (m.ok()) return Handle(*m);
  if (m.status().code() != absl::StatusCode::kDeadlineExceeded) {
    return vigil::internal::Annotate(m.status(), "verifier stream");
  }
  if (!step_deadline_.has_value() && state() == AgentState::kAttesting) {
    return Idle();
  }
  return absl::OkStatus();
}

absl::Status StateMachine::Idle() {
  const absl::Time now = clock_.Now();
  std::string reason;
  if (now >= next_boot_check_) {
    next_boot_check_ = now + options_.boot_check;
    absl::StatusOr<uint32_t> reset_count = attester_.ResetCount();
    if (!reset_count.ok()) {
      LogWarning(absl::StrCat("tpm: ", reset_count.status().ToString()));
    } else if (reset_count_.has_value() && *reset_count != *reset_count_) {
      LogInfo(absl::StrCat("new boot: TPM resetCount ", *reset_count_, " -> ",
                           *reset_count));
      reason = "new-boot";
    }
  }
  if (reason.empty() && now >= next_attestation_) reason = "interval";
  if (reason.empty()) return absl::OkStatus();
  v1::AgentMessage m;
  m.mutable_attestation_wanted()->set_reason(reason);
  RETURN_IF_ERROR(Send(m));
  // The verifier answers with an AttestationRequest.
  step_deadline_ = now + options_.step_timeout;
  next_attestation_ = absl::InfiniteFuture();
  return absl::OkStatus();
}

absl::Status StateMachine::Handle(const v1::VerifierMessage& message) {
  const AgentState state = this->state();
  const absl::Time now = clock_.Now();
  switch (message.kind_case()) {
    case v1::VerifierMessage::kChallenge: {
      if (state != AgentState::kEnrolling) {
        return ProtocolError("CredentialChallenge", state);
      }
      absl::StatusOr<v1::CredentialResponse> answer =
          attester_.Activate(message.challenge());
      if (!answer.ok()) {
        return vigil::internal::Annotate(answer.status(),
                                         "credential challenge");
      }
      {
        absl::MutexLock lock(&mu_);
        ++stats_.challenges;
      }
      v1::AgentMessage m;
      *m.mutable_credential() = *std::move(answer);
      RETURN_IF_ERROR(Send(m));
      step_deadline_ = now + options_.step_timeout;
      SetState(AgentState::kEnrolling, "credential activated");
      return absl::OkStatus();
    }
    case v1::VerifierMessage::kEnrolled: {
      if (state != AgentState::kEnrolling) {
        return ProtocolError("Enrolled", state);
      }
      const v1::Enrolled& e = message.enrolled();
      {
        absl::MutexLock lock(&mu_);
        ++stats_.enrolments;
        stats_.device_id = e.device_id();
      }
      // The verifier normally starts a round at once; ask for one if it
      // has not within a step.
      step_deadline_.reset();
      next_attestation_ = now + options_.step_timeout;
      next_boot_check_ = now + options_.boot_check;
      SetState(AgentState::kAttesting,
               absl::StrCat("enrolled as device ", e.device_id(),
                            e.newly_enrolled() ? " (new)" : "",
                            e.aik_validated() ? "" : " (EK not validated)"));
      return absl::OkStatus();
    }
    case v1::VerifierMessage::kAttestationRequest: {
      if (state != AgentState::kAttesting) {
        return ProtocolError("AttestationRequest", state);
      }
      const v1::AttestationRequest& r = message.attestation_request();
      LogInfo(absl::StrCat("attestation requested (", absl::CEscape(r.reason()),
                           "), PCR mask 0x", absl::Hex(r.pcr_mask())));
      absl::StatusOr<v1::Evidence> evidence = attester_.Collect(r);
      if (!evidence.ok()) {
        return vigil::internal::Annotate(evidence.status(), "collect evidence");
      }
      reset_count_ = evidence->reset_count();
      v1::AgentMessage m;
      *m.mutable_evidence() = *std::move(evidence);
      RETURN_IF_ERROR(Send(m));
      step_deadline_ = now + options_.step_timeout;
      next_attestation_ = absl::InfiniteFuture();
      return absl::OkStatus();
    }
    case v1::VerifierMessage::kResult:
      if (state != AgentState::kAttesting || !step_deadline_.has_value()) {
        return ProtocolError("AttestationResult", state);
      }
      return HandleResult(message.result());
    case v1::VerifierMessage::KIND_NOT_SET:
      break;
  }
  return ProtocolError("empty VerifierMessage", state);
}

absl::Status StateMachine::HandleResult(const v1::AttestationResult& result) {
  const absl::Time now = clock_.Now();
  step_deadline_.reset();
  next_attestation_ = now + options_.interval;
  backoff_.Reset();
  std::string line;
  if (result.permitted()) {
    line = absl::StrCat(
        "permitted (attestation ", result.attestation_id(), ", token expires ",
        absl::FormatTime(absl::FromUnixSeconds(result.expires_at())), ")");
    absl::Status written =
        WriteFileAtomically(options_.token_file, result.token());
    if (written.ok()) {
      LogInfo(absl::StrCat("token (", TokenSummary(result.token()),
                           ") written to ", options_.token_file));
    } else {
      LogError(absl::StrCat("token file: ", written.ToString()));
    }
  } else {
    // A denied device must not keep presenting its previous token.
    absl::Status removed = RemoveFile(options_.token_file);
    if (!removed.ok())
      LogError(absl::StrCat("token file: ", removed.ToString()));
    line = absl::StrCat("denied (attestation ", result.attestation_id(), ")");
  }
  for (const v1::Reason& r : result.reasons()) {
    LogWarning(absl::StrCat("  ", r.stage(), "/", r.code(), ": ",
                            absl::CEscape(r.message())));
  }
  // Counted once the token file is in place, so observers of the stats see
  // the file that goes with them.
  {
    absl::MutexLock lock(&mu_);
    ++stats_.attestations;
    if (result.permitted()) ++stats_.permitted;
    stats_.backoff_attempt = 0;
  }
  if (options_.once) once_result_ = result;
  SetState(AgentState::kAttesting, line);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::AttestationResult>> StateMachine::Run() {
  notifier_.Notify("READY=1");
  SetState(AgentState::kUnenrolled, "starting");
  absl::Status failure;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) break;
    }
    MaybeWatchdog();
    absl::Status s;
    switch (state()) {
      case AgentState::kUnenrolled:
        s = Connect();
        break;
      case AgentState::kEnrolling:
      case AgentState::kAttesting:
        s = Converse();
        break;
      case AgentState::kBackoff: {
        const absl::Duration d = backoff_.Next();
        {
          absl::MutexLock lock(&mu_);
          stats_.backoff_attempt = backoff_.attempts();
        }
        LogInfo(absl::StrCat("reconnecting in ", absl::FormatDuration(d)));
        if (Wait(d)) SetState(AgentState::kUnenrolled, "reconnecting");
        continue;
      }
    }
    {
      absl::MutexLock lock(&mu_);
      if (stop_) break;
    }
    if (!s.ok() && options_.once) {
      failure = s;
      break;
    }
    if (!s.ok()) Fail(s);
    if (once_result_.has_value()) break;
  }
  notifier_.Notify("STOPPING=1");
  std::shared_ptr<VerifierStream> stream;
  {
    absl::MutexLock lock(&mu_);
    stream = std::exchange(stream_, nullptr);
  }
  if (stream != nullptr) stream->Cancel();
  stream.reset();
  if (!failure.ok()) return failure;
  return once_result_;
}

}  // namespace vigil::agent
