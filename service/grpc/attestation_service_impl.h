// File: service/grpc/attestation_service_impl.h
// -----------------------------------------------------------------------------
// vigil.v1.AttestationService on gRPC's callback API: one reactor per agent
// stream (no thread per connection, so 10,000 idle agents cost memory, not
// threads). Handlers only validate the message shape
// (request_validation.h), convert, call the core on a worker pool, convert
// back and map the status (status_mapping.h) — style.md rule 4.
//
// Stream rules (protos/vigil/v1/attestation_service.proto):
//   - the first message must be AgentHello within `hello_timeout`;
//   - an answer the verifier waits for (credential, evidence) must arrive
//     within `step_timeout`, else DEADLINE_EXCEEDED (slow-loris defence);
//   - a message out of turn ends the stream with FAILED_PRECONDITION;
//   - the verifier asks every enrolled stream to re-attest every
//     `reattest_interval` and when the Tpm policy changes.
#ifndef VIGIL_SERVICE_GRPC_ATTESTATION_SERVICE_IMPL_H_
#define VIGIL_SERVICE_GRPC_ATTESTATION_SERVICE_IMPL_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log_budget.h"
#include "common/thread_pool.h"
#include "service/grpc/service_options.h"
#include "service/verifier/verifier.h"
#include "vigil/v1/attestation_service.grpc.pb.h"

namespace vigil::service {

class StreamRegistry;

// Every method is registered raw: gRPC hands over the request's bytes, which
// are checked on the wire before they are decoded (untrusted_codec.h says
// why); responses are encoded here too.
using RawAttestationService =
    v1::AttestationService::WithRawCallbackMethod_Connect<
        v1::AttestationService::WithRawCallbackMethod_Enroll<
            v1::AttestationService::WithRawCallbackMethod_ActivateEnrollment<
                v1::AttestationService::WithRawCallbackMethod_GetNonce<
                    v1::AttestationService::WithRawCallbackMethod_Attest<
                        v1::AttestationService::
                            WithRawCallbackMethod_GetSigningKeys<
                                v1::AttestationService::Service>>>>>>;

// Requests that fail the wire check or do not decode end with
// INVALID_ARGUMENT naming what was wrong ("agent message: offset 130: ...").
class AttestationServiceImpl final : public RawAttestationService {
 public:
  AttestationServiceImpl(Verifier* verifier, ServiceOptions options);
  ~AttestationServiceImpl() override;

  // Bytes in and out: v1::AgentMessage / v1::VerifierMessage.
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Connect(
      grpc::CallbackServerContext* context) override;
  // The unary methods, each REQUEST -> RESPONSE as the proto defines them.
  grpc::ServerUnaryReactor* Enroll(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ActivateEnrollment(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetNonce(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Attest(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetSigningKeys(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;

  // Asks every enrolled stream to re-attest now (policy change).
  void RequestReattestation(const std::string& reason);
  size_t open_streams() const;
  // The worker pool's threads (ServiceOptions::worker_threads, or
  // DefaultWorkerThreads for the verifier's registry when that is 0).
  size_t worker_threads() const;

  // Closes every stream with UNAVAILABLE (shutdown) so agents reconnect to
  // another replica; called before grpc::Server::Shutdown.
  void CloseAllStreams();

 private:
  friend class AgentStream;
  Verifier* verifier_;
  ServiceOptions options_;
  // Before pool_: queued work may still log while the pool drains.
  std::unique_ptr<LogBudget> permit_log_;
  std::unique_ptr<ThreadPool> pool_;
  std::shared_ptr<StreamRegistry> streams_;
  std::thread ticker_;
  absl::Mutex ticker_mu_;
  bool stopping_ ABSL_GUARDED_BY(ticker_mu_) = false;
};

// Conversions (exposed for tests).
v1::AttestationResult ToProto(const AttestationOutcome& outcome);
v1::Reason ToProto(const Reason& reason);
v1::CredentialChallenge ToProto(const EnrollmentChallenge& challenge);

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_GRPC_ATTESTATION_SERVICE_IMPL_H_
