#include "service/admin/policy_manager.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "policy/evaluator.h"
#include "service/control/certificate_change.h"
#include "service/control/certificate_jwk.h"
#include "service/control/jws_writer.h"
#include "service/control/policy_document.h"
#include "service/token/raw_jwt.h"

namespace vigil::service::admin {
namespace {

using auth::Caller;
using auth::Role;
using store::AuditAction;
using store::AuditResult;

std::string Quote(absl::string_view s) {
  return token::Json(std::string(s)).dump();
}

// A one-member JSON object for audit details.
std::string Detail(absl::string_view key, absl::string_view value) {
  token::Json j = token::Json::object();
  j[std::string(key)] = std::string(value);
  return j.dump();
}

std::string StoreSource(int64_t version) {
  return absl::StrCat("control plane v", version);
}

// Those of `types` that `policy` may read (ClaimsSource::omitted_read).
std::vector<std::string> ReadableOf(const ActivePolicy& policy,
                                    const std::vector<std::string>& types) {
  std::vector<std::string> out;
  for (const std::string& type : types) {
    if (policy.compiled.MayReadClaimType(type)) out.push_back(type);
  }
  return out;
}

}  // namespace

absl::string_view ModeName(Mode mode) {
  switch (mode) {
    case Mode::kOpen:
      return "open";
    case Mode::kAuthenticated:
      return "authenticated";
    case Mode::kIsolated:
      return "isolated";
  }
  return "open";
}

absl::StatusOr<Mode> ParseMode(absl::string_view name) {
  for (Mode m : {Mode::kOpen, Mode::kAuthenticated, Mode::kIsolated}) {
    if (name == ModeName(m)) return m;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "mode: want open, authenticated or isolated, got ", Quote(name)));
}

absl::StatusOr<std::unique_ptr<PolicyManager>> PolicyManager::Create(
    ManagerOptions options, store::Store* store, PolicySet* policies,
    token::JwtSigner* signer, const Clock& clock,
    std::vector<token::X509Certificate> configured_signers) {
  if (options.issuer.empty()) {
    return absl::InvalidArgumentError("issuer: required for response tokens");
  }
  // Each configured certificate must be usable as a signer.
  RETURN_IF_ERROR(control::TrustedSigners::Create(configured_signers).status());
  std::unique_ptr<PolicyManager> m(
      new PolicyManager(std::move(options), store, policies, signer, clock));
  ASSIGN_OR_RETURN(std::vector<store::PolicyCertificate> stored,
                   store->ListCertificates());
  if (stored.empty()) {
    const store::Actor system{"configuration", Role::kSystem};
    for (const token::X509Certificate& c : configured_signers) {
      const std::string& der = c.der();
      store::AuditEvent e =
          m->Event(Caller{"configuration", Role::kSystem, "", "config"},
                   AuditAction::kCertAdd, "", AuditResult::kSuccess,
                   Detail("thumbprint", control::CertificateThumbprint(c)));
      RETURN_IF_ERROR(
          store
              ->AddCertificate(
                  absl::MakeConstSpan(
                      reinterpret_cast<const uint8_t*>(der.data()), der.size()),
                  system, clock.Now(), e)
              .status());
    }
    ASSIGN_OR_RETURN(stored, store->ListCertificates());
  }
  if (m->options_.mode == Mode::kIsolated && stored.empty()) {
    return absl::FailedPreconditionError(
        "isolated mode needs at least one policy-management certificate "
        "(policy_signers in the configuration)");
  }
  RETURN_IF_ERROR(m->Sync());
  return m;
}

store::AuditEvent PolicyManager::Event(const Caller& caller, AuditAction action,
                                       absl::string_view type,
                                       AuditResult result,
                                       std::string detail_json) const {
  store::AuditEvent e;
  e.time = clock_.Now();
  e.actor = {caller.identity, caller.role};
  e.source_address = caller.source;
  e.action = action;
  e.attestation_type = std::string(type);
  e.result = result;
  e.detail_json = std::move(detail_json);
  return e;
}

absl::Status PolicyManager::Refuse(const Caller& caller, AuditAction action,
                                   absl::string_view type,
                                   absl::Status status) {
  const AuditResult result =
      status.code() == absl::StatusCode::kPermissionDenied ||
              status.code() == absl::StatusCode::kUnauthenticated
          ? AuditResult::kDenied
          : AuditResult::kFailure;
  // Best effort: the refusal stands even if the audit log is unreachable.
  (void)store_->AppendAudit(
      Event(caller, action, type, result, Detail("error", status.message())));
  return status;
}

void PolicyManager::AuditAuthDenied(const Caller& caller,
                                    absl::string_view what,
                                    absl::string_view why) {
  token::Json d = token::Json::object();
  d["call"] = std::string(what);
  d["error"] = std::string(why);
  (void)store_->AppendAudit(Event(caller, AuditAction::kAuthDenied, "",
                                  AuditResult::kDenied, d.dump()));
}

absl::Status PolicyManager::Require(const Caller& caller, Role need,
                                    AuditAction action,
                                    absl::string_view type) {
  if (auth::RoleSatisfies(caller.role, need)) return absl::OkStatus();
  return Refuse(caller, action, type,
                absl::PermissionDeniedError(absl::StrCat(
                    auth::RoleName(need), " role required; caller ",
                    caller.identity, " has ", auth::RoleName(caller.role))));
}

absl::StatusOr<control::TrustedSigners> PolicyManager::CurrentSigners() {
  ASSIGN_OR_RETURN(std::vector<store::PolicyCertificate> stored,
                   store_->ListCertificates());
  std::vector<token::X509Certificate> certs;
  for (const store::PolicyCertificate& c : stored) {
    absl::StatusOr<token::X509Certificate> x =
        token::X509Certificate::ParseDer(absl::string_view(
            reinterpret_cast<const char*>(c.der.data()), c.der.size()));
    if (x.ok()) certs.push_back(*std::move(x));
  }
  return control::TrustedSigners::Create(std::move(certs));
}

absl::Status PolicyManager::RequireTrustedSigner(
    const control::PolicySigner* signer, absl::string_view what) {
  if (signer == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        what, " must be signed by a policy-management certificate (",
        ModeName(options_.mode), " mode); this one is unsigned (alg none)"));
  }
  ASSIGN_OR_RETURN(control::TrustedSigners trusted, CurrentSigners());
  ASSIGN_OR_RETURN(control::SignerTrust t,
                   trusted.Check(*signer, clock_.Now()));
  if (!t.trusted) {
    return absl::PermissionDeniedError(absl::StrCat(what, ": ", t.reason));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> PolicyManager::SignResponse(
    const token::Json& claims) {
  const absl::Time now = clock_.Now();
  token::RawJwtBuilder b;
  b.SetIssuer(options_.issuer)
      .SetIssuedAt(now)
      .SetNotBefore(now)
      .SetExpiration(now + options_.response_token_lifetime);
  for (auto it = claims.begin(); it != claims.end(); ++it) {
    b.AddClaim(it.key(), it.value());
  }
  ASSIGN_OR_RETURN(token::RawJwt jwt, b.Build());
  return signer_->SignAndEncode(jwt);
}

absl::StatusOr<PolicyView> PolicyManager::GetPolicy(const Caller& caller,
                                                    absl::string_view type) {
  RETURN_IF_ERROR(
      Require(caller, Role::kReader, AuditAction::kAuthDenied, type));
  std::shared_ptr<const ActivePolicy> active = policies_->Get(type);
  if (active == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("attestation type ", Quote(type), " has no policy"));
  }
  PolicyView v;
  v.attestation_type = std::string(type);
  v.text = active->text;
  v.policy_hash = active->hash;
  v.is_default = !policies_->IsManaged(type);
  if (!v.is_default) {
    absl::StatusOr<store::PolicyVersion> cur = store_->CurrentPolicy(type);
    if (cur.ok() && !cur->change.is_reset()) {
      v.jws = cur->change.jws;
      v.version = cur->version;
      v.signer_thumbprint = cur->change.signer_thumbprint.value_or("");
    }
  }
  if (v.jws.empty()) {
    // A default has no stored JWS: report it as its unsigned form, as
    // Azure's SDK expects a policy in "x-ms-policy".
    ASSIGN_OR_RETURN(v.jws, control::MakeUnsignedPolicyJws(v.text));
  }
  ASSIGN_OR_RETURN(v.token, SignResponse(control::GetPolicyClaims(v.jws)));
  return v;
}

absl::StatusOr<PolicyChangeView> PolicyManager::SetPolicy(
    const Caller& caller, absl::string_view type, absl::string_view jws,
    std::optional<int64_t> expected_version) {
  return Change(caller, type, jws, /*reset=*/false, expected_version);
}

absl::StatusOr<PolicyChangeView> PolicyManager::ResetPolicy(
    const Caller& caller, absl::string_view type, absl::string_view jws) {
  return Change(caller, type, jws, /*reset=*/true, std::nullopt);
}

absl::StatusOr<PolicyChangeView> PolicyManager::Change(
    const Caller& caller, absl::string_view type, absl::string_view jws,
    bool reset, std::optional<int64_t> expected) {
  const AuditAction action =
      reset ? AuditAction::kPolicyReset : AuditAction::kPolicySet;
  RETURN_IF_ERROR(Require(caller, Role::kContributor, action, type));
  if (!store::IsValidAttestationType(type)) {
    return Refuse(caller, action, "",
                  absl::InvalidArgumentError(absl::StrCat(
                      "attestation type ", Quote(type),
                      ": want a letter then up to 63 of [A-Za-z0-9_.-]")));
  }
  if (options_.mode == Mode::kOpen) {
    return Refuse(caller, action, type,
                  absl::PermissionDeniedError(
                      "open mode: every attestation type runs its default "
                      "policy; set and reset are refused"));
  }
  absl::StatusOr<control::PolicyDocument> doc =
      control::DecodePolicyDocument(jws);
  if (!doc.ok()) return Refuse(caller, action, type, doc.status());
  if (doc->is_reset() != reset) {
    return Refuse(
        caller, action, type,
        absl::InvalidArgumentError(
            reset ? "reset: the JWS carries a policy; a reset has an empty "
                    "payload"
                  : "payload: empty (a reset); use reset to return to the "
                    "default policy"));
  }
  const control::PolicySigner* signer =
      doc->signer().has_value() ? &*doc->signer() : nullptr;
  if (options_.mode == Mode::kIsolated) {
    if (absl::Status s =
            RequireTrustedSigner(signer, reset ? "policy reset" : "policy");
        !s.ok()) {
      return Refuse(caller, action, type, s);
    }
  }

  store::PolicyChange change;
  change.attestation_type = std::string(type);
  change.jws = std::string(jws);
  change.token_hash = doc->token_hash();
  if (signer != nullptr) change.signer_thumbprint = signer->thumbprint();
  change.actor = {caller.identity, caller.role};
  change.time = clock_.Now();
  std::shared_ptr<const ActivePolicy> compiled;
  if (!reset) {
    absl::StatusOr<std::shared_ptr<const ActivePolicy>> c = policies_->Compile(
        type, doc->policy_text(), absl::StrCat(type, ".policy"), change.time);
    if (!c.ok()) return Refuse(caller, action, type, c.status());
    compiled = *std::move(c);
    change.policy_text = doc->policy_text();
    change.policy_hash = compiled->hash;
  }
  token::Json detail = token::Json::object();
  detail["token_hash"] = doc->token_hash();
  if (signer != nullptr) detail["signer"] = signer->thumbprint();
  store::AuditEvent audit =
      Event(caller, action, type, AuditResult::kSuccess, detail.dump());
  audit.policy_hash = change.policy_hash;
  absl::StatusOr<store::PolicyVersion> stored =
      store_->AppendPolicy(change, expected, audit);
  if (!stored.ok()) return Refuse(caller, action, type, stored.status());

  // In force here at once; other replicas follow through Sync(). Two
  // concurrent changes may finish out of order: the older never replaces
  // the newer (versions order them), so what is in force is always the
  // store's current version.
  {
    absl::MutexLock lock(&sync_mu_);
    auto it = synced_.find(type);
    if (it == synced_.end() || it->second < stored->version) {
      if (reset) {
        policies_->Reset(type, change.time);
      } else {
        RETURN_IF_ERROR(policies_->Set(type, *change.policy_text,
                                       StoreSource(stored->version),
                                       change.time));
      }
      synced_[std::string(type)] = stored->version;
    }
  }

  PolicyChangeView v;
  v.attestation_type = std::string(type);
  v.result = reset ? control::PolicyModification::kRemoved
                   : control::PolicyModification::kUpdated;
  v.token_hash = doc->token_hash();
  if (signer != nullptr) v.signer_jwk_json = signer->Jwk().dump();
  v.version = stored->version;
  if (std::shared_ptr<const ActivePolicy> now = policies_->Get(type)) {
    v.policy_hash = now->hash;
  }
  ASSIGN_OR_RETURN(v.token,
                   SignResponse(control::PolicyResultClaims(v.result, *doc)));
  return v;
}

absl::StatusOr<std::vector<store::PolicyVersion>> PolicyManager::PolicyHistory(
    const Caller& caller, absl::string_view type, int64_t limit) {
  RETURN_IF_ERROR(
      Require(caller, Role::kReader, AuditAction::kAuthDenied, type));
  return store_->PolicyHistory(type, std::clamp<int64_t>(limit, 1, 1000),
                               std::nullopt);
}

absl::StatusOr<CertificateListView> PolicyManager::ListCertificates(
    const Caller& caller) {
  RETURN_IF_ERROR(Require(caller, Role::kReader, AuditAction::kAuthDenied, ""));
  ASSIGN_OR_RETURN(std::vector<store::PolicyCertificate> stored,
                   store_->ListCertificates());
  CertificateListView out;
  std::vector<token::X509Certificate> certs;
  for (const store::PolicyCertificate& c : stored) {
    CertificateView v;
    v.thumbprint = c.thumbprint;
    v.der = c.der;
    v.added_by = c.added_by.identity;
    v.added_at = c.added_at;
    absl::StatusOr<auth::CertificateIdentity> id = auth::IdentityFromDer(c.der);
    if (id.ok()) v.subject = id->subject;
    absl::StatusOr<token::X509Certificate> x =
        token::X509Certificate::ParseDer(absl::string_view(
            reinterpret_cast<const char*>(c.der.data()), c.der.size()));
    if (x.ok()) certs.push_back(*std::move(x));
    out.certificates.push_back(std::move(v));
  }
  ASSIGN_OR_RETURN(out.token,
                   SignResponse(control::PolicyCertificatesClaims(certs)));
  return out;
}

absl::StatusOr<CertificateChangeView> PolicyManager::AddCertificate(
    const Caller& caller, absl::string_view jws) {
  return ChangeCertificate(caller, jws, /*add=*/true);
}

absl::StatusOr<CertificateChangeView> PolicyManager::RemoveCertificate(
    const Caller& caller, absl::string_view jws) {
  return ChangeCertificate(caller, jws, /*add=*/false);
}

absl::StatusOr<CertificateChangeView> PolicyManager::ChangeCertificate(
    const Caller& caller, absl::string_view jws, bool add) {
  const AuditAction action =
      add ? AuditAction::kCertAdd : AuditAction::kCertRemove;
  RETURN_IF_ERROR(Require(caller, Role::kContributor, action, ""));
  if (options_.mode == Mode::kOpen) {
    return Refuse(caller, action, "",
                  absl::PermissionDeniedError(
                      "open mode: policy-management certificates cannot be "
                      "changed"));
  }
  absl::StatusOr<control::PolicyCertificateChange> req =
      control::DecodePolicyCertificateChange(jws);
  if (!req.ok()) return Refuse(caller, action, "", req.status());
  // Azure: add and remove are signed by an already trusted signer, in every
  // mode that allows them (maa-spec §5.3).
  if (absl::Status s =
          RequireTrustedSigner(&req->signer(), "certificate change");
      !s.ok()) {
    return Refuse(caller, action, "", s);
  }
  token::Json detail = token::Json::object();
  detail["thumbprint"] = req->thumbprint();
  detail["signer"] = req->signer().thumbprint();
  const store::AuditEvent audit =
      Event(caller, action, "", AuditResult::kSuccess, detail.dump());
  const std::string& der = req->certificate().der();
  absl::StatusOr<store::CertificateChange> changed =
      add ? store_->AddCertificate(
                absl::MakeConstSpan(
                    reinterpret_cast<const uint8_t*>(der.data()), der.size()),
                {caller.identity, caller.role}, clock_.Now(), audit)
          : store_->RemoveCertificate(req->thumbprint(), audit);
  if (!changed.ok()) return Refuse(caller, action, "", changed.status());
  CertificateChangeView v;
  v.thumbprint = req->thumbprint();
  v.result = add ? control::CertificateModification::kIsPresent
                 : control::CertificateModification::kIsAbsent;
  ASSIGN_OR_RETURN(v.token, SignResponse(control::CertificateModificationClaims(
                                v.thumbprint, v.result)));
  return v;
}

absl::StatusOr<DryRunView> PolicyManager::DryRun(
    const Caller& caller, absl::string_view type,
    absl::string_view candidate_text, const policy::ClaimSet& claims) {
  RETURN_IF_ERROR(
      Require(caller, Role::kReader, AuditAction::kAuthDenied, type));
  return EvaluateCandidate(type, candidate_text, claims);
}

absl::StatusOr<DryRunView> PolicyManager::DryRunDevice(
    const Caller& caller, absl::string_view type,
    absl::string_view candidate_text, absl::string_view device_id) {
  RETURN_IF_ERROR(
      Require(caller, Role::kReader, AuditAction::kAuthDenied, type));
  ASSIGN_OR_RETURN(store::StoredDeviceClaims kept,
                   store_->LatestClaims(device_id));
  // Kept claims imply a recorded attestation (same transaction); the
  // device may have been removed since the read above.
  ASSIGN_OR_RETURN(store::AttestationRecord latest,
                   store_->LatestAttestation(device_id));
  if (latest.attestation_type != type) {
    return absl::InvalidArgumentError(
        absl::StrCat("attestation_type: device ", device_id, " attests as ",
                     latest.attestation_type, ", not ", type));
  }
  absl::StatusOr<policy::ClaimSet> claims =
      policy::ParseClaimsJson(kept.claims.claims_json);
  if (!claims.ok()) {
    return absl::InternalError(absl::StrCat(
        "device ", device_id, ": kept claims: ", claims.status().message()));
  }
  ClaimsSource source;
  source.device_id = std::string(device_id);
  source.latest = latest.claims_sha256 == kept.sha256;
  source.attested_at = source.latest ? latest.time : kept.time;
  source.permitted = source.latest ? latest.permitted : kept.permitted;
  source.policy_hash = source.latest ? latest.policy_hash : kept.policy_hash;
  source.latest_at = latest.time;
  source.claims_since = kept.time;
  for (const std::string& omitted : kept.claims.omitted) {
    std::optional<policy::Value> rebuilt;
    if (omitted == "events" && options_.events_from_log != nullptr &&
        !kept.claims.event_log_sha256.empty()) {
      rebuilt = options_.events_from_log(kept.claims.event_log_sha256,
                                         kept.claims.event_log_pcrs);
    }
    if (rebuilt.has_value()) {
      claims->Add(omitted, *std::move(rebuilt));
      source.rebuilt.push_back(omitted);
    } else {
      source.omitted.push_back(omitted);
    }
  }
  ASSIGN_OR_RETURN(DryRunView v,
                   EvaluateCandidate(type, candidate_text, *claims, &source));
  v.source = std::move(source);
  return v;
}

absl::StatusOr<DryRunView> PolicyManager::EvaluateCandidate(
    absl::string_view type, absl::string_view candidate_text,
    const policy::ClaimSet& claims, ClaimsSource* source) {
  ASSIGN_OR_RETURN(std::shared_ptr<const ActivePolicy> candidate,
                   policies_->Compile(type, std::string(candidate_text),
                                      "candidate.policy", clock_.Now()));
  if (source != nullptr) {
    source->omitted_read = ReadableOf(*candidate, source->omitted);
  }
  ASSIGN_OR_RETURN(policy::EvaluationResult r,
                   policy::Evaluate(candidate->compiled, claims));
  DryRunView v;
  v.permitted = r.permitted;
  v.reason = r.reason;
  const auto j = r.ToJson();
  v.issued_json = j.contains("issued") ? j["issued"].dump() : "[]";
  v.trace_json = j.contains("trace") ? j["trace"].dump() : "[]";
  if (std::shared_ptr<const ActivePolicy> cur = policies_->Get(type)) {
    policy::EvaluateOptions quick;
    quick.explain = false;
    absl::StatusOr<policy::EvaluationResult> c =
        policy::Evaluate(cur->compiled, claims, quick);
    if (c.ok()) {
      v.current_permitted = c->permitted;
      v.current_reason = c->reason;
    }
    if (c.ok() && source != nullptr) {
      source->omitted_read_by_current = ReadableOf(*cur, source->omitted);
    }
  }
  return v;
}

absl::StatusOr<std::vector<store::AuditEntry>> PolicyManager::QueryAudit(
    const Caller& caller, const store::AuditQuery& query) {
  RETURN_IF_ERROR(Require(caller, Role::kReader, AuditAction::kAuthDenied, ""));
  ASSIGN_OR_RETURN(std::vector<store::AuditEntry> found,
                   store_->QueryAudit(query));
  // Who read the trail is part of it.
  (void)store_->AppendAudit(
      Event(caller, AuditAction::kAuditRead, "", AuditResult::kSuccess,
            Detail("returned", std::to_string(found.size()))));
  return found;
}

absl::string_view ImportActionName(ImportAction action) {
  switch (action) {
    case ImportAction::kSet:
      return "set";
    case ImportAction::kReset:
      return "reset";
    case ImportAction::kUnchanged:
      return "unchanged";
  }
  return "unchanged";
}

absl::string_view CertificatePlanName(CertificatePlan plan) {
  switch (plan) {
    case CertificatePlan::kAdd:
      return "add";
    case CertificatePlan::kPresent:
      return "present";
    case CertificatePlan::kHereOnly:
      return "here-only";
  }
  return "present";
}

absl::StatusOr<ExportView> PolicyManager::ExportPolicies(const Caller& caller) {
  RETURN_IF_ERROR(
      Require(caller, Role::kReader, AuditAction::kPolicyExport, ""));
  PolicyArchive a;
  a.exported_at = clock_.Now();
  a.exported_by = caller.identity;
  a.issuer = options_.issuer;
  a.mode = std::string(ModeName(options_.mode));
  ASSIGN_OR_RETURN(std::vector<store::PolicyVersion> current,
                   store_->CurrentPolicies());
  bool has_tpm = false;
  for (const store::PolicyVersion& v : current) {
    has_tpm |= v.change.attestation_type == "Tpm";
  }
  if (!has_tpm) {
    store::PolicyVersion tpm;  // a reset: Tpm runs its default
    tpm.change.attestation_type = "Tpm";
    current.insert(current.begin(), tpm);
  }
  for (const store::PolicyVersion& v : current) {
    ArchivedPolicy p;
    p.attestation_type = v.change.attestation_type;
    p.is_default = v.change.is_reset();
    if (!p.is_default) {
      p.version = v.version;
      p.jws = v.change.jws;
      p.policy_hash = v.change.policy_hash;
      p.token_hash = v.change.token_hash;
      p.signer_thumbprint = v.change.signer_thumbprint.value_or("");
    }
    if (auto d = policies_->Default(p.attestation_type)) {
      p.default_policy_hash = d->hash;
    }
    a.policies.push_back(std::move(p));
  }
  ASSIGN_OR_RETURN(std::vector<store::PolicyCertificate> certs,
                   store_->ListCertificates());
  for (const store::PolicyCertificate& c : certs) {
    a.policy_certificates.push_back(ArchiveCertificate(absl::string_view(
        reinterpret_cast<const char*>(c.der.data()), c.der.size())));
  }
  if (options_.trust_material) {
    ASSIGN_OR_RETURN(TrustMaterial trust, options_.trust_material());
    for (const std::string& der : trust.ek_roots) {
      a.ek_roots.push_back(ArchiveCertificate(der));
    }
    for (const std::string& der : trust.policy_signers) {
      a.policy_signers.push_back(ArchiveCertificate(der));
    }
  }
  ExportView out;
  out.archive = EncodePolicyArchive(a, &out.sha256);
  out.policies = a.policies.size();
  out.certificates = a.policy_certificates.size();
  token::Json detail = token::Json::object();
  detail["sha256"] = out.sha256;
  detail["policies"] = out.policies;
  detail["certificates"] = out.certificates;
  // Best effort, like a refusal's event: the export itself changed nothing.
  (void)store_->AppendAudit(Event(caller, AuditAction::kPolicyExport, "",
                                  AuditResult::kSuccess, detail.dump()));
  return out;
}

namespace {

// The thumbprints of `certs` that `other` lacks, as TrustDifferences.
void TrustOnlyIn(const std::vector<ArchivedCertificate>& certs,
                 const std::vector<ArchivedCertificate>& other,
                 absl::string_view kind, bool archive_only,
                 std::vector<TrustDifference>* out) {
  std::set<std::string> have;
  for (const ArchivedCertificate& c : other) have.insert(c.thumbprint);
  for (const ArchivedCertificate& c : certs) {
    if (have.count(c.thumbprint) != 0) continue;
    out->push_back({std::string(kind), c.thumbprint, c.subject, archive_only});
  }
}

}  // namespace

absl::StatusOr<ImportView> PolicyManager::PlanImport(
    const Caller& caller, const PolicyArchive& archive,
    store::ChangeBatch* batch) {
  ImportView view;
  view.archive_sha256 = archive.sha256;
  view.archive_mode = archive.mode;
  view.archive_issuer = archive.issuer;
  const bool isolated = options_.mode == Mode::kIsolated;
  const absl::Time now = clock_.Now();
  const store::Actor actor{caller.identity, caller.role};

  // Certificates first: in isolated mode the policies must verify against
  // what is trusted here, and nothing new becomes trusted by an import.
  ASSIGN_OR_RETURN(std::vector<store::PolicyCertificate> stored,
                   store_->ListCertificates());
  std::set<std::string> here;
  for (const store::PolicyCertificate& c : stored) here.insert(c.thumbprint);
  std::set<std::string> in_archive;
  for (const ArchivedCertificate& c : archive.policy_certificates) {
    in_archive.insert(c.thumbprint);
    CertificateImportItem item{c.thumbprint, c.subject,
                               here.count(c.thumbprint) != 0
                                   ? CertificatePlan::kPresent
                                   : CertificatePlan::kAdd};
    if (item.plan == CertificatePlan::kAdd) {
      if (isolated) {
        return absl::PermissionDeniedError(absl::StrCat(
            "policy certificate ", c.thumbprint, " (", c.subject,
            "): not trusted here, and isolated mode adds one only by a "
            "request signed by a trusted certificate (vigilctl policy-certs "
            "add) — add it first"));
      }
      batch->certificates.push_back(
          {std::vector<uint8_t>(c.der.begin(), c.der.end()), actor, now});
      token::Json d = token::Json::object();
      d["thumbprint"] = c.thumbprint;
      d["import"] = archive.sha256;
      batch->audit.push_back(Event(caller, AuditAction::kCertAdd, "",
                                   AuditResult::kSuccess, d.dump()));
    }
    view.certificates.push_back(std::move(item));
  }
  for (const store::PolicyCertificate& c : stored) {
    if (in_archive.count(c.thumbprint) != 0) continue;
    CertificateImportItem item{c.thumbprint, "", CertificatePlan::kHereOnly};
    if (absl::StatusOr<auth::CertificateIdentity> id =
            auth::IdentityFromDer(c.der);
        id.ok()) {
      item.subject = id->subject;
    }
    view.certificates.push_back(std::move(item));
  }

  ASSIGN_OR_RETURN(std::vector<store::PolicyVersion> current_list,
                   store_->CurrentPolicies());
  std::map<std::string, store::PolicyVersion> current;
  for (store::PolicyVersion& v : current_list) {
    current[v.change.attestation_type] = std::move(v);
  }
  auto hash_in_force = [&](const std::string& type) {
    std::shared_ptr<const ActivePolicy> p = policies_->Get(type);
    return p == nullptr ? std::string() : p->hash;
  };
  auto plan_reset = [&](const std::string& type,
                        PolicyImportItem* item) -> absl::Status {
    auto it = current.find(type);
    if (it == current.end() || it->second.change.is_reset()) {
      return absl::OkStatus();  // runs its default already
    }
    if (isolated) {
      return absl::PermissionDeniedError(absl::StrCat(
          type,
          ": would be reset to the default, and isolated mode resets "
          "only by a signed request (vigilctl policy reset --key --cert) "
          "— reset it first"));
    }
    item->action = ImportAction::kReset;
    std::shared_ptr<const ActivePolicy> d = policies_->Default(type);
    item->to_hash = d == nullptr ? "" : d->hash;
    store::PolicyChange change;
    change.attestation_type = type;
    change.actor = actor;
    change.time = now;
    batch->policies.push_back({change, it->second.version});
    token::Json detail = token::Json::object();
    detail["import"] = archive.sha256;
    batch->audit.push_back(Event(caller, AuditAction::kPolicyReset, type,
                                 AuditResult::kSuccess, detail.dump()));
    return absl::OkStatus();
  };

  std::set<std::string> listed;
  for (const ArchivedPolicy& p : archive.policies) {
    const std::string& type = p.attestation_type;
    listed.insert(type);
    PolicyImportItem item;
    item.attestation_type = type;
    item.from_hash = hash_in_force(type);
    item.to_hash = item.from_hash;
    if (p.is_default) {
      RETURN_IF_ERROR(plan_reset(type, &item));
      std::shared_ptr<const ActivePolicy> d = policies_->Default(type);
      if (!p.default_policy_hash.empty() &&
          (d == nullptr || d->hash != p.default_policy_hash)) {
        item.note = "the default here differs from the archive's default";
      }
      view.policies.push_back(std::move(item));
      continue;
    }
    auto bad = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy ", type, ": ", what));
    };
    absl::StatusOr<control::PolicyDocument> doc =
        control::DecodePolicyDocument(p.jws);
    if (!doc.ok()) return bad(absl::StrCat("jws: ", doc.status().message()));
    if (doc->is_reset()) return bad("jws: empty payload (a reset)");
    if (doc->token_hash() != p.token_hash) {
      return bad("token_hash does not match the JWS");
    }
    const control::PolicySigner* signer =
        doc->signer().has_value() ? &*doc->signer() : nullptr;
    item.signer_thumbprint = signer == nullptr ? "" : signer->thumbprint();
    if (item.signer_thumbprint != p.signer_thumbprint) {
      return bad("signer_thumbprint does not match the JWS's signer");
    }
    if (isolated) {
      RETURN_IF_ERROR(
          RequireTrustedSigner(signer, absl::StrCat("policy ", type)));
    }
    absl::StatusOr<std::shared_ptr<const ActivePolicy>> compiled =
        policies_->Compile(type, doc->policy_text(),
                           absl::StrCat(type, ".policy"), now);
    if (!compiled.ok()) return bad(compiled.status().message());
    if ((*compiled)->hash != p.policy_hash) {
      return bad("policy_hash does not match the policy in the JWS");
    }
    item.to_hash = (*compiled)->hash;
    auto it = current.find(type);
    const bool same = it != current.end() && !it->second.change.is_reset() &&
                      it->second.change.jws == p.jws;
    if (!same) {
      item.action = ImportAction::kSet;
      store::PolicyChange change;
      change.attestation_type = type;
      change.policy_text = doc->policy_text();
      change.jws = p.jws;
      change.policy_hash = (*compiled)->hash;
      change.token_hash = doc->token_hash();
      if (signer != nullptr) change.signer_thumbprint = signer->thumbprint();
      change.actor = actor;
      change.time = now;
      batch->policies.push_back(
          {change, it == current.end() ? 0 : it->second.version});
      token::Json detail = token::Json::object();
      detail["import"] = archive.sha256;
      detail["token_hash"] = change.token_hash;
      if (signer != nullptr) detail["signer"] = signer->thumbprint();
      store::AuditEvent e = Event(caller, AuditAction::kPolicySet, type,
                                  AuditResult::kSuccess, detail.dump());
      e.policy_hash = change.policy_hash;
      batch->audit.push_back(std::move(e));
    }
    view.policies.push_back(std::move(item));
  }
  // Managed here, absent from the archive: the archive's state is that the
  // type runs its default.
  for (const auto& [type, v] : current) {
    if (listed.count(type) != 0) continue;
    PolicyImportItem item;
    item.attestation_type = type;
    item.from_hash = hash_in_force(type);
    item.to_hash = item.from_hash;
    RETURN_IF_ERROR(plan_reset(type, &item));
    if (item.action != ImportAction::kUnchanged) {
      item.note = "not in the archive";
      view.policies.push_back(std::move(item));
    }
  }

  if (options_.trust_material) {
    ASSIGN_OR_RETURN(TrustMaterial mine, options_.trust_material());
    std::vector<ArchivedCertificate> ek, signers;
    for (const std::string& der : mine.ek_roots) {
      ek.push_back(ArchiveCertificate(der));
    }
    for (const std::string& der : mine.policy_signers) {
      signers.push_back(ArchiveCertificate(der));
    }
    TrustOnlyIn(archive.ek_roots, ek, "ek_root", true, &view.trust);
    TrustOnlyIn(ek, archive.ek_roots, "ek_root", false, &view.trust);
    TrustOnlyIn(archive.policy_signers, signers, "policy_signer", true,
                &view.trust);
    TrustOnlyIn(signers, archive.policy_signers, "policy_signer", false,
                &view.trust);
  }
  return view;
}

absl::StatusOr<ImportView> PolicyManager::ImportPolicies(
    const Caller& caller, absl::string_view archive_text, bool dry_run) {
  const AuditAction action = AuditAction::kPolicyImport;
  RETURN_IF_ERROR(Require(caller, Role::kContributor, action, ""));
  if (options_.mode == Mode::kOpen) {
    return Refuse(caller, action, "",
                  absl::PermissionDeniedError(
                      "open mode: every attestation type runs its default "
                      "policy; imports are refused"));
  }
  absl::StatusOr<PolicyArchive> archive = DecodePolicyArchive(archive_text);
  if (!archive.ok()) {
    return Refuse(caller, action, "",
                  absl::InvalidArgumentError(
                      absl::StrCat("archive: ", archive.status().message())));
  }
  store::ChangeBatch batch;
  absl::StatusOr<ImportView> view = PlanImport(caller, *archive, &batch);
  if (!view.ok()) return Refuse(caller, action, "", view.status());
  if (dry_run) return view;

  token::Json detail = token::Json::object();
  detail["sha256"] = archive->sha256;
  detail["exported_by"] = archive->exported_by;
  detail["issuer"] = archive->issuer;
  detail["policy_changes"] = batch.policies.size();
  detail["certificates_added"] = batch.certificates.size();
  batch.audit.push_back(
      Event(caller, action, "", AuditResult::kSuccess, detail.dump()));
  absl::StatusOr<std::vector<store::PolicyVersion>> applied =
      store_->ApplyBatch(batch);
  if (!applied.ok()) return Refuse(caller, action, "", applied.status());
  view->applied = true;
  for (const store::PolicyVersion& v : *applied) {
    for (PolicyImportItem& item : view->policies) {
      if (item.attestation_type == v.change.attestation_type) {
        item.version = v.version;
      }
    }
  }
  // In force here at once (other replicas follow through their own Sync).
  RETURN_IF_ERROR(Sync());
  return view;
}

absl::Status PolicyManager::Sync() {
  ASSIGN_OR_RETURN(std::vector<store::PolicyVersion> current,
                   store_->CurrentPolicies());
  absl::MutexLock lock(&sync_mu_);
  std::vector<std::string> errors;
  for (const store::PolicyVersion& v : current) {
    const std::string& type = v.change.attestation_type;
    auto it = synced_.find(type);
    if (it != synced_.end() && it->second >= v.version) continue;
    if (v.change.is_reset()) {
      policies_->Reset(type, clock_.Now());
    } else if (absl::Status s =
                   policies_->Set(type, *v.change.policy_text,
                                  StoreSource(v.version), clock_.Now());
               !s.ok()) {
      errors.push_back(absl::StrCat(type, " v", v.version, ": ", s.message()));
      continue;
    }
    synced_[type] = v.version;
  }
  if (!errors.empty()) {
    return absl::InternalError(absl::StrCat(
        "stored policies not put in force (the previous ones stay): ",
        absl::StrJoin(errors, "; ")));
  }
  return absl::OkStatus();
}

}  // namespace vigil::service::admin
