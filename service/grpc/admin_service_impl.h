// File: service/grpc/admin_service_impl.h
// -----------------------------------------------------------------------------
// vigil.v1.PolicyAdmin on the admin listener (issue #6): authenticates the
// caller (auth::CallerAuthenticator over the connection's credentials, as
// the REST mirror in service/http does), checks the request's shape, calls the
// control plane's core (service/admin/policy_manager.h), converts back and
// maps the status. Unauthenticated calls are refused with UNAUTHENTICATED
// and audited; role and mode decisions are the core's (PERMISSION_DENIED).
//
// Who the caller is:
//   * on a Unix socket: the local administrator (contributor). The socket
//     is created mode 0600, so only its owner (the service user; root) can
//     connect — the default admin listener;
//   * on TCP (TLS required): an OIDC bearer token in the "authorization"
//     metadata when OIDC is configured, else the client certificate of the
//     mutual-TLS handshake, mapped to a role by the configured rules.
#ifndef VIGIL_SERVICE_GRPC_ADMIN_SERVICE_IMPL_H_
#define VIGIL_SERVICE_GRPC_ADMIN_SERVICE_IMPL_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/log_budget.h"
#include "common/thread_pool.h"
#include "grpcpp/server.h"
#include "grpcpp/server_context.h"
#include "service/admin/policy_manager.h"
#include "service/auth/caller_authenticator.h"
#include "service/grpc/service_options.h"
#include "vigil/v1/admin_service.grpc.pb.h"

namespace vigil::service {

// What `context` presented: the Unix-socket peer, the "authorization"
// metadata, the client certificate gRPC verified against the admin
// listener's client CA.
auth::Credentials CredentialsOf(const grpc::ServerContextBase& context);

// Every method is registered raw, as on the attestation service
// (untrusted_codec.h): the caller is authenticated from the call's
// credentials first, on gRPC's thread, and only an authenticated caller's
// request is checked on the wire, decoded and handed to the service's
// workers (raw_unary.h) — anyone who can connect could otherwise make gRPC
// decode up to 2 MiB of 2-byte fields, ~36 bytes of objects each.
using RawPolicyAdmin = v1::PolicyAdmin::WithRawCallbackMethod_GetPolicy<
    v1::PolicyAdmin::WithRawCallbackMethod_SetPolicy<
        v1::PolicyAdmin::WithRawCallbackMethod_ResetPolicy<
            v1::PolicyAdmin::WithRawCallbackMethod_GetPolicyHistory<
                v1::PolicyAdmin::WithRawCallbackMethod_DryRunPolicy<
                    v1::PolicyAdmin::WithRawCallbackMethod_ListPolicyCertificates<
                        v1::PolicyAdmin::WithRawCallbackMethod_AddPolicyCertificate<
                            v1::PolicyAdmin::
                                WithRawCallbackMethod_RemovePolicyCertificate<
                                    v1::PolicyAdmin::WithRawCallbackMethod_QueryAudit<
                                        v1::PolicyAdmin::
                                            WithRawCallbackMethod_ExportPolicies<
                                                v1::PolicyAdmin::
                                                    WithRawCallbackMethod_ImportPolicies<
                                                        v1::PolicyAdmin::
                                                            Service>>>>>>>>>>>;

// Each method takes the bytes of the request the proto names and answers
// with the bytes of its response. A caller that cannot be authenticated
// gets UNAUTHENTICATED at once, whatever it sent (a message over the
// listener's size limit is gRPC's RESOURCE_EXHAUSTED before that); the
// refusal is audited afterwards, on a queue of its own. An authenticated
// caller's request that fails the wire check or does not decode gets
// INVALID_ARGUMENT ("request: offset 0: ..."); role and mode decisions are
// the core's (PERMISSION_DENIED); a full worker queue RESOURCE_EXHAUSTED
// ("verifier overloaded; retry later").
class AdminServiceImpl final : public RawPolicyAdmin {
 public:
  // Both must outlive the service.
  AdminServiceImpl(admin::PolicyManager* manager,
                   const auth::CallerAuthenticator* authenticator);
  // Runs the calls still queued, then joins the workers.
  ~AdminServiceImpl() override;

  grpc::ServerUnaryReactor* GetPolicy(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* SetPolicy(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ResetPolicy(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetPolicyHistory(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* DryRunPolicy(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListPolicyCertificates(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* AddPolicyCertificate(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RemovePolicyCertificate(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* QueryAudit(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ExportPolicies(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ImportPolicies(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;

 private:
  // Authenticates the caller of `context` (audited when refused), then
  // decodes `request` as Request and runs `work` for that caller on a
  // worker.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Run(
      grpc::CallbackServerContext* context, absl::string_view call,
      const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
      std::function<absl::Status(const auth::Caller&, const Request&,
                                 Response*)>
          work);

  // Queues the audit record of a refused caller; when the queue is full
  // the refusal goes unaudited, with a line on stderr (at most one a
  // second).
  void AuditRefusal(const auth::Credentials& credentials,
                    absl::string_view call, absl::string_view why);

  admin::PolicyManager* manager_;
  const auth::CallerAuthenticator* authenticator_;
  LogBudget unaudited_log_;
  // Policy evaluation, the store and audit writes wait; gRPC's callback
  // threads must not. The pools go first on destruction, running what is
  // queued.
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<ThreadPool> audit_pool_;  // refusals' audit records
};

// What clients can make the admin listener hold (server.h, LimitTransport):
// 16 streams per connection, and memory over all connections — 64 requests
// of the largest size (2 x admin::kMaxAdminJwsBytes) at once; handshakes
// and stream-less connections are cut off after the agent listener's
// default times (fixed here).
inline constexpr TransportLimits kAdminTransportLimits{
    .max_streams_per_connection = 16,
    .memory_bytes = size_t{128} << 20,
};
// Workers for the admin calls, and how many calls may wait for one (as many
// as the transport quota lets arrive at once); beyond, RESOURCE_EXHAUSTED.
inline constexpr size_t kAdminWorkers = 4;
inline constexpr size_t kAdminMaxQueuedCalls = 64;
// Refusals whose audit records may wait to be written (one thread).
inline constexpr size_t kAdminMaxQueuedRefusals = 4096;

struct AdminListenerOptions {
  // unix:/path (default: local administrators only) or host:port (TLS).
  std::string address;
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM CA bundle: client certificates are requested and, when sent,
  // verified against it (bearer-token callers need none).
  std::string tls_client_ca_file;
};

// Starts a gRPC server for `service` on `listener`. A unix: socket is made
// mode 0600 once bound (RestrictUnixSocket). Fails with kInvalidArgument
// (TLS files, a TCP listener without TLS), kUnavailable (cannot bind) or
// kFailedPrecondition (the socket's mode cannot be set).
absl::StatusOr<std::unique_ptr<grpc::Server>> StartAdminServer(
    AdminServiceImpl* service, const AdminListenerOptions& listener);

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_GRPC_ADMIN_SERVICE_IMPL_H_
