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

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "grpcpp/server_context.h"
#include "service/admin/policy_manager.h"
#include "service/auth/caller_authenticator.h"
#include "vigil/v1/admin_service.grpc.pb.h"

namespace vigil::service {

// What `context` presented: the Unix-socket peer, the "authorization"
// metadata, the client certificate gRPC verified against the admin
// listener's client CA.
auth::Credentials CredentialsOf(const grpc::ServerContext& context);

class AdminServiceImpl final : public v1::PolicyAdmin::Service {
 public:
  // Both must outlive the service.
  AdminServiceImpl(admin::PolicyManager* manager,
                   const auth::CallerAuthenticator* authenticator)
      : manager_(manager), authenticator_(authenticator) {}

  grpc::Status GetPolicy(grpc::ServerContext* context,
                         const v1::GetPolicyRequest* request,
                         v1::PolicyDocument* response) override;
  grpc::Status SetPolicy(grpc::ServerContext* context,
                         const v1::SetPolicyRequest* request,
                         v1::PolicyChange* response) override;
  grpc::Status ResetPolicy(grpc::ServerContext* context,
                           const v1::ResetPolicyRequest* request,
                           v1::PolicyChange* response) override;
  grpc::Status GetPolicyHistory(grpc::ServerContext* context,
                                const v1::GetPolicyHistoryRequest* request,
                                v1::PolicyHistory* response) override;
  grpc::Status DryRunPolicy(grpc::ServerContext* context,
                            const v1::DryRunRequest* request,
                            v1::DryRunResult* response) override;
  grpc::Status ListPolicyCertificates(
      grpc::ServerContext* context,
      const v1::ListPolicyCertificatesRequest* request,
      v1::PolicyCertificates* response) override;
  grpc::Status AddPolicyCertificate(
      grpc::ServerContext* context, const v1::PolicyCertificateRequest* request,
      v1::PolicyCertificateChange* response) override;
  grpc::Status RemovePolicyCertificate(
      grpc::ServerContext* context, const v1::PolicyCertificateRequest* request,
      v1::PolicyCertificateChange* response) override;
  grpc::Status QueryAudit(grpc::ServerContext* context,
                          const v1::AuditQuery* request,
                          v1::AuditEvents* response) override;
  grpc::Status ExportPolicies(grpc::ServerContext* context,
                              const v1::ExportPoliciesRequest* request,
                              v1::PolicyArchive* response) override;
  grpc::Status ImportPolicies(grpc::ServerContext* context,
                              const v1::ImportPoliciesRequest* request,
                              v1::PolicyImport* response) override;

 private:
  // The caller, or the UNAUTHENTICATED status (audited).
  absl::StatusOr<auth::Caller> CallerOf(grpc::ServerContext* context,
                                        absl::string_view call);

  admin::PolicyManager* manager_;
  const auth::CallerAuthenticator* authenticator_;
};

// What clients can make the admin listener hold (server.h, LimitTransport):
// streams per connection, and memory over all connections — 64 requests of
// the largest size (2 x admin::kMaxAdminJwsBytes) at once.
inline constexpr size_t kAdminMaxStreamsPerConnection = 16;
inline constexpr size_t kAdminTransportMemoryBytes = size_t{128} << 20;

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
// mode 0600 once bound. Fails with kInvalidArgument (TLS files, a TCP
// listener without TLS) or kUnavailable (cannot bind).
absl::StatusOr<std::unique_ptr<grpc::Server>> StartAdminServer(
    AdminServiceImpl* service, const AdminListenerOptions& listener);

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_GRPC_ADMIN_SERVICE_IMPL_H_
