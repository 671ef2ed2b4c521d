#include "agent/client/verifier_client.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>

#include <deque>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_flow_control.h"
#include "vigil/v1/attestation_service.grpc.pb.h"

namespace vigil::agent {
namespace {

gpr_timespec Deadline(absl::Duration d) {
  return gpr_time_add(
      gpr_now(GPR_CLOCK_MONOTONIC),
      gpr_time_from_millis(absl::ToInt64Milliseconds(d), GPR_TIMESPAN));
}

// grpc::StatusCode and absl::StatusCode share the canonical numbering.
absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) {
    return absl::UnavailableError("verifier closed the stream");
  }
  // gRPC's words when the HTTP/2 stream ended with no grpc-status: it was
  // closed on the way, not by the verifier (which always sends one) -- a
  // TLS front's stream timeout, a reset connection. Said so, and retried
  // as any transient failure is.
  if (s.error_code() == grpc::StatusCode::UNKNOWN &&
      s.error_message() == "No status received") {
    return absl::UnavailableError(
        "the stream ended without a status from the verifier (closed on "
        "the way: a proxy's stream timeout or a reset connection)");
  }
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

// The sync API has no per-read deadline, so a reader thread moves messages
// into a queue and Receive waits on the queue with a timeout. One thread
// reads and one writes, which the sync ClientReaderWriter allows.
class GrpcVerifierStream final : public VerifierStream {
 public:
  explicit GrpcVerifierStream(v1::AttestationService::Stub& stub) {
    stream_ = stub.Connect(&context_);
    reader_ = std::thread([this] { ReadLoop(); });
  }
  ~GrpcVerifierStream() override {
    Cancel();
    reader_.join();
  }

  absl::Status Send(const v1::AgentMessage& message) override {
    {
      absl::MutexLock lock(&mu_);
      if (done_) return final_;
    }
    if (stream_->Write(message)) return absl::OkStatus();
    // The call ended; its status arrives with the reader's Finish().
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&done_), absl::Seconds(5));
    return done_ ? final_ : absl::UnavailableError("send: stream broken");
  }

  absl::StatusOr<v1::VerifierMessage> Receive(absl::Duration timeout) override {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return done_ || !queue_.empty();
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (!queue_.empty()) {
      v1::VerifierMessage m = std::move(queue_.front());
      queue_.pop_front();
      return m;
    }
    if (done_) return final_;
    return absl::DeadlineExceededError(absl::StrCat(
        "no message from the verifier within ", absl::FormatDuration(timeout)));
  }

  void Cancel() override { context_.TryCancel(); }

 private:
  void ReadLoop() {
    v1::VerifierMessage m;
    while (stream_->Read(&m)) {
      absl::MutexLock lock(&mu_);
      queue_.push_back(std::move(m));
      m.Clear();
    }
    grpc::Status status = stream_->Finish();
    absl::MutexLock lock(&mu_);
    final_ = FromGrpc(status);
    done_ = true;
  }

  grpc::ClientContext context_;
  std::unique_ptr<
      grpc::ClientReaderWriter<v1::AgentMessage, v1::VerifierMessage>>
      stream_;
  std::thread reader_;
  absl::Mutex mu_;
  std::deque<v1::VerifierMessage> queue_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status final_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

struct VerifierClient::Impl {
  VerifierClientOptions options;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::AttestationService::Stub> stub;
};

VerifierClient::VerifierClient(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
VerifierClient::~VerifierClient() = default;

absl::StatusOr<std::unique_ptr<VerifierClient>> VerifierClient::Create(
    const VerifierClientOptions& options) {
  if (options.target.empty()) {
    return absl::InvalidArgumentError("verifier target: empty");
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.insecure) {
    if (!IsLoopbackTarget(options.target)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "verifier target ", options.target,
          ": plaintext is allowed only to unix: sockets and loopback"));
    }
    credentials = grpc::InsecureChannelCredentials();
  } else {
    if (options.ca_bundle_pem.empty()) {
      return absl::InvalidArgumentError("TLS: no CA bundle");
    }
    if (options.client_cert_pem.empty() != options.client_key_pem.empty()) {
      return absl::InvalidArgumentError(
          "TLS: a client certificate needs its key and a key its certificate");
    }
    // gRPC's TLS stack (TSI) negotiates TLS 1.2 or 1.3 only; 1.51 has no
    // knob to lower it, so "TLS 1.2+" holds by construction.
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.ca_bundle_pem;
    ssl.pem_cert_chain = options.client_cert_pem;
    ssl.pem_private_key = options.client_key_pem;
    credentials = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageSize);
  args.SetMaxSendMessageSize(kMaxMessageSize);
  args.SetInt(
      GRPC_ARG_KEEPALIVE_TIME_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_time)));
  args.SetInt(
      GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_timeout)));
  // The stream is usually idle between attestations; keep pinging anyway.
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // The verifier's window settings, for what the agent receives
  // (common/grpc_flow_control.h).
  for (const GrpcIntArgument& a : kAttestationFlowControl) {
    args.SetInt(a.name, a.value);
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->channel = grpc::CreateCustomChannel(options.target, credentials, args);
  impl->stub = v1::AttestationService::NewStub(impl->channel);
  return std::unique_ptr<VerifierClient>(new VerifierClient(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<VerifierStream>> VerifierClient::Connect() {
  if (!impl_->channel->WaitForConnected(
          Deadline(impl_->options.connect_timeout))) {
    // The channel does not say why; one fail-fast call does (refused
    // connection, TLS handshake: unknown CA, no or rejected client
    // certificate), so the operator sees the cause, not just the symptom.
    grpc::ClientContext probe;
    probe.set_deadline(Deadline(absl::Seconds(1)));
    v1::SigningKeys ignored;
    const grpc::Status why = impl_->stub->GetSigningKeys(
        &probe, v1::GetSigningKeysRequest(), &ignored);
    return absl::UnavailableError(absl::StrCat(
        "verifier ", impl_->options.target, ": not reachable within ",
        absl::FormatDuration(impl_->options.connect_timeout),
        why.ok() ? "" : absl::StrCat(" (", why.error_message(), ")")));
  }
  return std::make_unique<GrpcVerifierStream>(*impl_->stub);
}

}  // namespace vigil::agent
