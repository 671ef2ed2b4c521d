// File: tools/loadgen/transport_echo.cc
// -----------------------------------------------------------------------------
#include "tools/loadgen/transport_echo.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <deque>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_flow_control.h"
#include "grpcpp/grpcpp.h"
#include "service/grpc/request_validation.h"
#include "vigil/v1/attestation_service.grpc.pb.h"

namespace vigil::loadgen {
namespace {

// One agent's stream. Reads and write completions may run on different
// gRPC threads at once, so the write queue and the stream's state are
// behind `mu_`.
class EchoStream final
    : public grpc::ServerBidiReactor<v1::AgentMessage, v1::VerifierMessage> {
 public:
  explicit EchoStream(const EchoShape* shape) : shape_(shape) {
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ok) {
      read_closed_ = true;
      MaybeFinishLocked(grpc::Status::OK);
      return;
    }
    switch (in_.kind_case()) {
      case v1::AgentMessage::kHello: {
        v1::VerifierMessage m;
        m.mutable_enrolled()->set_device_id(std::string(64, 'e'));
        m.mutable_enrolled()->set_aik_validated(true);
        QueueLocked(std::move(m));
        QueueLocked(Request("enrolled"));
        break;
      }
      case v1::AgentMessage::kAttestationWanted:
        QueueLocked(Request("agent:interval"));
        break;
      case v1::AgentMessage::kEvidence: {
        const v1::Evidence& e = in_.evidence();
        if (!e.event_log().empty()) {
          unsigned char d[SHA256_DIGEST_LENGTH];
          SHA256(reinterpret_cast<const unsigned char*>(e.event_log().data()),
                 e.event_log().size(), d);
          last_log_.assign(reinterpret_cast<const char*>(d), sizeof(d));
        } else {
          last_log_ = e.event_log_sha256();
        }
        v1::VerifierMessage m;
        v1::AttestationResult* r = m.mutable_result();
        r->set_permitted(true);
        r->set_token(std::string(shape_->token_bytes, 't'));
        r->set_device_id(std::string(64, 'e'));
        r->set_expires_at(absl::ToUnixSeconds(absl::Now()) + 8 * 3600);
        r->set_attestation_id(std::string(36, 'j'));
        QueueLocked(std::move(m));
        break;
      }
      default:
        FinishLocked(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                  "transport echo: unexpected message"));
        return;
    }
    in_.Clear();
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
      return;
    }
    out_.pop_front();
    WriteNextLocked();
  }

  void OnDone() override { delete this; }

 private:
  v1::VerifierMessage Request(const char* reason) {
    unsigned char nonce[32];
    RAND_bytes(nonce, sizeof(nonce));
    v1::VerifierMessage m;
    v1::AttestationRequest* r = m.mutable_attestation_request();
    r->set_nonce(reinterpret_cast<const char*>(nonce), sizeof(nonce));
    r->set_pcr_mask(shape_->pcr_mask);
    r->set_reason(reason);
    r->set_expires_at(absl::ToUnixSeconds(absl::Now()) + 60);
    r->set_known_event_log_sha256(last_log_);
    return m;
  }

  void QueueLocked(v1::VerifierMessage m) {
    if (finished_) return;
    out_.push_back(std::move(m));
    WriteNextLocked();
  }

  void WriteNextLocked() {
    if (writing_ || finished_) return;
    if (out_.empty()) {
      if (read_closed_) MaybeFinishLocked(grpc::Status::OK);
      return;
    }
    writing_ = true;
    StartWrite(&out_.front());
  }

  void MaybeFinishLocked(const grpc::Status& s) {
    if (!writing_) FinishLocked(s);
  }

  void FinishLocked(const grpc::Status& s) {
    if (finished_) return;
    finished_ = true;
    Finish(s);
  }

  const EchoShape* shape_;
  v1::AgentMessage in_;
  std::mutex mu_;
  std::deque<v1::VerifierMessage> out_;
  std::string last_log_;
  bool writing_ = false;
  bool finished_ = false;
  bool read_closed_ = false;
};

}  // namespace

class TransportEcho::Service final
    : public v1::AttestationService::CallbackService {
 public:
  explicit Service(EchoShape shape) : shape_(shape) {}
  grpc::ServerBidiReactor<v1::AgentMessage, v1::VerifierMessage>* Connect(
      grpc::CallbackServerContext*) override {
    return new EchoStream(&shape_);
  }

 private:
  const EchoShape shape_;
};

absl::StatusOr<std::unique_ptr<TransportEcho>> TransportEcho::Start(
    const std::string& address, EchoShape shape,
    std::shared_ptr<grpc::ServerCredentials> credentials) {
  std::unique_ptr<TransportEcho> out(new TransportEcho());
  out->service_ = std::make_unique<Service>(shape);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, std::move(credentials), &out->port_);
  builder.RegisterService(out->service_.get());
  // The verifier's limits (service/grpc/server.cc).
  builder.SetMaxReceiveMessageSize(static_cast<int>(service::kMaxMessageBytes));
  builder.SetMaxSendMessageSize(static_cast<int>(service::kMaxMessageBytes));
  for (const GrpcIntArgument& a : kAttestationFlowControl) {
    builder.AddChannelArgument(a.name, a.value);
  }
  out->server_ = builder.BuildAndStart();
  if (out->server_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("transport echo: cannot listen on ", address));
  }
  return out;
}

void TransportEcho::Shutdown() {
  if (server_ != nullptr && !shut_down_) {
    shut_down_ = true;
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::seconds(2));
  }
}

TransportEcho::~TransportEcho() {
  Shutdown();
  server_.reset();
}

}  // namespace vigil::loadgen
