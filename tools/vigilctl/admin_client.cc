#include "tools/vigilctl/admin_client.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_target.h"
#include "tools/vigilctl/args.h"
#include "vigil/v1/admin_service.grpc.pb.h"

namespace vigil::vigilctl {
namespace {

// Answers hold a policy JWS (<= 1 MiB) several times over, or up to 10,000
// audit events.
constexpr int kMaxReceiveBytes = 64 * 1024 * 1024;

using Stub = v1::PolicyAdmin::Stub;

absl::StatusOr<std::string> ReadFlagFile(absl::string_view flag,
                                         const std::string& path) {
  absl::StatusOr<std::string> content = ReadInputFile(path);
  if (!content.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", content.status().message()));
  }
  return content;
}

// The token, surrounding whitespace removed; refused unless it can be one
// HTTP/2 header value (RFC 6750 b64token characters are a subset).
absl::StatusOr<std::string> ReadBearerToken(const std::string& path) {
  absl::StatusOr<std::string> content =
      ReadFlagFile("--bearer-token-file", path);
  if (!content.ok()) return content.status();
  std::string token(absl::StripAsciiWhitespace(*content));
  bool printable = !token.empty();
  for (char c : token) printable = printable && c > 0x20 && c < 0x7f;
  if (!printable) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--bearer-token-file ", path,
        ": not a bearer token (want one line of printable ASCII)"));
  }
  return token;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(
    const AdminClientOptions& options) {
  const bool tls = !options.ca_file.empty();
  if (options.client_cert_file.empty() != options.client_key_file.empty()) {
    return absl::InvalidArgumentError(
        options.client_cert_file.empty()
            ? "--client-key needs --client-cert (mutual TLS)"
            : "--client-cert needs --client-key (mutual TLS)");
  }
  if (!tls) {
    if (!options.client_cert_file.empty()) {
      return absl::InvalidArgumentError(
          "--client-cert needs --ca (mutual TLS is TLS)");
    }
    if (!IsLoopbackTarget(options.target)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--admin ", options.target,
          ": not a unix: socket or a loopback address, so TLS is required: "
          "give --ca CA.pem"));
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> ca = ReadFlagFile("--ca", options.ca_file);
  if (!ca.ok()) return ca.status();
  ssl.pem_root_certs = *std::move(ca);
  if (!options.client_cert_file.empty()) {
    absl::StatusOr<std::string> cert =
        ReadFlagFile("--client-cert", options.client_cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key =
        ReadFlagFile("--client-key", options.client_key_file);
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *std::move(cert);
    ssl.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace

struct AdminClient::Impl {
  std::string target;
  absl::Duration timeout;
  std::string bearer_token;  // SECRET; empty: none
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<Stub> stub;

  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(
      absl::string_view rpc,
      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                   Response*),
      const Request& request) const {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(timeout));
    if (!bearer_token.empty()) {
      context.AddMetadata("authorization", "Bearer " + bearer_token);
    }
    Response response;
    const grpc::Status status =
        (stub.get()->*method)(&context, request, &response);
    if (status.ok()) return response;
    const auto code = static_cast<absl::StatusCode>(status.error_code());
    if (code == absl::StatusCode::kUnavailable) {
      return absl::UnavailableError(
          absl::StrCat(rpc, ": admin service ", target,
                       " is unavailable: ", status.error_message()));
    }
    return absl::Status(
        code, absl::StrCat(rpc, ": ", absl::StatusCodeToString(code), ": ",
                           status.error_message()));
  }
};

AdminClient::AdminClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminClient::AdminClient(AdminClient&&) noexcept = default;
AdminClient& AdminClient::operator=(AdminClient&&) noexcept = default;
AdminClient::~AdminClient() = default;

absl::StatusOr<AdminClient> AdminClient::Create(
    const AdminClientOptions& options) {
  if (options.target.empty()) {
    return absl::InvalidArgumentError("--admin: empty address");
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--timeout: want a positive duration");
  }
  auto impl = std::make_unique<Impl>();
  if (!options.bearer_token_file.empty()) {
    absl::StatusOr<std::string> token =
        ReadBearerToken(options.bearer_token_file);
    if (!token.ok()) return token.status();
    impl->bearer_token = *std::move(token);
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      Credentials(options);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReceiveBytes);
  impl->target = options.target;
  impl->timeout = options.timeout;
  impl->channel = grpc::CreateCustomChannel(options.target, *credentials, args);
  impl->stub = v1::PolicyAdmin::NewStub(impl->channel);
  return AdminClient(std::move(impl));
}

absl::StatusOr<v1::PolicyDocument> AdminClient::GetPolicy(
    const v1::GetPolicyRequest& request) const {
  return impl_->Call("GetPolicy", &Stub::GetPolicy, request);
}
absl::StatusOr<v1::PolicyChange> AdminClient::SetPolicy(
    const v1::SetPolicyRequest& request) const {
  return impl_->Call("SetPolicy", &Stub::SetPolicy, request);
}
absl::StatusOr<v1::PolicyChange> AdminClient::ResetPolicy(
    const v1::ResetPolicyRequest& request) const {
  return impl_->Call("ResetPolicy", &Stub::ResetPolicy, request);
}
absl::StatusOr<v1::PolicyHistory> AdminClient::GetPolicyHistory(
    const v1::GetPolicyHistoryRequest& request) const {
  return impl_->Call("GetPolicyHistory", &Stub::GetPolicyHistory, request);
}
absl::StatusOr<v1::DryRunResult> AdminClient::DryRunPolicy(
    const v1::DryRunRequest& request) const {
  return impl_->Call("DryRunPolicy", &Stub::DryRunPolicy, request);
}
absl::StatusOr<v1::PolicyArchive> AdminClient::ExportPolicies(
    const v1::ExportPoliciesRequest& request) const {
  return impl_->Call("ExportPolicies", &Stub::ExportPolicies, request);
}
absl::StatusOr<v1::PolicyImport> AdminClient::ImportPolicies(
    const v1::ImportPoliciesRequest& request) const {
  return impl_->Call("ImportPolicies", &Stub::ImportPolicies, request);
}
absl::StatusOr<v1::PolicyCertificates> AdminClient::ListPolicyCertificates(
    const v1::ListPolicyCertificatesRequest& request) const {
  return impl_->Call("ListPolicyCertificates", &Stub::ListPolicyCertificates,
                     request);
}
absl::StatusOr<v1::PolicyCertificateChange> AdminClient::AddPolicyCertificate(
    const v1::PolicyCertificateRequest& request) const {
  return impl_->Call("AddPolicyCertificate", &Stub::AddPolicyCertificate,
                     request);
}
absl::StatusOr<v1::PolicyCertificateChange>
AdminClient::RemovePolicyCertificate(
    const v1::PolicyCertificateRequest& request) const {
  return impl_->Call("RemovePolicyCertificate", &Stub::RemovePolicyCertificate,
                     request);
}
absl::StatusOr<v1::AuditEvents> AdminClient::QueryAudit(
    const v1::AuditQuery& request) const {
  return impl_->Call("QueryAudit", &Stub::QueryAudit, request);
}

}  // namespace vigil::vigilctl
