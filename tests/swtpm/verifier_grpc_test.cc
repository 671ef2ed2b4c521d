// The verifier's gRPC service under hostile agents (issue #5 §5): an
// in-process Verifier served by StartServer on a unix socket in a temporary
// directory, raw generated stubs playing the agent, and a real swtpm
// re-enacting a recorded boot where a real quote is needed. Every case
// asserts the gRPC status code and message the protocol promises
// (protos/vigil/v1/attestation_service.proto), and that the verifier keeps
// serving well-behaved agents meanwhile.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/grpc_flow_control.h"
#include "common/testing/http2_client.h"
#include "common/testing/http2_settings.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "common/testing/unix_socket.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "service/grpc/request_validation.h"
#include "service/grpc/server.h"
#include "service/grpc/service_options.h"
#include "service/grpc/testing/raw_calls.h"
#include "service/store/sqlite_store.h"
#include "service/store/store_device_registry.h"
#include "service/token/jwks.h"
#include "service/token/jwt_verifier.h"
#include "service/verifier/verifier.h"
#include "tests/swtpm/attesting_device.h"
#include "tests/swtpm/subprocess.h"
#include "tests/swtpm/swtpm_ca.h"
#include "tpm/device/pcrs.h"
#include "tpm/types/hash_alg.h"
#include "vigil/v1/attestation_service.grpc.pb.h"

namespace vigil::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using ::vigil::service::testing::AddUnknownFields;
using ::vigil::service::testing::RawUnaryCall;

constexpr char kLinuxLog[] = "google-go-tpm-tools/ubuntu-2404-amd-sevsnp.bin";
constexpr char kIssuer[] = "https://verifier.test";

using AgentStream =
    grpc::ClientReaderWriter<v1::AgentMessage, v1::VerifierMessage>;

// One agent stream: its context (which must outlive the call) and the call.
struct Stream {
  grpc::ClientContext ctx;
  std::unique_ptr<AgentStream> call;
  bool ended = false;

  ~Stream() {
    if (call != nullptr && !ended) {
      ctx.TryCancel();
      End();
    }
  }
  bool Send(const v1::AgentMessage& m) { return call->Write(m); }
  // Reads until the verifier ends the stream; its final status.
  grpc::Status End() {
    v1::VerifierMessage ignored;
    while (call->Read(&ignored)) {
    }
    ended = true;
    return call->Finish();
  }
};

v1::AgentMessage HelloMessage(const v1::AgentHello& hello) {
  v1::AgentMessage m;
  *m.mutable_hello() = hello;
  return m;
}

v1::AgentMessage EvidenceMessage(const v1::Evidence& evidence) {
  v1::AgentMessage m;
  *m.mutable_evidence() = evidence;
  return m;
}

// Evidence whose shape passes request validation (its contents are junk).
v1::Evidence JunkEvidence(size_t event_log_bytes = 16) {
  v1::Evidence e;
  e.set_nonce(std::string(41, '\x01'));
  v1::Quote* q = e.add_quotes();
  q->set_attest("attest");
  q->set_signature("signature");
  e.set_event_log(std::string(event_log_bytes, '\0'));
  return e;
}

std::string ReadText(const std::string& path) {
  std::vector<uint8_t> b = ReadFileBytes(path);
  return std::string(b.begin(), b.end());
}

class VerifierGrpcTest : public ::testing::Test {
 protected:
  // One swtpm for the suite: each test has its own verifier (and registry),
  // so each enrols the device afresh.
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<AttestingDevice>> d =
        AttestingDevice::Boot(kLinuxLog);
    if (!d.ok()) {
      boot_error_ = new std::string(d.status().ToString());
      return;
    }
    device_ = d->release();
  }
  static void TearDownTestSuite() {
    delete device_;
    device_ = nullptr;
    delete boot_error_;
    boot_error_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(boot_error_, nullptr) << *boot_error_;
    ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Create("vigil-grpc-test"));
    dir_.emplace(std::move(dir));
  }

  void TearDown() override {
    if (server_.has_value()) server_->Shutdown(absl::Seconds(2));
  }

  static service::ServiceOptions Options() {
    service::ServiceOptions o;
    o.hello_timeout = absl::Seconds(30);
    o.step_timeout = absl::Seconds(30);
    o.worker_threads = 2;
    return o;
  }

  // Starts a verifier trusting the swtpm CA and serves it on a unix socket.
  void Start(const service::ServiceOptions& options = Options(),
             size_t replay_cache_bytes =
                 service::VerifierOptions().replay_cache_bytes) {
    ASSERT_OK_AND_ASSIGN(SwtpmCa * ca, SwtpmCa::ForProcess());
    service::VerifierOptions o;
    o.replay_cache_bytes = replay_cache_bytes;
    o.ek_trust_pem =
        ReadText(ca->root_cert_path()) + ReadText(ca->intermediate_cert_path());
    o.core.issuer = kIssuer;
    if (store_registry_.has_value()) o.device_registry = &*store_registry_;
    ASSERT_OK_AND_ASSIGN(verifier_,
                         service::Verifier::Create(o, &SystemClock::Get()));
    service::ListenerOptions l;
    l.address = "unix:" + dir_->Join("verifier.sock");
    l.insecure = true;
    ASSERT_OK_AND_ASSIGN(service::RunningServer s,
                         service::StartServer(verifier_.get(), l, options));
    server_.emplace(std::move(s));
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetMaxSendMessageSize(64 << 20);
    channel_ = grpc::CreateCustomChannel(
        server_->address, grpc::InsecureChannelCredentials(), args);
    stub_ = v1::AttestationService::NewStub(channel_);
  }

  std::unique_ptr<Stream> Open(absl::Duration deadline = absl::Seconds(20)) {
    auto s = std::make_unique<Stream>();
    s->ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    s->call = stub_->Connect(&s->ctx);
    return s;
  }

  // Polls until the service has `n` open streams (the server registers a
  // stream when the call arrives, after the client returned).
  bool AwaitOpenStreams(size_t n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (server_->service->open_streams() == n) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  // The unary Attest of a one-shot caller.
  grpc::Status UnaryAttest(const std::string& device_id,
                           const v1::Evidence& evidence) {
    grpc::ClientContext ctx;
    v1::AttestRequest req;
    req.set_device_id(device_id);
    *req.mutable_evidence() = evidence;
    v1::AttestationResult out;
    return stub_->Attest(&ctx, req, &out);
  }

  // Runs hello -> challenge -> activation -> Enrolled on `s` and returns the
  // first AttestationRequest in `request`.
  void Enrol(Stream& s, v1::AttestationRequest* request) {
    ASSERT_TRUE(s.Send(HelloMessage(device_->Hello())));
    v1::VerifierMessage m;
    ASSERT_TRUE(s.call->Read(&m));
    ASSERT_TRUE(m.has_challenge()) << m.DebugString();
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> secret,
                         device_->Activate(m.challenge()));
    v1::AgentMessage answer;
    answer.mutable_credential()->set_secret(
        std::string(secret.begin(), secret.end()));
    ASSERT_TRUE(s.Send(answer));
    ASSERT_TRUE(s.call->Read(&m));
    ASSERT_TRUE(m.has_enrolled()) << m.DebugString();
    EXPECT_TRUE(m.enrolled().newly_enrolled());
    EXPECT_TRUE(m.enrolled().aik_validated());
    EXPECT_EQ(m.enrolled().device_id().size(), 64u);
    device_id_ = m.enrolled().device_id();
    ASSERT_TRUE(s.call->Read(&m));
    ASSERT_TRUE(m.has_attestation_request()) << m.DebugString();
    *request = m.attestation_request();
  }

  // Answers `request` with a real quote and returns the verifier's result.
  void Attest(Stream& s, const v1::AttestationRequest& request,
              v1::Evidence* evidence, v1::AttestationResult* result) {
    ASSERT_OK_AND_ASSIGN(*evidence,
                         device_->Evidence(AsBytes(request.nonce())));
    ASSERT_TRUE(s.Send(EvidenceMessage(*evidence)));
    v1::VerifierMessage m;
    ASSERT_TRUE(s.call->Read(&m));
    ASSERT_TRUE(m.has_result()) << m.DebugString();
    *result = m.result();
  }

  // Answers `request` on `s` with a real quote; with `named_log`, naming the
  // log by that digest instead of sending it.
  void SendEvidence(Stream& s, const v1::AttestationRequest& request,
                    const std::string& named_log = "") {
    ASSERT_OK_AND_ASSIGN(v1::Evidence ev,
                         device_->Evidence(AsBytes(request.nonce())));
    if (!named_log.empty()) {
      ev.clear_event_log();
      ev.set_event_log_sha256(named_log);
    }
    ASSERT_TRUE(s.Send(EvidenceMessage(ev)));
  }

  // On `s`, a round the agent asks for, whose request names the log
  // `digest`; the evidence names it too, and the verifier, needing the log
  // itself, asks again (reason log-needed, naming none). Answered with the
  // log; its result in `*result`.
  void NamedRoundAskedForTheLog(Stream& s, const std::string& digest,
                                v1::AttestationResult* result) {
    v1::AgentMessage wanted;
    wanted.mutable_attestation_wanted()->set_reason("interval");
    v1::VerifierMessage m;
    ASSERT_TRUE(s.Send(wanted));
    ASSERT_TRUE(s.call->Read(&m));
    ASSERT_TRUE(m.has_attestation_request()) << m.DebugString();
    EXPECT_EQ(m.attestation_request().known_event_log_sha256(), digest);
    ASSERT_NO_FATAL_FAILURE(SendEvidence(s, m.attestation_request(), digest));
    ASSERT_TRUE(s.call->Read(&m));
    ASSERT_TRUE(m.has_attestation_request()) << m.DebugString();
    EXPECT_EQ(m.attestation_request().reason(), "log-needed");
    EXPECT_TRUE(m.attestation_request().known_event_log_sha256().empty());
    v1::Evidence evidence;
    ASSERT_NO_FATAL_FAILURE(
        Attest(s, m.attestation_request(), &evidence, result));
  }

  // Puts `policy` in force for Tpm: `s` is asked at once (reason
  // policy-changed) with a request naming the log `named` (empty: none),
  // answered by naming that log, or else by sending it; the result in
  // `*result`.
  void PolicyChangedRound(Stream& s, const char* policy,
                          const std::string& named,
                          v1::AttestationResult* result) {
    ASSERT_OK(
        verifier_->policies().Set("Tpm", policy, "p.policy", absl::Now()));
    v1::VerifierMessage m;
    ASSERT_TRUE(s.call->Read(&m));
    ASSERT_TRUE(m.has_attestation_request()) << m.DebugString();
    EXPECT_EQ(m.attestation_request().reason(), "policy-changed");
    EXPECT_EQ(m.attestation_request().known_event_log_sha256(), named);
    ASSERT_NO_FATAL_FAILURE(SendEvidence(s, m.attestation_request(), named));
    ASSERT_TRUE(s.call->Read(&m));
    ASSERT_TRUE(m.has_result()) << m.DebugString();
    *result = m.result();
  }

  // On `s`: enrols, attests once with the log (permitted, or fails the
  // test) and returns the log's SHA-256 in `*digest`.
  void EnrolAndAttestWithLog(Stream& s, std::string* digest) {
    v1::AttestationRequest request;
    ASSERT_NO_FATAL_FAILURE(Enrol(s, &request));
    EXPECT_TRUE(request.known_event_log_sha256().empty());
    v1::Evidence evidence;
    v1::AttestationResult result;
    ASSERT_NO_FATAL_FAILURE(Attest(s, request, &evidence, &result));
    ASSERT_TRUE(result.permitted());
    ASSERT_OK_AND_ASSIGN(tpm::Digest sha,
                         tpm::Hash(tpm::HashAlg::kSha256, device_->log));
    digest->assign(sha.begin(), sha.end());
  }

  // Opens a stream that enrols and attests once, permitted (or fails the
  // test); the stream stays open in `*out`.
  void OpenPermittedAgent(std::unique_ptr<Stream>* out) {
    *out = Open();
    v1::AttestationRequest request;
    ASSERT_NO_FATAL_FAILURE(Enrol(**out, &request));
    v1::Evidence evidence;
    v1::AttestationResult result;
    ASSERT_NO_FATAL_FAILURE(Attest(**out, request, &evidence, &result));
    ASSERT_TRUE(result.permitted()) << result.DebugString();
  }

  static absl::Span<const uint8_t> AsBytes(const std::string& s) {
    return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                               s.size());
  }

  static AttestingDevice* device_;
  static std::string* boot_error_;
  std::optional<TempDir> dir_;
  // When set, Start's verifier keeps devices and clocks in this store
  // (declared before verifier_ and server_: destroyed after them).
  std::unique_ptr<service::store::SqliteStore> store_;
  std::optional<service::store::StoreDeviceRegistry> store_registry_;
  std::unique_ptr<service::Verifier> verifier_;
  std::optional<service::RunningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AttestationService::Stub> stub_;
  std::string device_id_;
};

AttestingDevice* VerifierGrpcTest::device_ = nullptr;
std::string* VerifierGrpcTest::boot_error_ = nullptr;

// The worker pool's default size follows the device registry: with a store
// behind it, each attestation's worker waits for the group commit of its
// TPM clock, so the pool has more threads (DefaultWorkerThreads); rounds
// run through it and their clocks reach the store.
TEST_F(VerifierGrpcTest, DefaultWorkerPoolIsSizedForTheDeviceRegistry) {
  const unsigned cores = std::thread::hardware_concurrency();
  service::ServiceOptions o = Options();
  o.worker_threads = 0;
  ASSERT_NO_FATAL_FAILURE(Start(o));
  EXPECT_EQ(server_->service->worker_threads(),
            service::DefaultWorkerThreads(false, cores));
  server_->Shutdown(absl::Seconds(2));
  server_.reset();

  ASSERT_OK_AND_ASSIGN(store_, service::store::SqliteStore::Open(
                                   {.path = dir_->Join("store.db")}));
  store_registry_.emplace(store_.get());
  ASSERT_NO_FATAL_FAILURE(Start(o));
  EXPECT_EQ(server_->service->worker_threads(),
            service::DefaultWorkerThreads(true, cores));
  EXPECT_GT(server_->service->worker_threads(),
            service::DefaultWorkerThreads(false, cores));
  std::unique_ptr<Stream> s;
  ASSERT_NO_FATAL_FAILURE(OpenPermittedAgent(&s));
  EXPECT_GE(store_registry_->clock_commits(), 1);
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice stored,
                       store_->FindDevice(device_id_));
  EXPECT_EQ(stored.device_id, device_id_);
}

// The listener announces the fixed stream window of common/grpc_flow_control.h
// (gRPC's default is 65,535): read from its SETTINGS on a raw connection.
// That the probe is off is not visible here (it only acts once data flows);
// server.cc checks both argument names against gRPC's at compile time.
TEST_F(VerifierGrpcTest, AnnouncesTheFixedAttestationStreamWindow) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_OK_AND_ASSIGN(
      const int fd, ::vigil::testing::ConnectUnix(dir_->Join("verifier.sock")));
  absl::Cleanup close_fd = [fd] { close(fd); };
  ASSERT_OK(::vigil::testing::WriteClientPreface(fd));
  ASSERT_OK_AND_ASSIGN(uint32_t window,
                       ::vigil::testing::ReadPeerInitialWindowSize(
                           fd, /*peer_is_client=*/false));
  EXPECT_EQ(window, static_cast<uint32_t>(kAttestationStreamWindowBytes));
}

// The listener tells clients how many streams a connection may open
// (SETTINGS_MAX_CONCURRENT_STREAMS); gRPC's default is no limit at all.
TEST_F(VerifierGrpcTest, AnnouncesItsStreamLimitPerConnection) {
  service::ServiceOptions options = Options();
  options.transport.max_streams_per_connection = 7;
  ASSERT_NO_FATAL_FAILURE(Start(options));
  ASSERT_OK_AND_ASSIGN(
      const int fd, ::vigil::testing::ConnectUnix(dir_->Join("verifier.sock")));
  absl::Cleanup close_fd = [fd] { close(fd); };
  ASSERT_OK(::vigil::testing::WriteClientPreface(fd));
  ASSERT_OK_AND_ASSIGN(auto settings, ::vigil::testing::ReadPeerSettings(
                                          fd, /*peer_is_client=*/false));
  ASSERT_EQ(settings.count(kSettingsMaxConcurrentStreams), 1u);
  EXPECT_EQ(settings[kSettingsMaxConcurrentStreams], 7u);
}

// A gRPC message of `length` bytes that is one field unknown to every vigil
// message (field 15, length-delimited): decoding it costs no more memory
// than its bytes, unlike many small unknown fields.
std::string OneUnknownFieldMessage(uint32_t length) {
  std::string m(1, '\x7a');
  uint32_t rest = length - 1 - 4;  // the tag, a 4-byte varint (< 2^28)
  for (int i = 0; i < 4; ++i) {
    m.push_back(static_cast<char>((rest & 0x7f) | (i < 3 ? 0x80 : 0)));
    rest >>= 7;
  }
  m.resize(length, '\0');
  return m;
}

// A client that starts large messages on many streams and never finishes
// them makes gRPC hold every byte it sent (each stream's window grows to fit
// the declared message): without a bound, 8 streams of 24 MiB on one
// connection are 192 MiB held, and nothing stops a client from opening
// more. With transport.memory_bytes, gRPC cancels streams once that much is
// held; the verifier goes on serving others.
TEST_F(VerifierGrpcTest, PartialMessagesAreCutOffAtTheTransportMemoryLimit) {
  service::ServiceOptions options = Options();
  options.transport.memory_bytes = size_t{64} << 20;
  // No step deadline can be what ends these streams during the test, and
  // the verifier ends none of its own before a whole message: every reset
  // below is the quota's (gRPC sends its RESOURCE_EXHAUSTED trailers, then
  // RST_STREAM NO_ERROR, so the code does not say which).
  options.hello_timeout = absl::Minutes(10);
  ASSERT_NO_FATAL_FAILURE(Start(options));
  ASSERT_OK_AND_ASSIGN(
      const int fd, ::vigil::testing::ConnectUnix(dir_->Join("verifier.sock")));
  absl::Cleanup close_fd = [fd] { close(fd); };
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RawHttp2Client> c,
                       RawHttp2Client::Start(fd));
  constexpr size_t kStreams = 8;
  constexpr uint32_t kLength = 24u << 20;
  const std::string message = OneUnknownFieldMessage(kLength);
  std::vector<uint32_t> ids;
  for (size_t i = 0; i < kStreams; ++i) {
    ASSERT_OK_AND_ASSIGN(
        uint32_t id, c->OpenGrpcCall("/vigil.v1.AttestationService/Connect"));
    ASSERT_OK(c->SendGrpcMessageStart(id, kLength));
    ids.push_back(id);
  }
  // Round robin, a MiB at a time, while any stream takes more; all but the
  // last byte of each message, so none is ever complete.
  std::vector<size_t> sent(kStreams, 0);
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t i = 0; i < kStreams; ++i) {
      if (c->resets().count(ids[i]) != 0) continue;
      const size_t want = std::min<size_t>(1 << 20, kLength - 1 - sent[i]);
      if (want == 0) continue;
      ASSERT_OK_AND_ASSIGN(
          size_t n,
          c->SendWithinWindow(
              ids[i], absl::string_view(message).substr(sent[i], want)));
      sent[i] += n;
      progress = progress || n > 0;
    }
  }
  ASSERT_OK(c->Drain(/*wait_ms=*/500));
  size_t held = 0;
  for (size_t i = 0; i < kStreams; ++i) {
    if (c->resets().count(ids[i]) == 0) held += sent[i];
  }
  // 64 MiB hold at most two of these messages: the others were cancelled.
  EXPECT_GE(c->resets().size(), kStreams - 2);
  EXPECT_LE(held, options.transport.memory_bytes);
  EXPECT_FALSE(c->goaway().has_value());
  // A well-behaved agent is served meanwhile, on its own connection.
  std::unique_ptr<Stream> agent;
  ASSERT_NO_FATAL_FAILURE(OpenPermittedAgent(&agent));
}

// Connection-level slow loris: a client that connects and never completes
// the handshake (for TLS, never finishes it; here, never sends the HTTP/2
// preface) is cut off after `handshake_timeout`; one that completes it and
// opens no stream, after `idle_connection_timeout` (GOAWAY, then closed).
// gRPC's defaults were 120 s and never: such connections, ~150 KiB each
// over TLS (docs/PERFORMANCE.md), were bounded only by the file limit. A
// connection with a stream open is not idle.
TEST_F(VerifierGrpcTest, StalledAndStreamlessConnectionsAreClosed) {
  service::ServiceOptions options = Options();
  options.transport.handshake_timeout = absl::Seconds(1);
  options.transport.idle_connection_timeout = absl::Seconds(1);
  ASSERT_NO_FATAL_FAILURE(Start(options));
  const std::string socket = dir_->Join("verifier.sock");
  // Silent from the start: the verifier's SETTINGS come, then the close
  // (each wait is kSocketWaitMs, 5 s).
  ASSERT_OK_AND_ASSIGN(const int silent, ::vigil::testing::ConnectUnix(socket));
  absl::Cleanup close_silent = [silent] { close(silent); };
  char buffer[512];
  ssize_t got = 0;
  do {
    ASSERT_OK(::vigil::testing::PollWithin(silent, POLLIN))
        << "a silent connection is still open";
    got = recv(silent, buffer, sizeof(buffer), 0);
  } while (got > 0);
  EXPECT_EQ(got, 0) << strerror(errno);
  // Preface and SETTINGS exchanged, PINGs answered, no stream: GOAWAY,
  // then closed.
  ASSERT_OK_AND_ASSIGN(const int idle, ::vigil::testing::ConnectUnix(socket));
  absl::Cleanup close_idle = [idle] { close(idle); };
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RawHttp2Client> c,
                       RawHttp2Client::Start(idle));
  EXPECT_THAT(
      c->Drain(/*wait_ms=*/5000),
      ::vigil::testing::StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  // (gRPC 1.51 closes an idle connection with INTERNAL_ERROR.)
  EXPECT_TRUE(c->goaway().has_value());
  // An agent's stream outlives the idle timeout on its connection.
  std::unique_ptr<Stream> agent;
  ASSERT_NO_FATAL_FAILURE(OpenPermittedAgent(&agent));
  absl::SleepFor(absl::Seconds(3));
  EXPECT_EQ(server_->service->open_streams(), 1u);
  server_->service->RequestReattestation("still there?");
  v1::VerifierMessage m;
  ASSERT_TRUE(agent->call->Read(&m));
  ASSERT_TRUE(m.has_attestation_request()) << m.DebugString();
  v1::Evidence evidence;
  v1::AttestationResult result;
  ASSERT_NO_FATAL_FAILURE(
      Attest(*agent, m.attestation_request(), &evidence, &result));
  EXPECT_TRUE(result.permitted()) << result.DebugString();
}

// Requests are checked on the wire before they are decoded
// (service/grpc/wire_check.h): decoding keeps every unknown field and every
// repeated message as an object of its own, so 2-byte fields would cost the
// verifier ~36 bytes each (a 30-MiB flood took 822 MiB before the check,
// 60 MiB after: docs/PERFORMANCE.md). A few unknown fields, as a newer
// agent sends, still pass.
TEST_F(VerifierGrpcTest, FieldFloodsAreRefusedBeforeDecoding) {
  ASSERT_NO_FATAL_FAILURE(Start());
  // On the stream: a hello with 1,000 unknown fields.
  auto s = Open();
  v1::AgentMessage flood = HelloMessage(device_->Hello());
  AddUnknownFields(*flood.mutable_hello(), 1000);
  s->Send(flood);
  grpc::Status st = s->End();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), StartsWith("agent message: offset "));
  EXPECT_THAT(st.error_message(),
              HasSubstr(": more than 64 fields unknown to this verifier "
                        "(field 15)"));
  // Unary: evidence of 9,000 empty quotes (each a message when decoded).
  v1::Evidence quotes = JunkEvidence();
  for (int i = 0; i < 9000; ++i) quotes.add_quotes();
  st = UnaryAttest(std::string(64, 'a'), quotes);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(),
              HasSubstr("more than 8192 fields; no message of this protocol "
                        "has that many"));
  EXPECT_THAT(st.error_message(), StartsWith("request: offset "));
  // Bytes that are not protobuf at all (a truncated length).
  st = RawUnaryCall(channel_, "/vigil.v1.AttestationService/GetSigningKeys",
                    std::string("\x0a\x10\x08", 3));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "request: offset 0: field 1: length 16 runs past the end (1 bytes "
            "left)");
  // A newer agent's few extra fields pass: its hello gets a challenge.
  auto newer = Open();
  v1::AgentMessage hello = HelloMessage(device_->Hello());
  AddUnknownFields(*hello.mutable_hello(), 3);
  ASSERT_TRUE(newer->Send(hello));
  v1::VerifierMessage m;
  ASSERT_TRUE(newer->call->Read(&m));
  EXPECT_TRUE(m.has_challenge()) << m.DebugString();
}

TEST_F(VerifierGrpcTest, FirstMessageThatIsNotAHelloIsOutOfTurn) {
  ASSERT_NO_FATAL_FAILURE(Start());
  struct Case {
    std::function<void(v1::AgentMessage&)> fill;
    std::string what;
  };
  for (const Case& c : std::vector<Case>{
           {[](auto& m) { m.mutable_credential()->set_secret("x"); },
            "credential"},
           {[](auto& m) { *m.mutable_evidence() = JunkEvidence(); },
            "evidence"},
           {[](auto& m) { m.mutable_attestation_wanted()->set_reason("x"); },
            "attestation_wanted"}}) {
    auto s = Open();
    v1::AgentMessage m;
    c.fill(m);
    s->Send(m);
    grpc::Status st = s->End();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << c.what;
    EXPECT_EQ(st.error_message(),
              absl::StrCat("agent message ", c.what, " out of turn"));
  }
  // A message with nothing set.
  auto s = Open();
  s->Send(v1::AgentMessage());
  grpc::Status st = s->End();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("empty"));
}

TEST_F(VerifierGrpcTest, WrongProtocolVersionIsRefusedNamingTheVersions) {
  ASSERT_NO_FATAL_FAILURE(Start());
  v1::AgentHello hello = device_->Hello();
  hello.set_protocol_version(2);
  auto s = Open();
  s->Send(HelloMessage(hello));
  grpc::Status st = s->End();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message(),
            "hello.protocol_version: 2 is not spoken here; this verifier "
            "speaks 1");
  // The unary enrolment says the same.
  grpc::ClientContext ctx;
  v1::EnrollRequest req;
  *req.mutable_hello() = hello;
  v1::CredentialChallenge out;
  st = stub_->Enroll(&ctx, req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("this verifier speaks 1"));
}

TEST_F(VerifierGrpcTest, OversizedEventLogIsInvalidArgumentNamingTheField) {
  ASSERT_NO_FATAL_FAILURE(Start());
  grpc::Status st = UnaryAttest(std::string(64, 'a'),
                                JunkEvidence(service::kMaxEventLogBytes + 1));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "evidence.event_log: 16777217 bytes, limit 16777216");
}

TEST_F(VerifierGrpcTest, MessageOverTheTransportLimitIsResourceExhausted) {
  ASSERT_NO_FATAL_FAILURE(Start());
  grpc::Status st = UnaryAttest(std::string(64, 'a'),
                                JunkEvidence(service::kMaxMessageBytes + 1));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(st.error_message(), HasSubstr("larger than max"));
  // The same on a stream.
  auto s = Open();
  s->Send(EvidenceMessage(JunkEvidence(service::kMaxMessageBytes + 1)));
  st = s->End();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(st.error_message(), HasSubstr("larger than max"));
}

TEST_F(VerifierGrpcTest, SlowLorisIsClosedAfterTheHelloTimeout) {
  service::ServiceOptions o = Options();
  o.hello_timeout = absl::Seconds(1);
  ASSERT_NO_FATAL_FAILURE(Start(o));
  const absl::Time start = absl::Now();
  auto s = Open(/*deadline=*/absl::Seconds(20));
  grpc::Status st = s->End();
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The verifier's deadline, not the client's.
  EXPECT_EQ(st.error_message(), "no AgentHello within the step deadline");
  EXPECT_GE(took, absl::Seconds(1));
  EXPECT_LT(took, absl::Seconds(5));
  EXPECT_TRUE(AwaitOpenStreams(0));
}

TEST_F(VerifierGrpcTest, UnansweredChallengeIsClosedAfterTheStepTimeout) {
  service::ServiceOptions o = Options();
  o.step_timeout = absl::Seconds(1);
  ASSERT_NO_FATAL_FAILURE(Start(o));
  auto s = Open();
  ASSERT_TRUE(s->Send(HelloMessage(device_->Hello())));
  v1::VerifierMessage m;
  ASSERT_TRUE(s->call->Read(&m));
  ASSERT_TRUE(m.has_challenge());
  grpc::Status st = s->End();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(st.error_message(),
            "no CredentialResponse within the step deadline");
}

TEST_F(VerifierGrpcTest, EnrolmentAnswerWithAWrongSecretIsUnauthenticated) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto s = Open();
  ASSERT_TRUE(s->Send(HelloMessage(device_->Hello())));
  v1::VerifierMessage m;
  ASSERT_TRUE(s->call->Read(&m));
  ASSERT_TRUE(m.has_challenge()) << m.DebugString();
  v1::AgentMessage answer;
  answer.mutable_credential()->set_secret(std::string(32, '\x42'));
  ASSERT_TRUE(s->Send(answer));
  grpc::Status st = s->End();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(st.error_message(),
              StartsWith("enrolment: credential activation failed"));
  // Nothing was enrolled.
  ASSERT_OK_AND_ASSIGN(tpm::PublicArea ek,
                       tpm::ParseTpm2bPublic(device_->ek->public_area));
  ASSERT_OK_AND_ASSIGN(std::string id, service::DeviceIdForEk(ek));
  grpc::ClientContext ctx;
  v1::GetNonceRequest req;
  req.set_device_id(id);
  v1::AttestationRequest out;
  st = stub_->GetNonce(&ctx, req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(),
            absl::StrCat("device ", id, " is not enrolled"));
}

TEST_F(VerifierGrpcTest, UnaryAttestForADeviceNeverEnrolledIsNotFound) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string id(64, 'b');
  grpc::Status st = UnaryAttest(id, JunkEvidence());
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(),
            absl::StrCat("device ", id, " is not enrolled"));
  // A malformed device id is refused before any lookup.
  st = UnaryAttest("B", JunkEvidence());
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("device_id"));
}

TEST_F(VerifierGrpcTest, ReplayedEvidenceIsADenialNotAStreamError) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto s = Open();
  v1::AttestationRequest request;
  ASSERT_NO_FATAL_FAILURE(Enrol(*s, &request));
  EXPECT_EQ(request.reason(), "enrolled");
  v1::Evidence evidence;
  v1::AttestationResult result;
  ASSERT_NO_FATAL_FAILURE(Attest(*s, request, &evidence, &result));
  ASSERT_TRUE(result.permitted())
      << (result.reasons().empty() ? "" : result.reasons(0).message());

  // The agent asks for another round and answers it with the old evidence.
  v1::AgentMessage wanted;
  wanted.mutable_attestation_wanted()->set_reason("interval");
  ASSERT_TRUE(s->Send(wanted));
  v1::VerifierMessage m;
  ASSERT_TRUE(s->call->Read(&m));
  ASSERT_TRUE(m.has_attestation_request()) << m.DebugString();
  EXPECT_EQ(m.attestation_request().reason(), "agent:interval");
  EXPECT_NE(m.attestation_request().nonce(), request.nonce());
  ASSERT_TRUE(s->Send(EvidenceMessage(evidence)));
  ASSERT_TRUE(s->call->Read(&m));
  ASSERT_TRUE(m.has_result()) << m.DebugString();
  EXPECT_FALSE(m.result().permitted());
  EXPECT_TRUE(m.result().token().empty());
  ASSERT_GT(m.result().reasons_size(), 0);
  EXPECT_EQ(m.result().reasons(0).stage(), "nonce");
  EXPECT_EQ(m.result().reasons(0).code(), "nonce_reused");

  // The stream is still up: the next round works with fresh evidence.
  ASSERT_TRUE(s->Send(wanted));
  ASSERT_TRUE(s->call->Read(&m));
  ASSERT_TRUE(m.has_attestation_request());
  ASSERT_NO_FATAL_FAILURE(
      Attest(*s, m.attestation_request(), &evidence, &result));
  EXPECT_TRUE(result.permitted());

  // An oversized event log on the stream ends it, naming the field.
  ASSERT_TRUE(s->Send(wanted));
  ASSERT_TRUE(s->call->Read(&m));
  ASSERT_TRUE(m.has_attestation_request());
  v1::Evidence big = evidence;
  big.set_event_log(std::string(service::kMaxEventLogBytes + 1, '\0'));
  ASSERT_TRUE(s->Send(EvidenceMessage(big)));
  grpc::Status st = s->End();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "evidence.event_log: 16777217 bytes, limit 16777216");
}

// log_permits_per_second = 0: no permitted attestation is logged one by
// one, and every denial still is (service_options.h).
TEST_F(VerifierGrpcTest, PermitsAreLoggedWithinTheirBudgetDenialsAlways) {
  service::ServiceOptions o = Options();
  o.log_permits_per_second = 0;
  ASSERT_NO_FATAL_FAILURE(Start(o));
  ::testing::internal::CaptureStderr();
  auto s = Open();
  v1::AttestationRequest request;
  v1::Evidence evidence;
  v1::AttestationResult result;
  Enrol(*s, &request);
  Attest(*s, request, &evidence, &result);
  const bool first_permitted = result.permitted();
  // The same evidence again: a denial (nonce reused).
  v1::AgentMessage wanted;
  wanted.mutable_attestation_wanted()->set_reason("interval");
  v1::VerifierMessage m;
  const bool asked = s->Send(wanted) && s->call->Read(&m);
  const bool sent = asked && s->Send(EvidenceMessage(evidence));
  const bool answered = sent && s->call->Read(&m);
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(first_permitted);
  ASSERT_TRUE(answered);
  ASSERT_TRUE(m.has_result()) << m.DebugString();
  EXPECT_FALSE(m.result().permitted());
  EXPECT_THAT(log, HasSubstr(" denied"));
  EXPECT_THAT(log, Not(HasSubstr(" attested")));
}

// known_event_log_sha256 on the stream: the first request names no log;
// once a log replayed, every request names it and evidence that names it
// back attests without the log (attestation_service.proto).
TEST_F(VerifierGrpcTest, AfterTheFirstRoundTheVerifierNamesTheLogItHolds) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto s = Open();
  std::string digest;
  ASSERT_NO_FATAL_FAILURE(EnrolAndAttestWithLog(*s, &digest));

  v1::AgentMessage wanted;
  wanted.mutable_attestation_wanted()->set_reason("interval");
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    ASSERT_TRUE(s->Send(wanted));
    v1::VerifierMessage m;
    ASSERT_TRUE(s->call->Read(&m));
    ASSERT_TRUE(m.has_attestation_request()) << m.DebugString();
    EXPECT_EQ(m.attestation_request().known_event_log_sha256(), digest);
    ASSERT_NO_FATAL_FAILURE(SendEvidence(*s, m.attestation_request(), digest));
    ASSERT_TRUE(s->call->Read(&m));
    ASSERT_TRUE(m.has_result()) << m.DebugString();
    EXPECT_TRUE(m.result().permitted())
        << (m.result().reasons().empty() ? ""
                                         : m.result().reasons(0).message());
    EXPECT_FALSE(m.result().token().empty());
  }

  // A digest the verifier never held is a denial naming what to do, and
  // the stream stays up.
  ASSERT_TRUE(s->Send(wanted));
  v1::VerifierMessage m;
  ASSERT_TRUE(s->call->Read(&m));
  ASSERT_TRUE(m.has_attestation_request());
  ASSERT_OK_AND_ASSIGN(
      v1::Evidence wrong,
      device_->Evidence(AsBytes(m.attestation_request().nonce())));
  wrong.clear_event_log();
  wrong.set_event_log_sha256(std::string(32, '\x07'));
  ASSERT_TRUE(s->Send(EvidenceMessage(wrong)));
  ASSERT_TRUE(s->call->Read(&m));
  ASSERT_TRUE(m.has_result());
  EXPECT_FALSE(m.result().permitted());
  ASSERT_GT(m.result().reasons_size(), 0);
  EXPECT_EQ(m.result().reasons(0).code(), "log_unknown");
  EXPECT_THAT(m.result().reasons(0).message(),
              ::testing::HasSubstr("send the event log"));
  ASSERT_TRUE(s->Send(wanted));
  ASSERT_TRUE(s->call->Read(&m));
  ASSERT_TRUE(m.has_attestation_request());
}

// A verifier that holds a device's verdict but not its log (more devices
// than logs fit: replay_cache.h) still names the log, and when a round
// turns out to need the log itself it asks again at once without naming it
// rather than answering with a refusal; after a change to a policy that
// may read `events` it names the log only if it holds the log. A policy
// that cannot read `events` is decided from the verdict alone.
TEST_F(VerifierGrpcTest, AVerifierWithoutTheLogAsksForItInsteadOfRefusing) {
  // 64 KiB for verdicts, 64 KiB for logs: the Linux log (45 KB, charged
  // three times) is not held.
  ASSERT_NO_FATAL_FAILURE(Start(Options(), /*replay_cache_bytes=*/128u << 10));
  auto s = Open();
  std::string digest;
  ASSERT_NO_FATAL_FAILURE(EnrolAndAttestWithLog(*s, &digest));
  ASSERT_EQ(verifier_->core().FindHeldLog(digest), nullptr);

  v1::AgentMessage wanted;
  wanted.mutable_attestation_wanted()->set_reason("interval");
  auto next = [&](v1::VerifierMessage* m) { ASSERT_TRUE(s->call->Read(m)); };
  v1::VerifierMessage m;
  // A round the request names the log for, decided from the verdict.
  auto named_round = [&] {
    ASSERT_TRUE(s->Send(wanted));
    ASSERT_NO_FATAL_FAILURE(next(&m));
    ASSERT_TRUE(m.has_attestation_request()) << m.DebugString();
    EXPECT_EQ(m.attestation_request().known_event_log_sha256(), digest);
    ASSERT_NO_FATAL_FAILURE(SendEvidence(*s, m.attestation_request(), digest));
    ASSERT_NO_FATAL_FAILURE(next(&m));
    ASSERT_TRUE(m.has_result()) << m.DebugString();
    EXPECT_TRUE(m.result().permitted());
  };
  ASSERT_NO_FATAL_FAILURE(named_round());

  // The policy changes between the request and the evidence: the round
  // needs the log (no decision for the new policy is held, and it may read
  // `events`), so the verifier asks for it instead of answering.
  constexpr char kPolicyA[] = R"(version=1.0;
authorizationrules { => permit(); };
issuancerules { c:[type=="events"] => issue(type="a", value=1); };
)";
  ASSERT_TRUE(s->Send(wanted));
  ASSERT_NO_FATAL_FAILURE(next(&m));
  ASSERT_TRUE(m.has_attestation_request()) << m.DebugString();
  EXPECT_EQ(m.attestation_request().known_event_log_sha256(), digest);
  ASSERT_OK(
      verifier_->policies().Set("Tpm", kPolicyA, "a.policy", absl::Now()));
  ASSERT_NO_FATAL_FAILURE(SendEvidence(*s, m.attestation_request(), digest));
  ASSERT_NO_FATAL_FAILURE(next(&m));
  ASSERT_TRUE(m.has_attestation_request()) << m.DebugString();
  EXPECT_EQ(m.attestation_request().reason(), "log-needed");
  EXPECT_TRUE(m.attestation_request().known_event_log_sha256().empty());
  ASSERT_NO_FATAL_FAILURE(SendEvidence(*s, m.attestation_request()));
  ASSERT_NO_FATAL_FAILURE(next(&m));
  ASSERT_TRUE(m.has_result()) << m.DebugString();
  EXPECT_TRUE(m.result().permitted())
      << (m.result().reasons().empty() ? "" : m.result().reasons(0).message());

  // That round needed the log for want of a decision, not because the PCR
  // values moved: the next round names the log again, and is decided from
  // the verdict and the decision just made.
  ASSERT_NO_FATAL_FAILURE(named_round());

  // A policy change while idle: the verifier asks at once, and does not
  // name a log it does not hold (the round would need it).
  constexpr char kPolicyB[] = R"(version=1.0;
authorizationrules { => permit(); };
issuancerules { c:[type=="events"] => issue(type="b", value=2); };
)";
  v1::AttestationResult result;
  ASSERT_NO_FATAL_FAILURE(
      PolicyChangedRound(*s, kPolicyB, /*named=*/"", &result));
  EXPECT_TRUE(result.permitted());

  // A change to a policy that reads only claims the verdict keeps: the
  // request names the log, and the round is evaluated without it, not
  // asked again.
  const uint64_t asked = verifier_->metrics().logs_asked().Value();
  constexpr char kPolicyC[] = R"(version=1.0;
authorizationrules { c:[type=="secureBootEnabled"] => permit(); => permit(); };
issuancerules { c:[type=="aikValidated"] => issue(type="c", value=3); };
)";
  ASSERT_NO_FATAL_FAILURE(PolicyChangedRound(*s, kPolicyC, digest, &result));
  EXPECT_TRUE(result.permitted());
  EXPECT_EQ(verifier_->metrics().logs_asked().Value(), asked);
  EXPECT_EQ(verifier_->core().FindHeldLog(digest), nullptr);
}

// A device whose quoted PCR values move away from its log's verdict (a PCR
// extended after boot, which the policy requires quoted) is asked for its
// log once; from then on its requests name the log only while the
// verifier holds it parsed, so its rounds do not each cost two quotes.
TEST_F(VerifierGrpcTest, AStreamWhosePcrsMoveStopsNamingALogItCannotReplay) {
  ASSERT_NO_FATAL_FAILURE(Start(Options(), /*replay_cache_bytes=*/128u << 10));
  // Its own TPM: this test extends a PCR.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<AttestingDevice> own,
                       AttestingDevice::Boot(kLinuxLog, /*distinct_ek=*/true));
  AttestingDevice* const shared = device_;
  device_ = own.get();
  absl::Cleanup restore = [shared] { device_ = shared; };
  auto s = Open();
  std::string digest;
  ASSERT_NO_FATAL_FAILURE(EnrolAndAttestWithLog(*s, &digest));
  // PCR 23: in no log, quoted under the default policy's mask.
  ASSERT_OK(tpm::ExtendPcr(*device_->ctx, 23,
                           {{tpm::HashAlg::kSha256, tpm::Digest(32, 0x23)}}));

  v1::AttestationResult result;
  ASSERT_NO_FATAL_FAILURE(NamedRoundAskedForTheLog(*s, digest, &result));
  EXPECT_TRUE(result.permitted());
  EXPECT_EQ(verifier_->metrics().logs_asked().Value(), 1u);
  v1::AgentMessage wanted;
  wanted.mutable_attestation_wanted()->set_reason("interval");
  v1::VerifierMessage m;
  v1::Evidence evidence;

  // The verdict now matches again, but PCRs that moved once may move
  // again: the log is not named while it is not held parsed.
  ASSERT_TRUE(s->Send(wanted));
  ASSERT_TRUE(s->call->Read(&m));
  ASSERT_TRUE(m.has_attestation_request()) << m.DebugString();
  EXPECT_TRUE(m.attestation_request().known_event_log_sha256().empty());
  ASSERT_NO_FATAL_FAILURE(
      Attest(*s, m.attestation_request(), &evidence, &result));
  EXPECT_TRUE(result.permitted());
}

// Under a policy that reads both `events` and `pcrs`, a device whose PCR
// the log never extends moves every round (IMA's PCR 10) keeps its verdict
// (ReplayKey), but no decision is ever memoized for its claims (the `pcrs`
// claim moves) and the verdict has no `events`: each named round needs the
// log. After two such rounds in a row the stream stops naming the log, so
// the device's rounds cost one quote each, not two.
TEST_F(VerifierGrpcTest, AStreamWhoseRoundsKeepNeedingTheLogStopsNamingIt) {
  ASSERT_NO_FATAL_FAILURE(Start(Options(), /*replay_cache_bytes=*/128u << 10));
  constexpr char kReadsEventsAndPcrs[] = R"(version=1.0;
authorizationrules { c:[type=="pcrs"] => permit(); };
issuancerules { c:[type=="events"] => issue(type="e", value=1); };
)";
  ASSERT_OK(verifier_->policies().Set("Tpm", kReadsEventsAndPcrs, "p.policy",
                                      absl::Now()));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<AttestingDevice> own,
                       AttestingDevice::Boot(kLinuxLog, /*distinct_ek=*/true));
  AttestingDevice* const shared = device_;
  device_ = own.get();
  absl::Cleanup restore = [shared] { device_ = shared; };
  uint8_t fill = 0x23;
  auto extend = [&] {
    ASSERT_OK(tpm::ExtendPcr(
        *device_->ctx, 23, {{tpm::HashAlg::kSha256, tpm::Digest(32, fill++)}}));
  };
  ASSERT_NO_FATAL_FAILURE(extend());  // moved before the first replay
  auto s = Open();
  std::string digest;
  ASSERT_NO_FATAL_FAILURE(EnrolAndAttestWithLog(*s, &digest));

  v1::AttestationResult result;
  for (uint64_t round = 1; round <= 2; ++round) {
    SCOPED_TRACE(round);
    ASSERT_NO_FATAL_FAILURE(extend());
    ASSERT_NO_FATAL_FAILURE(NamedRoundAskedForTheLog(*s, digest, &result));
    EXPECT_TRUE(result.permitted());
    EXPECT_EQ(verifier_->metrics().logs_asked().Value(), round);
  }
  v1::AgentMessage wanted;
  wanted.mutable_attestation_wanted()->set_reason("interval");
  v1::VerifierMessage m;
  v1::Evidence evidence;
  // Twice in a row: the log is no longer named (it is not held parsed).
  ASSERT_NO_FATAL_FAILURE(extend());
  ASSERT_TRUE(s->Send(wanted));
  ASSERT_TRUE(s->call->Read(&m));
  ASSERT_TRUE(m.has_attestation_request()) << m.DebugString();
  EXPECT_TRUE(m.attestation_request().known_event_log_sha256().empty());
  ASSERT_NO_FATAL_FAILURE(
      Attest(*s, m.attestation_request(), &evidence, &result));
  EXPECT_TRUE(result.permitted());
  EXPECT_EQ(verifier_->metrics().logs_asked().Value(), 2u);

  // A policy that reads neither: the verdict decides again, so the request
  // after the change names the log, and nothing is asked.
  constexpr char kReadsNeither[] = R"(version=1.0;
authorizationrules { c:[type=="secureBootEnabled"] => permit(); => permit(); };
)";
  ASSERT_NO_FATAL_FAILURE(extend());
  ASSERT_NO_FATAL_FAILURE(
      PolicyChangedRound(*s, kReadsNeither, digest, &result));
  EXPECT_TRUE(result.permitted());
  EXPECT_EQ(verifier_->metrics().logs_asked().Value(), 2u);
}

TEST_F(VerifierGrpcTest, FullDialogueWorksWhileOtherStreamsMisbehave) {
  service::ServiceOptions o = Options();
  o.hello_timeout = absl::Seconds(1);
  ASSERT_NO_FATAL_FAILURE(Start(o));
  // Misbehaving agents: idle streams (slow loris), one out of turn, one
  // over the transport limit.
  std::vector<std::unique_ptr<Stream>> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(Open());
  auto rude = Open();
  v1::AgentMessage cred;
  cred.mutable_credential()->set_secret("x");
  rude->Send(cred);
  auto huge = Open();
  huge->Send(EvidenceMessage(JunkEvidence(service::kMaxMessageBytes + 1)));

  // A well-behaved agent enrols and attests meanwhile; its token verifies
  // against the keys a relying party fetches.
  auto s = Open();
  v1::AttestationRequest request;
  ASSERT_NO_FATAL_FAILURE(Enrol(*s, &request));
  EXPECT_EQ(request.pcr_mask(), 0xFFFFFFu);
  EXPECT_EQ(request.nonce().size(), service::NonceIssuer::kNonceSize);
  v1::Evidence evidence;
  v1::AttestationResult result;
  ASSERT_NO_FATAL_FAILURE(Attest(*s, request, &evidence, &result));
  ASSERT_TRUE(result.permitted())
      << (result.reasons().empty() ? "" : result.reasons(0).message());
  EXPECT_EQ(result.device_id(), device_id_);
  EXPECT_GT(result.expires_at(), absl::ToUnixSeconds(absl::Now()));

  grpc::ClientContext kctx;
  v1::SigningKeys keys;
  ASSERT_TRUE(stub_->GetSigningKeys(&kctx, {}, &keys).ok());
  ASSERT_OK_AND_ASSIGN(token::Jwks jwks, token::Jwks::Parse(keys.jwks_json()));
  ASSERT_OK_AND_ASSIGN(token::JwtVerifier rp,
                       token::JwtVerifierBuilder()
                           .SetJwks(std::move(jwks))
                           .ExpectIssuer(kIssuer)
                           .AllowAlgorithms({token::JwsAlgorithm::kEs256})
                           .Build());
  ASSERT_OK_AND_ASSIGN(token::VerifiedJwt t, rp.Verify(result.token()));
  EXPECT_EQ(t.claims()["sub"], device_id_);
  EXPECT_EQ(t.claims()["jti"], result.attestation_id());

  // The misbehaving streams got their own answers.
  grpc::Status st = rude->End();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // Refused by the transport limit, or (when moving 32 MiB takes longer
  // than this test's 1 s hello timeout on a loaded machine) by the hello
  // deadline; MessageOverTheTransportLimitIsResourceExhausted pins the code.
  st = huge->End();
  EXPECT_THAT(st.error_code(),
              ::testing::AnyOf(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               grpc::StatusCode::DEADLINE_EXCEEDED));
  for (auto& i : idle) {
    st = i->End();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_EQ(st.error_message(), "no AgentHello within the step deadline");
  }

  // The enrolled agent reconnects (e.g. after a network loss): the known
  // (EK, AK) pair is answered with Enrolled at once, then a request.
  s->ctx.TryCancel();
  s->End();
  auto again = Open();
  ASSERT_TRUE(again->Send(HelloMessage(device_->Hello())));
  v1::VerifierMessage m;
  ASSERT_TRUE(again->call->Read(&m));
  ASSERT_TRUE(m.has_enrolled()) << m.DebugString();
  EXPECT_FALSE(m.enrolled().newly_enrolled());
  EXPECT_EQ(m.enrolled().device_id(), device_id_);
  ASSERT_TRUE(again->call->Read(&m));
  ASSERT_TRUE(m.has_attestation_request());
  EXPECT_EQ(m.attestation_request().reason(), "enrolled");
  ASSERT_NO_FATAL_FAILURE(
      Attest(*again, m.attestation_request(), &evidence, &result));
  EXPECT_TRUE(result.permitted());
}

TEST_F(VerifierGrpcTest, PolicyChangeAsksConnectedAgentsToReattest) {
  ASSERT_NO_FATAL_FAILURE(Start());
  std::unique_ptr<Stream> s;
  ASSERT_NO_FATAL_FAILURE(OpenPermittedAgent(&s));

  // A reload (SIGHUP) lands while the agent is connected: it is asked at
  // once, and the new policy decides.
  ASSERT_OK(verifier_->policies().Set(
      "Tpm",
      "version=1.0;\nauthorizationrules\n{\n    => deny();\n};\n"
      "issuancerules\n{\n};\n",
      "deny.policy", absl::Now()));
  v1::VerifierMessage m;
  ASSERT_TRUE(s->call->Read(&m));
  ASSERT_TRUE(m.has_attestation_request()) << m.DebugString();
  EXPECT_EQ(m.attestation_request().reason(), "policy-changed");
  v1::Evidence evidence;
  v1::AttestationResult result;
  ASSERT_NO_FATAL_FAILURE(
      Attest(*s, m.attestation_request(), &evidence, &result));
  EXPECT_FALSE(result.permitted());
  ASSERT_GT(result.reasons_size(), 0);
  EXPECT_EQ(result.reasons(0).stage(), "policy");
}

TEST_F(VerifierGrpcTest, GetSigningKeysReturnsAParsableJwksAndMetadata) {
  ASSERT_NO_FATAL_FAILURE(Start());
  grpc::ClientContext ctx;
  v1::SigningKeys keys;
  grpc::Status st = stub_->GetSigningKeys(&ctx, {}, &keys);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_OK_AND_ASSIGN(token::Jwks jwks, token::Jwks::Parse(keys.jwks_json()));
  EXPECT_EQ(jwks.keys().size(), 1u);
  EXPECT_TRUE(jwks.skipped().empty());
  EXPECT_EQ(keys.jwks_json(), verifier_->Jwks());
  EXPECT_THAT(keys.openid_configuration_json(),
              HasSubstr(absl::StrCat("\"issuer\":\"", kIssuer, "\"")));
  EXPECT_THAT(keys.openid_configuration_json(), HasSubstr("jwks_uri"));
}

TEST_F(VerifierGrpcTest, StreamsBeyondMaxStreamsAreResourceExhausted) {
  service::ServiceOptions o = Options();
  o.max_streams = 2;
  ASSERT_NO_FATAL_FAILURE(Start(o));
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(AwaitOpenStreams(2));
  auto refused = Open();
  grpc::Status st = refused->End();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(st.error_message(), HasSubstr("too many agent streams"));
  const std::string metrics = verifier_->metrics().registry().Render();
  EXPECT_THAT(metrics, HasSubstr("\nvigil_agent_streams 2\n"));
  EXPECT_THAT(metrics, HasSubstr("\nvigil_agent_streams_refused_total 1\n"));
  // Unary calls are not streams: still served.
  grpc::ClientContext kctx;
  v1::SigningKeys keys;
  EXPECT_TRUE(stub_->GetSigningKeys(&kctx, {}, &keys).ok());
  // A slot frees when a stream ends.
  a->ctx.TryCancel();
  a->End();
  ASSERT_TRUE(AwaitOpenStreams(1));
  auto c = Open();
  c->Send(HelloMessage(v1::AgentHello()));  // version 0
  st = c->End();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

// A second verifier on a TCP port already served is refused (EX_UNAVAILABLE
// in vigil-verifier), not admitted beside the first: gRPC's default
// SO_REUSEPORT would have the kernel split agents between two processes
// with different nonce and signing keys.
TEST_F(VerifierGrpcTest, ASecondServerOnAPortInUseIsRefused) {
  ASSERT_NO_FATAL_FAILURE(Start());
  service::ListenerOptions l;
  l.address = "127.0.0.1:0";
  l.insecure = true;
  ASSERT_OK_AND_ASSIGN(service::RunningServer first,
                       service::StartServer(verifier_.get(), l, Options()));
  l.address = first.address;
  EXPECT_THAT(service::StartServer(verifier_.get(), l, Options()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("cannot listen on " + first.address)));
  first.Shutdown(absl::Seconds(1));
  // The fixture's unix socket: gRPC would unlink it and take it over.
  l.address = server_->address;
  EXPECT_THAT(service::StartServer(verifier_.get(), l, Options()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("another process is serving on this socket")));
  // The first server still answers on it.
  grpc::ClientContext ctx;
  v1::SigningKeys keys;
  EXPECT_TRUE(stub_->GetSigningKeys(&ctx, {}, &keys).ok());
}

// Connects arriving together must not overshoot the limit (the check and the
// registration are one step).
TEST_F(VerifierGrpcTest, ABurstOfConnectsNeverExceedsMaxStreams) {
  service::ServiceOptions o = Options();
  o.max_streams = 3;
  o.hello_timeout = absl::Seconds(1);  // the accepted ones end by themselves
  ASSERT_NO_FATAL_FAILURE(Start(o));
  constexpr int kBurst = 16;
  std::vector<std::unique_ptr<Stream>> streams(kBurst);
  std::vector<std::thread> openers;
  for (int i = 0; i < kBurst; ++i) {
    openers.emplace_back([this, &streams, i] { streams[i] = Open(); });
  }
  for (std::thread& t : openers) t.join();
  ASSERT_TRUE(AwaitOpenStreams(3));
  EXPECT_EQ(server_->service->open_streams(), 3u);
  // Every stream beyond the third was refused at once; the three accepted
  // ones end when their hello deadline passes.
  int exhausted = 0;
  for (auto& st : streams) {
    if (st->End().error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++exhausted;
    }
  }
  EXPECT_EQ(exhausted, kBurst - 3);
}

}  // namespace
}  // namespace vigil::testing
