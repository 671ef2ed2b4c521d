// The state machine and the real gRPC client against a small real gRPC
// server in this process, speaking a scripted Connect dialogue on a unix
// socket (no network, no fixed port). The device side is a fake Attester, so
// this runs without a TPM; agent/collect's test covers the TPM.
#include "agent/daemon/state_machine.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vigil/v1/attestation_service.grpc.pb.h"

namespace vigil::agent {
namespace {

using ::testing::Contains;

class FakeAttester final : public Attester {
 public:
  absl::StatusOr<v1::AgentHello> Hello() override {
    v1::AgentHello h;
    h.set_protocol_version(1);
    h.set_ak_public("ak-public");
    return h;
  }
  absl::StatusOr<v1::CredentialResponse> Activate(
      const v1::CredentialChallenge& c) override {
    v1::CredentialResponse r;
    r.set_secret("secret-for:" + c.id_object());
    return r;
  }
  absl::StatusOr<v1::Evidence> Collect(
      const v1::AttestationRequest& request) override {
    v1::Evidence e;
    e.set_nonce(request.nonce());
    e.set_reset_count(reset_count.load());
    return e;
  }
  absl::StatusOr<uint32_t> ResetCount() override { return reset_count.load(); }

  std::atomic<uint32_t> reset_count{7};
};

// The verifier's side, scripted. Enrolment state survives server restarts
// (one object serves every server instance), as a real verifier's does.
class ScriptedVerifier final : public v1::AttestationService::Service {
 public:
  grpc::Status Connect(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::VerifierMessage, v1::AgentMessage>* stream)
      override {
    v1::AgentMessage in;
    if (!stream->Read(&in) || !in.has_hello()) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "want AgentHello"};
    }
    if (silent) {
      while (!context->IsCancelled()) absl::SleepFor(absl::Milliseconds(10));
      return grpc::Status::CANCELLED;
    }
    v1::VerifierMessage out;
    if (!enrolled) {
      out.mutable_challenge()->set_id_object("id-1");
      stream->Write(out);
      if (!stream->Read(&in) || in.credential().secret() != "secret-for:id-1") {
        return {grpc::StatusCode::PERMISSION_DENIED, "wrong secret"};
      }
      enrolled = true;
    }
    out.Clear();
    out.mutable_enrolled()->set_device_id("device-1");
    stream->Write(out);
    std::string reason = "enrolled";
    for (;;) {
      const int n = ++rounds;
      out.Clear();
      out.mutable_attestation_request()->set_nonce(absl::StrCat("nonce-", n));
      out.mutable_attestation_request()->set_pcr_mask(0x80);
      out.mutable_attestation_request()->set_reason(reason);
      if (!stream->Write(out) || !stream->Read(&in)) return grpc::Status::OK;
      if (in.evidence().nonce() != absl::StrCat("nonce-", n)) {
        return {grpc::StatusCode::INVALID_ARGUMENT, "Evidence.nonce: stale"};
      }
      if (ask_for_log.exchange(false)) {
        // As a verifier that held only the log's verdict and needed the
        // log: no result for this round, a new request instead.
        reason = "log-needed";
        continue;
      }
      out.Clear();
      v1::AttestationResult* r = out.mutable_result();
      r->set_permitted(!deny);
      r->set_attestation_id(absl::StrCat("att-", n));
      if (!deny) {
        r->set_token(absl::StrCat("eyJhbGciOiJFUzI1NiJ9.payload-", n, ".sig"));
      } else {
        v1::Reason* why = r->add_reasons();
        why->set_stage("policy");
        why->set_code("policy_denied");
        why->set_message("rule 3:1 denied");
      }
      if (!stream->Write(out) || !stream->Read(&in)) return grpc::Status::OK;
      reason = "agent:" + in.attestation_wanted().reason();
      absl::MutexLock lock(&mu);
      wanted.push_back(in.attestation_wanted().reason());
    }
  }

  std::vector<std::string> Wanted() {
    absl::MutexLock lock(&mu);
    return wanted;
  }

  std::atomic<bool> enrolled{false};
  std::atomic<bool> deny{false};
  std::atomic<bool> silent{false};
  std::atomic<bool> ask_for_log{false};
  std::atomic<int> rounds{0};
  absl::Mutex mu;
  std::vector<std::string> wanted ABSL_GUARDED_BY(mu);
};

class StateMachineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-agent-sm.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    socket_ = dir_ + "/verifier.sock";
    StartServer();
    VerifierClientOptions o;
    o.target = "unix:" + socket_;
    o.insecure = true;
    o.connect_timeout = absl::Milliseconds(200);
    ASSERT_OK_AND_ASSIGN(client_, VerifierClient::Create(o));
    options_.step_timeout = absl::Seconds(5);
    options_.backoff = {absl::Milliseconds(50), absl::Milliseconds(200), 2.0};
    options_.token_file = dir_ + "/token";
    options_.boot_check = absl::Milliseconds(100);
  }
  void TearDown() override {
    StopAgent();
    StopServer();
    unlink(options_.token_file.c_str());
    unlink(socket_.c_str());
    rmdir(dir_.c_str());
  }

  void StartServer() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket_,
                             grpc::InsecureServerCredentials());
    builder.RegisterService(&verifier_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void StopServer() {
    if (server_ == nullptr) return;
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(100));
    server_->Wait();
    server_.reset();
  }
  void StartAgent() {
    machine_ = std::make_unique<StateMachine>(
        *client_, attester_, notifier_, SystemClock::Get(), [] { return 0.5; },
        options_);
    agent_ = std::thread([this] { result_ = machine_->Run(); });
  }
  void StopAgent() {
    if (machine_ == nullptr) return;
    machine_->RequestStop();
    agent_.join();
    machine_.reset();
  }
  // Polls `done` for up to 15 s.
  bool Eventually(const std::function<bool(const AgentStats&)>& done) {
    for (int i = 0; i < 1500; ++i) {
      if (done(machine_->stats())) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }
  std::string Token() const {
    std::ifstream in(options_.token_file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_;
  std::string socket_;
  ScriptedVerifier verifier_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<VerifierClient> client_;
  FakeAttester attester_;
  NullNotifier notifier_;
  StateMachineOptions options_;
  std::unique_ptr<StateMachine> machine_;
  std::thread agent_;
  absl::StatusOr<std::optional<v1::AttestationResult>> result_;
};

TEST_F(StateMachineTest, EnrolsAnswersTheChallengeAndWritesTheToken) {
  StartAgent();
  ASSERT_TRUE(Eventually([](const AgentStats& s) { return s.permitted >= 1; }));
  AgentStats s = machine_->stats();
  EXPECT_EQ(s.challenges, 1);
  EXPECT_EQ(s.enrolments, 1);
  EXPECT_EQ(s.device_id, "device-1");
  EXPECT_EQ(s.failures, 0);
  EXPECT_EQ(machine_->state(), AgentState::kAttesting);
  EXPECT_EQ(Token(), "eyJhbGciOiJFUzI1NiJ9.payload-1.sig");
  StopAgent();
  ASSERT_OK(result_);
  EXPECT_FALSE(result_->has_value());  // stopped, not finished
}

// A verifier may answer evidence with a new request instead of a result
// (reason "log-needed": attestation_service.proto): the agent collects
// again over the new nonce, and the round counts once.
TEST_F(StateMachineTest, AnswersARequestThatComesInsteadOfAResult) {
  verifier_.ask_for_log = true;
  StartAgent();
  ASSERT_TRUE(Eventually([](const AgentStats& s) { return s.permitted >= 1; }));
  AgentStats s = machine_->stats();
  EXPECT_EQ(s.attestations, 1);
  EXPECT_EQ(s.failures, 0);
  EXPECT_EQ(verifier_.rounds.load(), 2);
  EXPECT_EQ(Token(), "eyJhbGciOiJFUzI1NiJ9.payload-2.sig");
}

TEST_F(StateMachineTest, BacksOffAndReconnectsWhenTheVerifierRestarts) {
  StartAgent();
  ASSERT_TRUE(Eventually([](const AgentStats& s) { return s.permitted >= 1; }));
  StopServer();
  // Down for a while: connects fail and the backoff grows.
  ASSERT_TRUE(
      Eventually([](const AgentStats& s) { return s.backoff_attempt >= 3; }));
  EXPECT_EQ(machine_->state(), AgentState::kBackoff);
  StartServer();
  ASSERT_TRUE(Eventually([](const AgentStats& s) { return s.permitted >= 2; }));
  AgentStats s = machine_->stats();
  EXPECT_GE(s.connects, 2);
  EXPECT_GE(s.failures, 1);
  EXPECT_EQ(s.challenges, 1);  // the verifier knew the AK the second time
  EXPECT_EQ(s.enrolments, 2);
  EXPECT_EQ(s.backoff_attempt, 0);  // reset by the success
  EXPECT_EQ(Token(), absl::StrCat("eyJhbGciOiJFUzI1NiJ9.payload-",
                                  verifier_.rounds.load(), ".sig"));
}

TEST_F(StateMachineTest, ReattestsOnANewBootAndOnItsInterval) {
  options_.interval = absl::Milliseconds(700);
  StartAgent();
  ASSERT_TRUE(Eventually([](const AgentStats& s) { return s.permitted >= 1; }));
  attester_.reset_count = 8;  // the TPM was reset: a new boot
  ASSERT_TRUE(
      Eventually([](const AgentStats& s) { return s.attestations >= 3; }));
  EXPECT_THAT(verifier_.Wanted(), Contains("new-boot"));
  EXPECT_THAT(verifier_.Wanted(), Contains("interval"));
}

TEST_F(StateMachineTest, DenialRemovesTheTokenAndOnceReturnsTheResult) {
  StartAgent();
  ASSERT_TRUE(Eventually([](const AgentStats& s) { return s.permitted >= 1; }));
  StopAgent();
  ASSERT_FALSE(Token().empty());
  verifier_.deny = true;
  options_.once = true;
  StartAgent();
  agent_.join();
  machine_.reset();
  ASSERT_OK(result_);
  ASSERT_TRUE(result_->has_value());
  EXPECT_FALSE((*result_)->permitted());
  EXPECT_EQ((*result_)->reasons(0).code(), "policy_denied");
  EXPECT_NE(access(options_.token_file.c_str(), F_OK), 0);
}

TEST_F(StateMachineTest, SilentVerifierHitsTheStepDeadlineAndIsRetried) {
  verifier_.silent = true;
  options_.step_timeout = absl::Milliseconds(300);
  StartAgent();
  ASSERT_TRUE(Eventually([](const AgentStats& s) { return s.failures >= 2; }));
  verifier_.silent = false;
  ASSERT_TRUE(Eventually([](const AgentStats& s) { return s.permitted >= 1; }));
}

TEST_F(StateMachineTest, OnceWithoutAVerifierFailsUnavailable) {
  StopServer();
  options_.once = true;
  StartAgent();
  agent_.join();
  machine_.reset();
  EXPECT_THAT(result_, vigil::testing::StatusIs(absl::StatusCode::kUnavailable,
                                                ::testing::_));
}

}  // namespace
}  // namespace vigil::agent
