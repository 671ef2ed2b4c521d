#include "service/grpc/admin_service_impl.h"

#include <iostream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "policy/claim.h"
#include "service/admin/front_end.h"
#include "service/control/policy_document.h"
#include "service/grpc/raw_unary.h"
#include "service/grpc/request_validation.h"
#include "service/grpc/server.h"
#include "service/grpc/status_mapping.h"

namespace vigil::service {
namespace {

void ToProto(const admin::PolicyChangeView& v, v1::PolicyChange* out) {
  out->set_attestation_type(v.attestation_type);
  out->set_result(v.result == control::PolicyModification::kUpdated
                      ? "Updated"
                      : "Removed");
  out->set_token_hash(v.token_hash);
  out->set_signer_jwk_json(v.signer_jwk_json);
  out->set_version(v.version);
  out->set_policy_hash(v.policy_hash);
  out->set_token(v.token);
}

void ToProto(const admin::CertificateChangeView& v,
             v1::PolicyCertificateChange* out) {
  out->set_thumbprint(v.thumbprint);
  out->set_result(v.result == control::CertificateModification::kIsPresent
                      ? "IsPresent"
                      : "IsAbsent");
  out->set_token(v.token);
}

}  // namespace

auth::Credentials CredentialsOf(const grpc::ServerContextBase& context) {
  auth::Credentials c;
  c.source = context.peer();
  c.local_socket = absl::StartsWith(c.source, "unix:");
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    c.authorization = std::string(it->second.data(), it->second.size());
  }
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr) {
    const std::vector<grpc::string_ref> certs =
        auth->FindPropertyValues("x509_pem_cert");
    if (!certs.empty()) {
      c.client_certificate_pem.assign(certs[0].data(), certs[0].size());
    }
  }
  return c;
}

AdminServiceImpl::AdminServiceImpl(
    admin::PolicyManager* manager,
    const auth::CallerAuthenticator* authenticator)
    : manager_(manager),
      authenticator_(authenticator),
      unaudited_log_(&SystemClock::Get(), /*per_second=*/1, absl::Minutes(1)),
      pool_(std::make_unique<ThreadPool>(kAdminWorkers, kAdminMaxQueuedCalls)),
      audit_pool_(std::make_unique<ThreadPool>(1, kAdminMaxQueuedRefusals)) {}

AdminServiceImpl::~AdminServiceImpl() = default;

template <typename Request, typename Response>
grpc::ServerUnaryReactor* AdminServiceImpl::Run(
    grpc::CallbackServerContext* context, absl::string_view call,
    const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
    std::function<absl::Status(const auth::Caller&, const Request&, Response*)>
        work) {
  // Authenticated here, on gRPC's thread: the authenticator only checks
  // what the call presented (the socket's peer, a certificate gRPC has
  // verified, a token against keys held in memory) and never waits. A
  // refused caller is answered at once: its bytes are dropped undecoded
  // and it never takes a worker or a place in their queue.
  const auth::Credentials credentials = CredentialsOf(*context);
  absl::StatusOr<auth::Caller> caller =
      authenticator_->Authenticate(credentials);
  if (!caller.ok()) {
    // gRPC's request buffer is its own (not const) and unused after this.
    const_cast<grpc::ByteBuffer*>(request)->Clear();
    AuditRefusal(credentials, call, caller.status().message());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  return RunUnary<Request, Response>(
      context, pool_.get(), request, response,
      [caller = *std::move(caller), work = std::move(work)](
          const Request& in, Response* out) { return work(caller, in, out); });
}

void AdminServiceImpl::AuditRefusal(const auth::Credentials& credentials,
                                    absl::string_view call,
                                    absl::string_view why) {
  // Only the source is kept: the rest (a refused bearer token among it)
  // is not the audit's.
  const bool queued =
      audit_pool_->Submit([this, source = credentials.source,
                           call = std::string(call), why = std::string(why)] {
        admin::AuditAuthRefusal(*manager_, source, call, why);
      });
  if (!queued && unaudited_log_.Admit()) {
    std::cerr << absl::StrCat(
        "vigil-verifier: admin: refused ", credentials.source, " (", call,
        ") without an audit record: ", kAdminMaxQueuedRefusals,
        " refusals already wait to be written (a flood of unauthenticated "
        "calls)\n");
  }
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetPolicy(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Run<v1::GetPolicyRequest, v1::PolicyDocument>(
      context, "GetPolicy", request, response,
      [this](const auth::Caller& caller, const v1::GetPolicyRequest& in,
             v1::PolicyDocument* out) -> absl::Status {
        RETURN_IF_ERROR(admin::CheckAttestationTypeSize(in.attestation_type()));
        ASSIGN_OR_RETURN(admin::PolicyView v,
                         manager_->GetPolicy(caller, in.attestation_type()));
        out->set_attestation_type(v.attestation_type);
        out->set_policy_jws(v.jws);
        out->set_policy_text(v.text);
        out->set_policy_hash(v.policy_hash);
        out->set_is_default(v.is_default);
        out->set_version(v.version);
        out->set_signer_thumbprint(v.signer_thumbprint);
        out->set_token(v.token);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::SetPolicy(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Run<v1::SetPolicyRequest, v1::PolicyChange>(
      context, "SetPolicy", request, response,
      [this](const auth::Caller& caller, const v1::SetPolicyRequest& in,
             v1::PolicyChange* out) -> absl::Status {
        RETURN_IF_ERROR(admin::CheckAttestationTypeSize(in.attestation_type()));
        RETURN_IF_ERROR(admin::CheckJwsSize("policy_jws", in.policy_jws()));
        std::optional<int64_t> expected;
        if (in.has_expected_version()) expected = in.expected_version();
        ASSIGN_OR_RETURN(admin::PolicyChangeView v,
                         manager_->SetPolicy(caller, in.attestation_type(),
                                             in.policy_jws(), expected));
        ToProto(v, out);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ResetPolicy(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Run<v1::ResetPolicyRequest, v1::PolicyChange>(
      context, "ResetPolicy", request, response,
      [this](const auth::Caller& caller, const v1::ResetPolicyRequest& in,
             v1::PolicyChange* out) -> absl::Status {
        RETURN_IF_ERROR(admin::CheckAttestationTypeSize(in.attestation_type()));
        RETURN_IF_ERROR(admin::CheckJwsSize("policy_jws", in.policy_jws()));
        ASSIGN_OR_RETURN(admin::PolicyChangeView v,
                         manager_->ResetPolicy(caller, in.attestation_type(),
                                               in.policy_jws()));
        ToProto(v, out);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetPolicyHistory(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Run<v1::GetPolicyHistoryRequest, v1::PolicyHistory>(
      context, "GetPolicyHistory", request, response,
      [this](const auth::Caller& caller, const v1::GetPolicyHistoryRequest& in,
             v1::PolicyHistory* out) -> absl::Status {
        RETURN_IF_ERROR(admin::CheckAttestationTypeSize(in.attestation_type()));
        const int64_t limit = in.limit() == 0 ? 50 : in.limit();
        ASSIGN_OR_RETURN(
            std::vector<store::PolicyVersion> h,
            manager_->PolicyHistory(caller, in.attestation_type(), limit));
        for (const store::PolicyVersion& v : h) {
          v1::PolicyHistoryEntry* e = out->add_entries();
          e->set_version(v.version);
          e->set_is_reset(v.change.is_reset());
          e->set_policy_hash(v.change.policy_hash);
          e->set_token_hash(v.change.token_hash);
          e->set_signer_thumbprint(v.change.signer_thumbprint.value_or(""));
          e->set_actor(v.change.actor.identity);
          e->set_role(std::string(auth::RoleName(v.change.actor.role)));
          e->set_time_unix(absl::ToUnixSeconds(v.change.time));
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::DryRunPolicy(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Run<v1::DryRunRequest, v1::DryRunResult>(
      context, "DryRunPolicy", request, response,
      [this](const auth::Caller& caller, const v1::DryRunRequest& in,
             v1::DryRunResult* out) -> absl::Status {
        admin::DryRunFields fields;
        fields.attestation_type = in.attestation_type();
        if (in.candidate_case() == v1::DryRunRequest::kPolicyText) {
          fields.policy_text = in.policy_text();
        } else if (in.candidate_case() == v1::DryRunRequest::kPolicyJws) {
          fields.policy_jws = in.policy_jws();
        }
        fields.claims_json = in.claims_json();
        fields.device_id = in.device_id();
        ASSIGN_OR_RETURN(admin::DryRunView d,
                         admin::RunDryRun(*manager_, caller, fields));
        out->set_permitted(d.permitted);
        out->set_reason(d.reason);
        out->set_issued_json(d.issued_json);
        out->set_trace_json(d.trace_json);
        token::Json compared = token::Json::object();
        compared["permitted"] = d.current_permitted;
        compared["reason"] = d.current_reason;
        out->set_compared_json(token::DumpJson(compared));
        if (d.source.has_value()) {
          const admin::ClaimsSource& from = *d.source;
          v1::DryRunSource* src = out->mutable_source();
          src->set_device_id(from.device_id);
          src->set_attested_unix(absl::ToUnixSeconds(from.attested_at));
          src->set_permitted(from.permitted);
          src->set_policy_hash(from.policy_hash);
          src->set_latest(from.latest);
          src->set_latest_unix(absl::ToUnixSeconds(from.latest_at));
          src->set_claims_since_unix(absl::ToUnixSeconds(from.claims_since));
          for (const std::string& c : from.omitted) src->add_omitted_claims(c);
          for (const std::string& c : from.rebuilt) src->add_rebuilt_claims(c);
          for (const std::string& c : from.omitted_read) {
            src->add_omitted_claims_read(c);
          }
          for (const std::string& c : from.omitted_read_by_current) {
            src->add_omitted_claims_read_by_current(c);
          }
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListPolicyCertificates(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Run<v1::ListPolicyCertificatesRequest, v1::PolicyCertificates>(
      context, "ListPolicyCertificates", request, response,
      [this](const auth::Caller& caller,
             const v1::ListPolicyCertificatesRequest&,
             v1::PolicyCertificates* out) -> absl::Status {
        ASSIGN_OR_RETURN(admin::CertificateListView list,
                         manager_->ListCertificates(caller));
        for (const admin::CertificateView& c : list.certificates) {
          v1::PolicyCertificate* p = out->add_certificates();
          p->set_thumbprint(c.thumbprint);
          p->set_subject(c.subject);
          p->set_der(std::string(c.der.begin(), c.der.end()));
          p->set_added_by(c.added_by);
          p->set_added_unix(absl::ToUnixSeconds(c.added_at));
        }
        out->set_token(list.token);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::AddPolicyCertificate(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Run<v1::PolicyCertificateRequest, v1::PolicyCertificateChange>(
      context, "AddPolicyCertificate", request, response,
      [this](const auth::Caller& caller, const v1::PolicyCertificateRequest& in,
             v1::PolicyCertificateChange* out) -> absl::Status {
        RETURN_IF_ERROR(admin::CheckJwsSize("jws", in.jws()));
        ASSIGN_OR_RETURN(admin::CertificateChangeView v,
                         manager_->AddCertificate(caller, in.jws()));
        ToProto(v, out);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::RemovePolicyCertificate(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Run<v1::PolicyCertificateRequest, v1::PolicyCertificateChange>(
      context, "RemovePolicyCertificate", request, response,
      [this](const auth::Caller& caller, const v1::PolicyCertificateRequest& in,
             v1::PolicyCertificateChange* out) -> absl::Status {
        RETURN_IF_ERROR(admin::CheckJwsSize("jws", in.jws()));
        ASSIGN_OR_RETURN(admin::CertificateChangeView v,
                         manager_->RemoveCertificate(caller, in.jws()));
        ToProto(v, out);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::QueryAudit(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Run<v1::AuditQuery, v1::AuditEvents>(
      context, "QueryAudit", request, response,
      [this](const auth::Caller& caller, const v1::AuditQuery& in,
             v1::AuditEvents* out) -> absl::Status {
        admin::AuditQueryFields fields;
        fields.since_unix = in.since_unix();
        fields.until_unix = in.until_unix();
        fields.actor = in.actor();
        fields.action = in.action();
        fields.attestation_type = in.attestation_type();
        fields.result = in.result();
        fields.limit = in.limit();
        fields.after_id = in.after_id();
        fields.oldest_first = in.oldest_first();
        ASSIGN_OR_RETURN(store::AuditQuery q, admin::MakeAuditQuery(fields));
        ASSIGN_OR_RETURN(std::vector<store::AuditEntry> found,
                         manager_->QueryAudit(caller, q));
        for (const store::AuditEntry& e : found) {
          v1::AuditEvent* p = out->add_events();
          p->set_id(e.id);
          p->set_time_unix(absl::ToUnixSeconds(e.event.time));
          p->set_actor(e.event.actor.identity);
          p->set_role(std::string(auth::RoleName(e.event.actor.role)));
          p->set_source(e.event.source_address);
          p->set_action(std::string(store::AuditActionName(e.event.action)));
          p->set_attestation_type(e.event.attestation_type);
          p->set_policy_hash(e.event.policy_hash);
          p->set_result(std::string(store::AuditResultName(e.event.result)));
          p->set_detail_json(e.event.detail_json);
        }
        // A full page may have a next one.
        if (std::optional<int64_t> next = admin::NextAuditCursor(q, found)) {
          out->set_next_after_id(*next);
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ExportPolicies(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Run<v1::ExportPoliciesRequest, v1::PolicyArchive>(
      context, "ExportPolicies", request, response,
      [this](const auth::Caller& caller, const v1::ExportPoliciesRequest&,
             v1::PolicyArchive* out) -> absl::Status {
        ASSIGN_OR_RETURN(admin::ExportView v, manager_->ExportPolicies(caller));
        out->set_archive(v.archive);
        out->set_sha256(v.sha256);
        out->set_policies(static_cast<uint32_t>(v.policies));
        out->set_certificates(static_cast<uint32_t>(v.certificates));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ImportPolicies(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Run<v1::ImportPoliciesRequest, v1::PolicyImport>(
      context, "ImportPolicies", request, response,
      [this](const auth::Caller& caller, const v1::ImportPoliciesRequest& in,
             v1::PolicyImport* out) -> absl::Status {
        if (in.archive().empty()) {
          return absl::InvalidArgumentError("archive: missing");
        }
        ASSIGN_OR_RETURN(
            admin::ImportView v,
            manager_->ImportPolicies(caller, in.archive(), in.dry_run()));
        out->set_archive_sha256(v.archive_sha256);
        out->set_archive_mode(v.archive_mode);
        out->set_archive_issuer(v.archive_issuer);
        out->set_applied(v.applied);
        for (const admin::PolicyImportItem& i : v.policies) {
          v1::PolicyImportItem* p = out->add_policies();
          p->set_attestation_type(i.attestation_type);
          p->set_action(std::string(admin::ImportActionName(i.action)));
          p->set_from_policy_hash(i.from_hash);
          p->set_to_policy_hash(i.to_hash);
          p->set_version(i.version);
          p->set_signer_thumbprint(i.signer_thumbprint);
          p->set_note(i.note);
        }
        for (const admin::CertificateImportItem& c : v.certificates) {
          v1::CertificateImportItem* p = out->add_certificates();
          p->set_thumbprint(c.thumbprint);
          p->set_subject(c.subject);
          p->set_plan(std::string(admin::CertificatePlanName(c.plan)));
        }
        for (const admin::TrustDifference& t : v.trust) {
          v1::TrustDifference* p = out->add_trust();
          p->set_kind(t.kind);
          p->set_thumbprint(t.thumbprint);
          p->set_subject(t.subject);
          p->set_archive_only(t.archive_only);
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<std::unique_ptr<grpc::Server>> StartAdminServer(
    AdminServiceImpl* service, const AdminListenerOptions& listener) {
  const bool unix_socket = absl::StartsWith(listener.address, "unix:");
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (unix_socket) {
    creds = grpc::InsecureServerCredentials();
  } else {
    if (listener.tls_cert_file.empty() || listener.tls_key_file.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("admin listener ", listener.address,
                       ": TLS is required on TCP (tls_cert, tls_key)"));
    }
    // Client certificates verified when sent; bearer-token callers send none.
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> tls =
        ServerTlsCredentials(listener.tls_cert_file, listener.tls_key_file,
                             listener.tls_client_ca_file,
                             /*require_client_certificate=*/false);
    if (!tls.ok()) return tls.status();
    creds = *std::move(tls);
  }
  if (absl::Status s = CheckUnixSocketFree(listener.address); !s.ok()) {
    return s;
  }
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listener.address, creds, &port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);  // as in server.cc
  builder.RegisterService(service);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(2 * admin::kMaxAdminJwsBytes));
  // Callers are authenticated after their request has arrived, so anyone
  // who can connect could otherwise make this listener hold messages
  // started and never finished (server.h, LimitTransport): operators send
  // a policy or two at a time.
  LimitTransport(builder, kAdminTransportLimits);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || (!unix_socket && port == 0)) {
    return absl::UnavailableError(
        absl::StrCat("admin listener ", listener.address, ": cannot bind"));
  }
  if (absl::Status s = RestrictUnixSocket(listener.address, /*group=*/"");
      !s.ok()) {
    server->Shutdown();
    return absl::Status(s.code(), absl::StrCat("admin listener ", s.message()));
  }
  return server;
}

}  // namespace vigil::service
