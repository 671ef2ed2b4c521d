// File: tools/vigilctl/admin_client.h
// -----------------------------------------------------------------------------
// AdminClient: vigilctl-admin's gRPC client of vigil.v1.PolicyAdmin
// (protos/vigil/v1/admin_service.proto), the verifier's control plane. This
// header does not include grpcpp (the implementation does).
//
//   ASSIGN_OR_RETURN(AdminClient client, AdminClient::Create(options));
//   ASSIGN_OR_RETURN(v1::PolicyDocument doc, client.GetPolicy(request));
//
// Transport: a unix: socket in plaintext (the default admin listener, which
// only root can open); TCP with TLS (the CA bundle of --ca; a client
// certificate for mutual TLS), or in plaintext only to a loopback address,
// so a credential never crosses a network in clear. An OIDC access token,
// when given, travels as the "authorization: Bearer ..." metadata of every
// call; it is SECRET and never appears in an error or an output.
//
// Every call has the deadline of `timeout` and fails fast when the service
// cannot be reached (no waiting for the channel to become ready).

#ifndef VIGIL_TOOLS_VIGILCTL_ADMIN_CLIENT_H_
#define VIGIL_TOOLS_VIGILCTL_ADMIN_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "vigil/v1/admin_service.pb.h"

namespace vigil::vigilctl {

// The admin listener's default: a Unix socket only root can open.
inline constexpr char kDefaultAdminTarget[] =
    "unix:/run/vigil-verifier/admin.sock";

// Where and how to reach the admin service. Files are named by path; Create
// reads them.
struct AdminClientOptions {
  // gRPC target: "unix:/path", "host:port", "dns:///host:port", ...
  std::string target = kDefaultAdminTarget;
  std::string ca_file;           // PEM CA bundle: TLS when set
  std::string client_cert_file;  // mutual TLS: both or neither
  std::string client_key_file;
  std::string bearer_token_file;  // an OIDC access token, one line
  absl::Duration timeout = absl::Seconds(30);
};

// Thread-compatible; movable.
class AdminClient {
 public:
  // Create: the channel (no I/O until the first call). Fails with
  // kInvalidArgument naming the flag: an empty target, a TCP target that is
  // not loopback without --ca ("TLS is required"), --client-cert or
  // --client-key without the other or without --ca, a file that cannot be
  // read, a bearer token that is empty or not one line of printable ASCII
  // (its content is never quoted), a timeout that is not positive.
  static absl::StatusOr<AdminClient> Create(const AdminClientOptions& options);
  AdminClient(AdminClient&&) noexcept;
  AdminClient& operator=(AdminClient&&) noexcept;
  ~AdminClient();

  // One method per RPC. Each returns the service's answer (UNTRUSTED input
  // from the network; the caller prints it) or fails with the call's gRPC
  // status as an absl::Status of the same code (the numbering is shared),
  // its message "RPC: CODE: the service's message", e.g. "SetPolicy:
  // PERMISSION_DENIED: isolated mode: ...". A service that cannot be reached
  // fails with kUnavailable naming the target, one that does not answer in
  // time with kDeadlineExceeded.
  absl::StatusOr<v1::PolicyDocument> GetPolicy(
      const v1::GetPolicyRequest& request) const;
  absl::StatusOr<v1::PolicyChange> SetPolicy(
      const v1::SetPolicyRequest& request) const;
  absl::StatusOr<v1::PolicyChange> ResetPolicy(
      const v1::ResetPolicyRequest& request) const;
  absl::StatusOr<v1::PolicyHistory> GetPolicyHistory(
      const v1::GetPolicyHistoryRequest& request) const;
  absl::StatusOr<v1::DryRunResult> DryRunPolicy(
      const v1::DryRunRequest& request) const;
  absl::StatusOr<v1::PolicyCertificates> ListPolicyCertificates(
      const v1::ListPolicyCertificatesRequest& request) const;
  absl::StatusOr<v1::PolicyCertificateChange> AddPolicyCertificate(
      const v1::PolicyCertificateRequest& request) const;
  absl::StatusOr<v1::PolicyCertificateChange> RemovePolicyCertificate(
      const v1::PolicyCertificateRequest& request) const;
  absl::StatusOr<v1::AuditEvents> QueryAudit(
      const v1::AuditQuery& request) const;
  absl::StatusOr<v1::PolicyArchive> ExportPolicies(
      const v1::ExportPoliciesRequest& request) const;
  absl::StatusOr<v1::PolicyImport> ImportPolicies(
      const v1::ImportPoliciesRequest& request) const;

 private:
  struct Impl;
  explicit AdminClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_ADMIN_CLIENT_H_
