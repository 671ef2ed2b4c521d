#include "service/grpc/attestation_service_impl.h"

#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"
#include "service/grpc/arena_message.h"
#include "service/grpc/raw_unary.h"
#include "service/grpc/request_validation.h"
#include "service/grpc/status_mapping.h"
#include "service/grpc/untrusted_codec.h"

namespace vigil::service {

v1::Reason ToProto(const Reason& r) {
  v1::Reason out;
  out.set_stage(r.stage);
  out.set_code(r.code);
  out.set_message(r.message);
  out.set_pcr(r.pcr);
  out.set_bank(r.bank);
  out.set_event(r.event);
  out.set_event_offset(r.event_offset);
  out.set_rule(r.rule);
  out.set_rule_text(r.rule_text);
  return out;
}

v1::CredentialChallenge ToProto(const EnrollmentChallenge& c) {
  v1::CredentialChallenge out;
  out.set_id_object(std::string(c.credential.id_object.begin(),
                                c.credential.id_object.end()));
  out.set_encrypted_secret(std::string(c.credential.encrypted_secret.begin(),
                                       c.credential.encrypted_secret.end()));
  out.set_ticket(std::string(c.ticket.begin(), c.ticket.end()));
  return out;
}

v1::AttestationResult ToProto(const AttestationOutcome& o) {
  v1::AttestationResult out;
  out.set_permitted(o.permitted);
  out.set_token(o.token);
  for (const Reason& r : o.reasons) *out.add_reasons() = ToProto(r);
  out.set_device_id(o.device_id);
  out.set_expires_at(o.permitted ? absl::ToUnixSeconds(o.expires_at) : 0);
  out.set_attestation_id(o.jti);
  return out;
}

namespace {

// AttestationRequest.reason after a change of the Tpm policy: the stream's
// next request is for it (attestation_service.proto lists the reasons).
constexpr char kReasonPolicyChanged[] = "policy-changed";

// The caller for log lines (PeerForLog): behind a front, its one
// x-forwarded-for first (several are ambiguous: none is used).
std::string CallPeer(const grpc::CallbackServerContext& ctx, bool from_front) {
  std::optional<absl::string_view> forwarded;
  if (from_front) {
    const auto [first, last] = ctx.client_metadata().equal_range(
        grpc::string_ref("x-forwarded-for"));
    if (first != last && std::next(first) == last) {
      forwarded = absl::string_view(first->second.data(), first->second.size());
    }
  }
  return PeerForLog(ctx.peer(), forwarded);
}

void Log(absl::string_view peer, absl::string_view what) {
  // One write per line: std::cerr is unbuffered, so streaming the four
  // pieces made four write(2) calls, and lines of concurrent streams
  // interleaved ("vigil-verifier: vigil-verifier: unix:: ...").
  std::cerr << absl::StrCat("vigil-verifier: ", peer, ": ", what, "\n");
}

std::string Summary(const AttestationOutcome& o) {
  std::string s = absl::StrCat("device ", o.device_id.substr(0, 16),
                               o.permitted ? " attested" : " denied");
  if (!o.permitted && !o.reasons.empty()) {
    absl::StrAppend(&s, ": ", o.reasons.front().ToString());
  }
  // One line per attestation for the journal (and, until the audit trail
  // of issue #6, the operator's record): the id, the policy, the scalar
  // incoming claims and what the policy issued. Never the token.
  absl::StrAppend(&s, " id=", o.jti, " policy=", o.policy_hash.substr(0, 12));
  if (o.claim_set != nullptr) {
    absl::StrAppend(&s, " claims=",
                    o.ClaimsSummary().dump(
                        -1, ' ', false,
                        nlohmann::json::error_handler_t::replace));
  }
  if (o.permitted) {
    absl::StrAppend(&s, " issued=",
                    o.issued.dump(-1, ' ', false,
                                  nlohmann::json::error_handler_t::replace));
  }
  return s;
}

// One line per attestation on stderr (the journal): every denial, and
// permits while `permits` admits them (the rest are counted and reported by
// the ticker; the store's audit trail, when there is one, has each).
void LogOutcome(LogBudget& permits, absl::string_view peer,
                const AttestationOutcome& o) {
  if (o.permitted && !permits.Admit()) return;
  Log(peer, Summary(o));
}

absl::StatusOr<v1::Enrolled> CompleteEnrollment(
    Verifier& v, absl::string_view peer, const v1::AgentHello& hello,
    absl::Span<const uint8_t> ticket, absl::Span<const uint8_t> secret) {
  absl::StatusOr<EnrolledDevice> d =
      v.enroller().Complete(hello, ticket, secret);
  if (!d.ok()) return d.status();
  if (absl::Status s = v.registry().Enroll(*d); !s.ok()) return s;
  Log(peer, absl::StrCat("device ", d->device_id.substr(0, 16),
                         " enrolled (credential activated, aikValidated=",
                         d->aik_validated ? "true" : "false", ")"));
  v1::Enrolled out;
  out.set_device_id(d->device_id);
  out.set_newly_enrolled(true);
  out.set_aik_validated(d->aik_validated);
  return out;
}

// The device the hello describes, when the registry already holds it with
// the same AK (no activation needed: only the TPM holding that AK can sign
// the quotes that follow).
std::shared_ptr<const EnrolledDevice> KnownDevice(Verifier& v,
                                                  const v1::AgentHello& hello) {
  absl::StatusOr<tpm::PublicArea> ek =
      tpm::ParseTpm2bPublic(AsBytes(hello.ek_public()));
  if (!ek.ok()) return nullptr;
  absl::StatusOr<std::string> id = DeviceIdForEk(*ek);
  if (!id.ok()) return nullptr;
  absl::StatusOr<std::shared_ptr<const EnrolledDevice>> d =
      v.registry().Find(*id);
  if (!d.ok() || (*d)->ak.marshalled.empty()) return nullptr;
  absl::StatusOr<tpm::PublicArea> ak =
      tpm::ParseTpm2bPublic(AsBytes(hello.ak_public()));
  if (!ak.ok() || ak->marshalled != (*d)->ak.marshalled) return nullptr;
  return *std::move(d);
}

}  // namespace

// ---------------------------------------------------------------------------
// One agent's stream.

class AgentStream;

// Shared between the reactor, its queued work and the ticker: `stream` is
// cleared (under `mu`) when gRPC is done with the reactor, so late work
// never touches freed memory.
struct StreamGuard {
  absl::Mutex mu;
  AgentStream* stream ABSL_GUARDED_BY(mu) = nullptr;
};

class StreamRegistry {
 public:
  // Registers `g` unless `limit` streams are open already. The check and the
  // insert are one step, so a burst of connects cannot overshoot the limit.
  bool TryAdd(std::shared_ptr<StreamGuard> g, size_t limit) {
    absl::MutexLock lock(&mu_);
    if (streams_.size() >= limit) return false;
    streams_.insert(std::move(g));
    return true;
  }
  void Remove(const std::shared_ptr<StreamGuard>& g) {
    absl::MutexLock lock(&mu_);
    streams_.erase(g);
  }
  std::vector<std::shared_ptr<StreamGuard>> Snapshot() const {
    absl::MutexLock lock(&mu_);
    return {streams_.begin(), streams_.end()};
  }
  size_t size() const {
    absl::MutexLock lock(&mu_);
    return streams_.size();
  }

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::shared_ptr<StreamGuard>> streams_
      ABSL_GUARDED_BY(mu_);
};

class AgentStream final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // `guard` is already in the service's StreamRegistry (Connect reserved
  // the slot); until this constructor sets guard->stream, visitors of the
  // registry see a null stream and skip it.
  AgentStream(AttestationServiceImpl* svc, grpc::CallbackServerContext* ctx,
              std::shared_ptr<StreamGuard> guard)
      : svc_(svc),
        peer_(CallPeer(*ctx, svc->options_.peer_from_front)),
        guard_(std::move(guard)) {
    absl::MutexLock lock(&guard_->mu);
    guard_->stream = this;
    deadline_ = Now() + svc_->options_.hello_timeout;
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    // in_ is the read path's alone until the next StartRead: decode it
    // before taking the stream's lock, which the ticker and policy
    // reloads take for every stream in turn.
    // Released after the lock (declared before it): freeing the arena is
    // no work for the lock's holder.
    std::shared_ptr<ArenaAgentMessage> msg;
    absl::Status decoded = absl::OkStatus();
    if (ok) {
      msg = std::make_shared<ArenaAgentMessage>();
      decoded = DecodeUntrusted(&in_, "agent message", msg->message);
    }
    absl::MutexLock lock(&guard_->mu);
    if (!ok) {
      // The agent half-closed or the call broke: finish once writes drain.
      read_closed_ = true;
      MaybeFinishLocked(grpc::Status::OK);
      return;
    }
    absl::Status s = decoded.ok() ? DispatchLocked(msg) : decoded;
    if (!s.ok()) {
      FinishLocked(ToGrpcStatus(s));
      return;
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&guard_->mu);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
      return;
    }
    out_.pop_front();
    WriteNextLocked();
  }

  void OnCancel() override {}

  void OnDone() override {
    svc_->streams_->Remove(guard_);
    svc_->verifier_->metrics().agent_streams().Add(-1);
    {
      absl::MutexLock lock(&guard_->mu);
      guard_->stream = nullptr;
    }
    delete this;
  }

  // Ticker: enforce the step deadline; start scheduled re-attestation.
  void TickLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(guard_->mu) {
    if (finished_) return;
    if (deadline_ != absl::InfiniteFuture() && now > deadline_) {
      const char* waiting = state_ == State::kAwaitHello ? "AgentHello"
                            : state_ == State::kAwaitCredential
                                ? "CredentialResponse"
                                : "Evidence";
      Log(peer_, absl::StrCat("closing: no ", waiting, " in time"));
      FinishLocked(grpc::Status(
          grpc::StatusCode::DEADLINE_EXCEEDED,
          absl::StrCat("no ", waiting, " within the step deadline")));
      return;
    }
    if (state_ == State::kIdle && now >= next_attest_) {
      RequestAttestationLocked("schedule");
    }
  }

  void ReattestLocked(const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(guard_->mu) {
    if (!finished_ && state_ == State::kIdle) RequestAttestationLocked(reason);
  }

  void ShutdownLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(guard_->mu) {
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "verifier shutting down; reconnect"));
  }

 private:
  enum class State {
    kAwaitHello,
    kWorking,  // the pool is handling the agent's last message
    kAwaitCredential,
    kAwaitEvidence,
    kIdle,  // enrolled, between attestations
  };

  absl::Time Now() const { return svc_->verifier_->clock().Now(); }
  Verifier& verifier() { return *svc_->verifier_; }

  absl::Status DispatchLocked(
      const std::shared_ptr<ArenaAgentMessage>& arena_msg)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(guard_->mu) {
    v1::AgentMessage& msg = *arena_msg->message;
    switch (msg.kind_case()) {
      case v1::AgentMessage::kHello:
        if (state_ != State::kAwaitHello) return OutOfTurn("hello");
        RETURN_IF_ERROR(ValidateHello(msg.hello()));
        hello_ = msg.hello();  // out of the arena: a copy
        return RunLocked([&v = verifier(), hello = hello_]() {
          return HandleHello(v, hello);
        });
      case v1::AgentMessage::kCredential:
        if (state_ != State::kAwaitCredential) return OutOfTurn("credential");
        RETURN_IF_ERROR(ValidateCredentialResponse(msg.credential()));
        return RunLocked([&v = verifier(), peer = peer_, hello = hello_,
                          ticket = ticket_,
                          secret = msg.credential().secret()]() {
          return HandleCredential(v, peer, hello, ticket, secret);
        });
      case v1::AgentMessage::kEvidence: {
        if (state_ != State::kAwaitEvidence) return OutOfTurn("evidence");
        RETURN_IF_ERROR(ValidateEvidence(msg.evidence()));
        // Shares the arena it lives in (not copied out of it).
        std::shared_ptr<const v1::Evidence> evidence(arena_msg,
                                                     &msg.evidence());
        return RunLocked([&v = verifier(), &permit_log = *svc_->permit_log_,
                          peer = peer_, device = device_, evidence,
                          known = std::move(round_log_)]() {
          return HandleEvidence(v, permit_log, peer, *device, *evidence,
                                known);
        });
      }
      case v1::AgentMessage::kAttestationWanted:
        RETURN_IF_ERROR(ValidateAttestationWanted(msg.attestation_wanted()));
        if (device_ == nullptr) return OutOfTurn("attestation_wanted");
        // Already in a round: the agent's wish is being served.
        if (state_ == State::kIdle) {
          RequestAttestationLocked(
              absl::StrCat("agent:", msg.attestation_wanted().reason()));
        }
        return absl::OkStatus();
      case v1::AgentMessage::KIND_NOT_SET:
        break;
    }
    return absl::InvalidArgumentError("agent message: empty (no kind set)");
  }

  absl::Status OutOfTurn(absl::string_view what) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent message ", what, " out of turn"));
  }

  // What a pool task hands back: messages to send, the next state, or an
  // error that ends the stream.
  struct Step {
    absl::Status status;
    std::vector<v1::VerifierMessage> messages;
    State next = State::kIdle;
    // The registry's record (shared, not copied: it is immutable).
    std::shared_ptr<const EnrolledDevice> device;
    std::vector<uint8_t> ticket;
    bool attest_now = false;
    std::optional<LogDigest> log_digest;  // the evidence's log, accepted
    // The evidence named the log the request named, and the verifier
    // needed the log itself (eventlog/log_unknown): ask again at once,
    // without naming it, instead of answering.
    bool ask_for_log = false;
    bool pcrs_moved = false;  // ... because the PCR values moved
    // The evidence named the log and the round was decided without it.
    bool decided_from_verdict = false;
  };

  absl::Status RunLocked(std::function<Step()> work)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(guard_->mu) {
    state_ = State::kWorking;
    deadline_ = absl::InfiniteFuture();
    std::shared_ptr<StreamGuard> guard = guard_;
    const bool queued = svc_->pool_->Submit([guard, work = std::move(work)]() {
      // `work` reads only its captures and the thread-safe core; it must not
      // touch the reactor, which may be gone by now.
      Step step = work();
      absl::MutexLock lock(&guard->mu);
      if (guard->stream != nullptr) guard->stream->ApplyLocked(std::move(step));
    });
    if (!queued) {
      return absl::ResourceExhaustedError("verifier overloaded; retry later");
    }
    return absl::OkStatus();
  }

  void ApplyLocked(Step step) ABSL_EXCLUSIVE_LOCKS_REQUIRED(guard_->mu) {
    if (finished_) return;
    if (!step.status.ok()) {
      FinishLocked(ToGrpcStatus(step.status));
      return;
    }
    if (step.device != nullptr) {
      device_ = std::move(step.device);
      // Enrolled: the hello (its EK certificates, ~1-2 KiB) and the
      // challenge's ticket are not needed again on this stream.
      v1::AgentHello().Swap(&hello_);
      std::vector<uint8_t>().swap(ticket_);
    }
    if (!step.ticket.empty()) ticket_ = std::move(step.ticket);
    if (step.log_digest.has_value()) {
      // A new boot's log: its verdict may serve again.
      if (*step.log_digest != last_log_) {
        verdict_fell_short_ = false;
        undecided_in_a_row_ = 0;
      }
      last_log_ = *std::move(step.log_digest);
    }
    if (step.pcrs_moved) verdict_fell_short_ = true;
    if (step.ask_for_log && !step.pcrs_moved) ++undecided_in_a_row_;
    if (step.decided_from_verdict) undecided_in_a_row_ = 0;
    state_ = step.next;
    deadline_ =
        (state_ == State::kAwaitCredential || state_ == State::kAwaitEvidence)
            ? Now() + svc_->options_.step_timeout
            : absl::InfiniteFuture();
    for (v1::VerifierMessage& m : step.messages) QueueLocked(std::move(m));
    // The first round after Enrolled (new or known device); the protocol
    // names it "enrolled".
    if (step.attest_now) RequestAttestationLocked("enrolled");
    if (step.ask_for_log) {
      RequestAttestationLocked("log-needed", /*may_name_log=*/false);
    }
  }

  // Pool work: static, so it cannot reach the reactor (which may be gone
  // when it runs); reads only its arguments and the thread-safe verifier.
  static Step HandleHello(Verifier& verifier, const v1::AgentHello& hello) {
    Step step;
    if (std::shared_ptr<const EnrolledDevice> d =
            KnownDevice(verifier, hello)) {
      v1::VerifierMessage m;
      m.mutable_enrolled()->set_device_id(d->device_id);
      m.mutable_enrolled()->set_newly_enrolled(false);
      m.mutable_enrolled()->set_aik_validated(d->aik_validated);
      step.messages.push_back(std::move(m));
      step.device = std::move(d);
      step.attest_now = true;
      return step;
    }
    absl::StatusOr<EnrollmentChallenge> c = verifier.enroller().Begin(hello);
    if (!c.ok()) {
      step.status = c.status();
      return step;
    }
    v1::VerifierMessage m;
    *m.mutable_challenge() = ToProto(*c);
    step.messages.push_back(std::move(m));
    step.ticket = std::move(c->ticket);
    step.next = State::kAwaitCredential;
    return step;
  }

  static Step HandleCredential(Verifier& verifier, const std::string& peer,
                               const v1::AgentHello& hello,
                               const std::vector<uint8_t>& ticket,
                               const std::string& secret) {
    Step step;
    absl::StatusOr<v1::Enrolled> e =
        CompleteEnrollment(verifier, peer, hello, ticket, AsBytes(secret));
    if (!e.ok()) {
      step.status = e.status();
      return step;
    }
    absl::StatusOr<std::shared_ptr<const EnrolledDevice>> d =
        verifier.registry().Find(e->device_id());
    if (!d.ok()) {
      step.status = d.status();
      return step;
    }
    v1::VerifierMessage m;
    *m.mutable_enrolled() = *e;
    step.messages.push_back(std::move(m));
    step.device = *std::move(d);
    step.attest_now = true;
    return step;
  }

  static Step HandleEvidence(Verifier& verifier, LogBudget& permit_log,
                             const std::string& peer,
                             const EnrolledDevice& device,
                             const v1::Evidence& evidence,
                             std::shared_ptr<const CachedReplay> known) {
    Step step;
    AttestOptions options;
    // The verifier holds the log's verdict but may need the log (for other
    // PCR values, or a policy decision it has not memoized): not the
    // device's fault, and not worth a result. Only when the evidence named
    // the log the request named, so an agent that names logs unasked (or
    // names another) gets the refusal, and the next request cannot loop.
    options.may_ask_for_log = known != nullptr &&
                              evidence.event_log().empty() &&
                              evidence.event_log_sha256() == known->log_digest;
    options.known_log = std::move(known);
    AttestationOutcome o = verifier.core().Attest(device, evidence, options);
    if (o.log_needed != AttestationOutcome::LogNeeded::kNo) {
      step.ask_for_log = true;
      step.pcrs_moved =
          o.log_needed == AttestationOutcome::LogNeeded::kOtherPcrValues;
      step.next = State::kIdle;
      return step;
    }
    if (o.replay != nullptr) step.log_digest = o.replay->log_digest;
    step.decided_from_verdict = options.may_ask_for_log && o.replay != nullptr;
    LogOutcome(permit_log, peer, o);
    v1::VerifierMessage m;
    *m.mutable_result() = ToProto(o);
    step.messages.push_back(std::move(m));
    step.next = State::kIdle;
    return step;
  }

  // `may_name_log` false: the agent is to send its log whatever the
  // verifier holds.
  void RequestAttestationLocked(const std::string& reason,
                                bool may_name_log = true)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(guard_->mu) {
    absl::StatusOr<IssuedNonce> n =
        verifier().nonces().Issue(device_->device_id);
    if (!n.ok()) {
      FinishLocked(ToGrpcStatus(n.status()));
      return;
    }
    v1::VerifierMessage m;
    v1::AttestationRequest* r = m.mutable_attestation_request();
    r->set_nonce(std::string(n->bytes.begin(), n->bytes.end()));
    r->set_pcr_mask(verifier().core().RequiredPcrMask());
    r->set_reason(reason);
    r->set_expires_at(absl::ToUnixSeconds(n->expires_at));
    // Named when the verifier holds the log's verdict and the round can
    // likely be decided from it; otherwise only if it holds the log itself
    // parsed, so a round does not need asking twice (two quotes). Likely
    // not: once the PCR values moved away from the verdict's for this log
    // (a PCR the log extends was extended again between rounds; a PCR it
    // never extends, such as IMA's PCR 10, keeps the verdict once moved:
    // ReplayKey); and, for a policy that may read the `events` claim,
    // after a policy change (no decision for the new policy is memoized)
    // and with the decision memo off. A policy that cannot read `events` is
    // evaluated over the verdict's claims (AttestationCore::Decide).
    const AttestationCore& core = verifier().core();
    round_log_ = !may_name_log || last_log_.empty()
                     ? nullptr
                     : core.FindVerdict(last_log_);
    // A new policy may decide from the verdict again (it may not read
    // `pcrs`, or `events`).
    if (reason == kReasonPolicyChanged) undecided_in_a_row_ = 0;
    // Twice in a row no decision was memoized for the verdict's claims: the
    // claims move every round (a policy that reads both `events` and
    // `pcrs`, on a device whose PCR 10 IMA extends), so naming the log
    // would cost every round two quotes.
    const bool undecided_likely =
        ((reason == kReasonPolicyChanged ||
          core.decision_memo().budget_bytes() == 0) &&
         core.PolicyReadsEvents()) ||
        undecided_in_a_row_ >= 2;
    if (round_log_ != nullptr && (verdict_fell_short_ || undecided_likely) &&
        core.FindHeldLog(last_log_) == nullptr) {
      round_log_ = nullptr;
    }
    if (round_log_ != nullptr) r->set_known_event_log_sha256(last_log_);
    state_ = State::kAwaitEvidence;
    deadline_ = Now() + svc_->options_.step_timeout;
    next_attest_ = Now() + svc_->options_.reattest_interval;
    QueueLocked(std::move(m));
  }

  void QueueLocked(v1::VerifierMessage m)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(guard_->mu) {
    if (finished_) return;
    out_.push_back(EncodeMessage(m));
    WriteNextLocked();
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(guard_->mu) {
    if (writing_ || finished_) return;
    if (out_.empty()) {
      if (read_closed_) MaybeFinishLocked(grpc::Status::OK);
      return;
    }
    writing_ = true;
    StartWrite(&out_.front());
  }

  void MaybeFinishLocked(const grpc::Status& s)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(guard_->mu) {
    if (writing_ || state_ == State::kWorking) return;  // finish after them
    FinishLocked(s);
  }

  void FinishLocked(const grpc::Status& s)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(guard_->mu) {
    if (finished_) return;
    finished_ = true;
    if (!s.ok()) Log(peer_, absl::StrCat("stream ended: ", s.error_message()));
    Finish(s);
  }

  AttestationServiceImpl* svc_;
  const std::string peer_;
  std::shared_ptr<StreamGuard> guard_;
  grpc::ByteBuffer in_;
  std::deque<grpc::ByteBuffer> out_ ABSL_GUARDED_BY(guard_->mu);
  bool writing_ ABSL_GUARDED_BY(guard_->mu) = false;
  bool finished_ ABSL_GUARDED_BY(guard_->mu) = false;
  bool read_closed_ ABSL_GUARDED_BY(guard_->mu) = false;
  State state_ ABSL_GUARDED_BY(guard_->mu) = State::kAwaitHello;
  absl::Time deadline_ ABSL_GUARDED_BY(guard_->mu);
  absl::Time next_attest_ ABSL_GUARDED_BY(guard_->mu) = absl::InfiniteFuture();
  v1::AgentHello hello_ ABSL_GUARDED_BY(guard_->mu);
  std::vector<uint8_t> ticket_ ABSL_GUARDED_BY(guard_->mu);
  // Shared with each round's pool task instead of copied into it (two
  // public areas and their buffers per round).
  std::shared_ptr<const EnrolledDevice> device_ ABSL_GUARDED_BY(guard_->mu);
  // The digest of the log this agent's last accepted evidence replayed
  // (32 bytes kept per stream), and — only while a round that named it as
  // known is open — its verdict, so eviction cannot race the round (the
  // parsed log is not pinned: without it the round asks for the log).
  LogDigest last_log_ ABSL_GUARDED_BY(guard_->mu);
  std::shared_ptr<const CachedReplay> round_log_ ABSL_GUARDED_BY(guard_->mu);
  // A round that named last_log_ needed the log itself because the PCR
  // values moved: name it from then on only while the parsed log is held
  // (until the log changes).
  bool verdict_fell_short_ ABSL_GUARDED_BY(guard_->mu) = false;
  // Named rounds in a row that needed the log for want of a memoized
  // decision (until the log or the policy changes); from 2 on the log is
  // named only while held parsed.
  int undecided_in_a_row_ ABSL_GUARDED_BY(guard_->mu) = 0;
};

// ---------------------------------------------------------------------------

AttestationServiceImpl::AttestationServiceImpl(Verifier* verifier,
                                               ServiceOptions options)
    : verifier_(verifier),
      options_(options),
      streams_(std::make_shared<StreamRegistry>()) {
  pool_ = std::make_unique<ThreadPool>(
      WorkerThreads(options_, verifier_->registry().RecordClockWaitsForCommit(),
                    std::thread::hardware_concurrency()),
      options_.max_queued_work);
  permit_log_ = std::make_unique<LogBudget>(
      &verifier_->clock(), options_.log_permits_per_second, absl::Minutes(1));
  verifier_->policies().OnChange([this](const std::string& type) {
    if (type == kAttestationTypeTpm) RequestReattestation(kReasonPolicyChanged);
  });
  ticker_ = std::thread([this] {
    absl::MutexLock lock(&ticker_mu_);
    while (!stopping_) {
      ticker_mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                                  absl::Milliseconds(500));
      if (stopping_) break;
      ticker_mu_.Unlock();
      const absl::Time now = verifier_->clock().Now();
      for (const auto& g : streams_->Snapshot()) {
        absl::MutexLock stream_lock(&g->mu);
        if (g->stream != nullptr) g->stream->TickLocked(now);
      }
      if (std::optional<int64_t> n = permit_log_->TakeReport()) {
        Log("attestations",
            absl::StrCat(*n,
                         " more permitted since the last such line, not "
                         "logged one by one (over log_permits_per_second = ",
                         options_.log_permits_per_second,
                         "; the store's audit trail, when there is one, "
                         "records each)"));
      }
      ticker_mu_.Lock();
    }
  });
}

AttestationServiceImpl::~AttestationServiceImpl() {
  {
    absl::MutexLock lock(&ticker_mu_);
    stopping_ = true;
  }
  ticker_.join();
  pool_.reset();  // runs queued work; streams are gone or ignore it
}

void AttestationServiceImpl::RequestReattestation(const std::string& reason) {
  for (const auto& g : streams_->Snapshot()) {
    absl::MutexLock lock(&g->mu);
    if (g->stream != nullptr) g->stream->ReattestLocked(reason);
  }
}

void AttestationServiceImpl::CloseAllStreams() {
  for (const auto& g : streams_->Snapshot()) {
    absl::MutexLock lock(&g->mu);
    if (g->stream != nullptr) g->stream->ShutdownLocked();
  }
}

size_t AttestationServiceImpl::open_streams() const { return streams_->size(); }

size_t AttestationServiceImpl::worker_threads() const {
  return pool_->threads();
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
AttestationServiceImpl::Connect(grpc::CallbackServerContext* context) {
  auto guard = std::make_shared<StreamGuard>();
  if (!streams_->TryAdd(guard, options_.max_streams)) {
    verifier_->metrics().agent_streams_refused().Increment();
    // A reactor that refuses at once.
    class Refuse final
        : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
     public:
      Refuse() {
        Finish(grpc::Status(
            grpc::StatusCode::RESOURCE_EXHAUSTED,
            "too many agent streams on this verifier; retry later"));
      }
      void OnDone() override { delete this; }
    };
    return new Refuse();
  }
  verifier_->metrics().agent_streams().Add(1);
  return new AgentStream(this, context, std::move(guard));
}

grpc::ServerUnaryReactor* AttestationServiceImpl::Enroll(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw_request,
    grpc::ByteBuffer* raw_response) {
  return RunUnary<v1::EnrollRequest, v1::CredentialChallenge>(
      context, pool_.get(), raw_request, raw_response,
      [this](const v1::EnrollRequest& request,
             v1::CredentialChallenge* response) -> absl::Status {
        RETURN_IF_ERROR(ValidateHello(request.hello()));
        absl::StatusOr<EnrollmentChallenge> c =
            verifier_->enroller().Begin(request.hello());
        if (!c.ok()) return c.status();
        *response = ToProto(*c);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AttestationServiceImpl::ActivateEnrollment(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw_request,
    grpc::ByteBuffer* raw_response) {
  const std::string peer = CallPeer(*context, options_.peer_from_front);
  return RunUnary<v1::ActivateEnrollmentRequest, v1::Enrolled>(
      context, pool_.get(), raw_request, raw_response,
      [this, peer](const v1::ActivateEnrollmentRequest& request,
                   v1::Enrolled* response) -> absl::Status {
        RETURN_IF_ERROR(ValidateActivateEnrollment(request));
        absl::StatusOr<v1::Enrolled> e = CompleteEnrollment(
            *verifier_, peer, request.hello(), AsBytes(request.ticket()),
            AsBytes(request.secret()));
        if (!e.ok()) return e.status();
        *response = *std::move(e);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AttestationServiceImpl::GetNonce(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw_request,
    grpc::ByteBuffer* raw_response) {
  return RunUnary<v1::GetNonceRequest, v1::AttestationRequest>(
      context, pool_.get(), raw_request, raw_response,
      [this](const v1::GetNonceRequest& request,
             v1::AttestationRequest* response) -> absl::Status {
        RETURN_IF_ERROR(ValidateDeviceId(request.device_id()));
        absl::StatusOr<std::shared_ptr<const EnrolledDevice>> d =
            verifier_->registry().Find(request.device_id());
        if (!d.ok()) return d.status();
        absl::StatusOr<IssuedNonce> n =
            verifier_->nonces().Issue((*d)->device_id);
        if (!n.ok()) return n.status();
        response->set_nonce(std::string(n->bytes.begin(), n->bytes.end()));
        response->set_pcr_mask(verifier_->core().RequiredPcrMask());
        response->set_reason("one-shot");
        response->set_expires_at(absl::ToUnixSeconds(n->expires_at));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AttestationServiceImpl::Attest(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw_request,
    grpc::ByteBuffer* raw_response) {
  const std::string peer = CallPeer(*context, options_.peer_from_front);
  return RunUnary<v1::AttestRequest, v1::AttestationResult>(
      context, pool_.get(), raw_request, raw_response,
      [this, peer](const v1::AttestRequest& request,
                   v1::AttestationResult* response) -> absl::Status {
        RETURN_IF_ERROR(ValidateAttestRequest(request));
        absl::StatusOr<std::shared_ptr<const EnrolledDevice>> d =
            verifier_->registry().Find(request.device_id());
        if (!d.ok()) return d.status();
        AttestOptions o;
        o.relying_party_nonce = request.relying_party_nonce();
        AttestationOutcome outcome =
            verifier_->core().Attest(**d, request.evidence(), o);
        LogOutcome(*permit_log_, peer, outcome);
        *response = ToProto(outcome);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AttestationServiceImpl::GetSigningKeys(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw_request,
    grpc::ByteBuffer* raw_response) {
  // No fields, but checked like the others; cheap, so not on the pool.
  return RunUnary<v1::GetSigningKeysRequest, v1::SigningKeys>(
      context, /*pool=*/nullptr, raw_request, raw_response,
      [this](const v1::GetSigningKeysRequest&,
             v1::SigningKeys* response) -> absl::Status {
        response->set_jwks_json(verifier_->Jwks());
        absl::StatusOr<std::string> meta = verifier_->OpenIdConfiguration();
        if (!meta.ok()) return meta.status();
        response->set_openid_configuration_json(*meta);
        return absl::OkStatus();
      });
}

}  // namespace vigil::service
