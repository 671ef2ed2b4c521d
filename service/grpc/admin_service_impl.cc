#include "service/grpc/admin_service_impl.h"

#include <sys/stat.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "policy/claim.h"
#include "service/admin/front_end.h"
#include "service/control/policy_document.h"
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

auth::Credentials CredentialsOf(const grpc::ServerContext& context) {
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

absl::StatusOr<auth::Caller> AdminServiceImpl::CallerOf(
    grpc::ServerContext* context, absl::string_view call) {
  return admin::AuthenticateAudited(*manager_, *authenticator_,
                                    CredentialsOf(*context), call);
}

#define VIGIL_ADMIN_CALLER(var, call)                              \
  absl::StatusOr<auth::Caller> var##_or = CallerOf(context, call); \
  if (!var##_or.ok()) return ToGrpcStatus(var##_or.status());      \
  const auth::Caller& var = *var##_or

grpc::Status AdminServiceImpl::GetPolicy(grpc::ServerContext* context,
                                         const v1::GetPolicyRequest* request,
                                         v1::PolicyDocument* response) {
  VIGIL_ADMIN_CALLER(caller, "GetPolicy");
  if (absl::Status s =
          admin::CheckAttestationTypeSize(request->attestation_type());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<admin::PolicyView> v =
      manager_->GetPolicy(caller, request->attestation_type());
  if (!v.ok()) return ToGrpcStatus(v.status());
  response->set_attestation_type(v->attestation_type);
  response->set_policy_jws(v->jws);
  response->set_policy_text(v->text);
  response->set_policy_hash(v->policy_hash);
  response->set_is_default(v->is_default);
  response->set_version(v->version);
  response->set_signer_thumbprint(v->signer_thumbprint);
  response->set_token(v->token);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::SetPolicy(grpc::ServerContext* context,
                                         const v1::SetPolicyRequest* request,
                                         v1::PolicyChange* response) {
  VIGIL_ADMIN_CALLER(caller, "SetPolicy");
  if (absl::Status s =
          admin::CheckAttestationTypeSize(request->attestation_type());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (absl::Status s = admin::CheckJwsSize("policy_jws", request->policy_jws());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  std::optional<int64_t> expected;
  if (request->has_expected_version()) expected = request->expected_version();
  absl::StatusOr<admin::PolicyChangeView> v = manager_->SetPolicy(
      caller, request->attestation_type(), request->policy_jws(), expected);
  if (!v.ok()) return ToGrpcStatus(v.status());
  ToProto(*v, response);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ResetPolicy(
    grpc::ServerContext* context, const v1::ResetPolicyRequest* request,
    v1::PolicyChange* response) {
  VIGIL_ADMIN_CALLER(caller, "ResetPolicy");
  if (absl::Status s =
          admin::CheckAttestationTypeSize(request->attestation_type());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (absl::Status s = admin::CheckJwsSize("policy_jws", request->policy_jws());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<admin::PolicyChangeView> v = manager_->ResetPolicy(
      caller, request->attestation_type(), request->policy_jws());
  if (!v.ok()) return ToGrpcStatus(v.status());
  ToProto(*v, response);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::GetPolicyHistory(
    grpc::ServerContext* context, const v1::GetPolicyHistoryRequest* request,
    v1::PolicyHistory* response) {
  VIGIL_ADMIN_CALLER(caller, "GetPolicyHistory");
  if (absl::Status s =
          admin::CheckAttestationTypeSize(request->attestation_type());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  const int64_t limit = request->limit() == 0 ? 50 : request->limit();
  absl::StatusOr<std::vector<store::PolicyVersion>> h =
      manager_->PolicyHistory(caller, request->attestation_type(), limit);
  if (!h.ok()) return ToGrpcStatus(h.status());
  for (const store::PolicyVersion& v : *h) {
    v1::PolicyHistoryEntry* e = response->add_entries();
    e->set_version(v.version);
    e->set_is_reset(v.change.is_reset());
    e->set_policy_hash(v.change.policy_hash);
    e->set_token_hash(v.change.token_hash);
    e->set_signer_thumbprint(v.change.signer_thumbprint.value_or(""));
    e->set_actor(v.change.actor.identity);
    e->set_role(std::string(auth::RoleName(v.change.actor.role)));
    e->set_time_unix(absl::ToUnixSeconds(v.change.time));
  }
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::DryRunPolicy(grpc::ServerContext* context,
                                            const v1::DryRunRequest* request,
                                            v1::DryRunResult* response) {
  VIGIL_ADMIN_CALLER(caller, "DryRunPolicy");
  admin::DryRunFields fields;
  fields.attestation_type = request->attestation_type();
  if (request->candidate_case() == v1::DryRunRequest::kPolicyText) {
    fields.policy_text = request->policy_text();
  } else if (request->candidate_case() == v1::DryRunRequest::kPolicyJws) {
    fields.policy_jws = request->policy_jws();
  }
  fields.claims_json = request->claims_json();
  fields.device_id = request->device_id();
  absl::StatusOr<admin::DryRunView> d =
      admin::RunDryRun(*manager_, caller, fields);
  if (!d.ok()) return ToGrpcStatus(d.status());
  response->set_permitted(d->permitted);
  response->set_reason(d->reason);
  response->set_issued_json(d->issued_json);
  response->set_trace_json(d->trace_json);
  token::Json compared = token::Json::object();
  compared["permitted"] = d->current_permitted;
  compared["reason"] = d->current_reason;
  response->set_compared_json(compared.dump());
  if (d->source.has_value()) {
    const admin::ClaimsSource& from = *d->source;
    v1::DryRunSource* out = response->mutable_source();
    out->set_device_id(from.device_id);
    out->set_attested_unix(absl::ToUnixSeconds(from.attested_at));
    out->set_permitted(from.permitted);
    out->set_policy_hash(from.policy_hash);
    out->set_latest(from.latest);
    out->set_latest_unix(absl::ToUnixSeconds(from.latest_at));
    out->set_claims_since_unix(absl::ToUnixSeconds(from.claims_since));
    for (const std::string& c : from.omitted) out->add_omitted_claims(c);
    for (const std::string& c : from.rebuilt) out->add_rebuilt_claims(c);
  }
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ListPolicyCertificates(
    grpc::ServerContext* context, const v1::ListPolicyCertificatesRequest*,
    v1::PolicyCertificates* response) {
  VIGIL_ADMIN_CALLER(caller, "ListPolicyCertificates");
  absl::StatusOr<admin::CertificateListView> list =
      manager_->ListCertificates(caller);
  if (!list.ok()) return ToGrpcStatus(list.status());
  for (const admin::CertificateView& c : list->certificates) {
    v1::PolicyCertificate* p = response->add_certificates();
    p->set_thumbprint(c.thumbprint);
    p->set_subject(c.subject);
    p->set_der(std::string(c.der.begin(), c.der.end()));
    p->set_added_by(c.added_by);
    p->set_added_unix(absl::ToUnixSeconds(c.added_at));
  }
  response->set_token(list->token);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::AddPolicyCertificate(
    grpc::ServerContext* context, const v1::PolicyCertificateRequest* request,
    v1::PolicyCertificateChange* response) {
  VIGIL_ADMIN_CALLER(caller, "AddPolicyCertificate");
  if (absl::Status s = admin::CheckJwsSize("jws", request->jws()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<admin::CertificateChangeView> v =
      manager_->AddCertificate(caller, request->jws());
  if (!v.ok()) return ToGrpcStatus(v.status());
  ToProto(*v, response);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::RemovePolicyCertificate(
    grpc::ServerContext* context, const v1::PolicyCertificateRequest* request,
    v1::PolicyCertificateChange* response) {
  VIGIL_ADMIN_CALLER(caller, "RemovePolicyCertificate");
  if (absl::Status s = admin::CheckJwsSize("jws", request->jws()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<admin::CertificateChangeView> v =
      manager_->RemoveCertificate(caller, request->jws());
  if (!v.ok()) return ToGrpcStatus(v.status());
  ToProto(*v, response);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::QueryAudit(grpc::ServerContext* context,
                                          const v1::AuditQuery* request,
                                          v1::AuditEvents* response) {
  VIGIL_ADMIN_CALLER(caller, "QueryAudit");
  admin::AuditQueryFields fields;
  fields.since_unix = request->since_unix();
  fields.until_unix = request->until_unix();
  fields.actor = request->actor();
  fields.action = request->action();
  fields.attestation_type = request->attestation_type();
  fields.result = request->result();
  fields.limit = request->limit();
  fields.after_id = request->after_id();
  fields.oldest_first = request->oldest_first();
  absl::StatusOr<store::AuditQuery> query = admin::MakeAuditQuery(fields);
  if (!query.ok()) return ToGrpcStatus(query.status());
  const store::AuditQuery& q = *query;
  absl::StatusOr<std::vector<store::AuditEntry>> found =
      manager_->QueryAudit(caller, q);
  if (!found.ok()) return ToGrpcStatus(found.status());
  for (const store::AuditEntry& e : *found) {
    v1::AuditEvent* p = response->add_events();
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
  if (std::optional<int64_t> next = admin::NextAuditCursor(q, *found)) {
    response->set_next_after_id(*next);
  }
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ExportPolicies(grpc::ServerContext* context,
                                              const v1::ExportPoliciesRequest*,
                                              v1::PolicyArchive* response) {
  VIGIL_ADMIN_CALLER(caller, "ExportPolicies");
  absl::StatusOr<admin::ExportView> v = manager_->ExportPolicies(caller);
  if (!v.ok()) return ToGrpcStatus(v.status());
  response->set_archive(v->archive);
  response->set_sha256(v->sha256);
  response->set_policies(static_cast<uint32_t>(v->policies));
  response->set_certificates(static_cast<uint32_t>(v->certificates));
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ImportPolicies(
    grpc::ServerContext* context, const v1::ImportPoliciesRequest* request,
    v1::PolicyImport* response) {
  VIGIL_ADMIN_CALLER(caller, "ImportPolicies");
  if (request->archive().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("archive: missing"));
  }
  absl::StatusOr<admin::ImportView> v =
      manager_->ImportPolicies(caller, request->archive(), request->dry_run());
  if (!v.ok()) return ToGrpcStatus(v.status());
  response->set_archive_sha256(v->archive_sha256);
  response->set_archive_mode(v->archive_mode);
  response->set_archive_issuer(v->archive_issuer);
  response->set_applied(v->applied);
  for (const admin::PolicyImportItem& i : v->policies) {
    v1::PolicyImportItem* p = response->add_policies();
    p->set_attestation_type(i.attestation_type);
    p->set_action(std::string(admin::ImportActionName(i.action)));
    p->set_from_policy_hash(i.from_hash);
    p->set_to_policy_hash(i.to_hash);
    p->set_version(i.version);
    p->set_signer_thumbprint(i.signer_thumbprint);
    p->set_note(i.note);
  }
  for (const admin::CertificateImportItem& c : v->certificates) {
    v1::CertificateImportItem* p = response->add_certificates();
    p->set_thumbprint(c.thumbprint);
    p->set_subject(c.subject);
    p->set_plan(std::string(admin::CertificatePlanName(c.plan)));
  }
  for (const admin::TrustDifference& t : v->trust) {
    v1::TrustDifference* p = response->add_trust();
    p->set_kind(t.kind);
    p->set_thumbprint(t.thumbprint);
    p->set_subject(t.subject);
    p->set_archive_only(t.archive_only);
  }
  return grpc::Status::OK;
}

#undef VIGIL_ADMIN_CALLER

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
  LimitTransport(builder, kAdminMaxStreamsPerConnection,
                 kAdminTransportMemoryBytes);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || (!unix_socket && port == 0)) {
    return absl::UnavailableError(
        absl::StrCat("admin listener ", listener.address, ": cannot bind"));
  }
  if (unix_socket) {
    const std::string path = listener.address.substr(5);
    if (chmod(path.c_str(), 0600) != 0) {
      server->Shutdown();
      return absl::UnavailableError(absl::StrCat(
          "admin listener ", path, ": cannot restrict it to its owner"));
    }
  }
  return server;
}

}  // namespace vigil::service
