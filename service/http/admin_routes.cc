#include "service/http/admin_routes.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "httplib.h"
#include "service/token/json.h"

namespace vigil::service {
namespace {

using token::Json;

// The HTTP status and Azure error code of a canonical code.
std::pair<int, const char*> HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return {400, "InvalidParameter"};
    case absl::StatusCode::kUnauthenticated:
      return {401, "Unauthorized"};
    case absl::StatusCode::kPermissionDenied:
      return {403, "Forbidden"};
    case absl::StatusCode::kNotFound:
      return {404, "NotFound"};
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
      return {409, "Conflict"};
    case absl::StatusCode::kResourceExhausted:
      return {413, "PayloadTooLarge"};
    case absl::StatusCode::kUnimplemented:
      return {501, "NotImplemented"};
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return {503, "ServiceUnavailable"};
    default:
      return {500, "InternalServerError"};
  }
}

// Policy compiler errors come as several lines (the error with LINE:COL,
// the source line, a caret under the column): an HTTP error message is one
// line, so they are joined, without the carets (meaningless out of line).
std::string OneLine(absl::string_view message) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(message, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() ||
        line.find_first_not_of("^~") == absl::string_view::npos) {
      continue;
    }
    lines.emplace_back(line);
  }
  return absl::StrJoin(lines, " | ");
}

void WriteJson(int status, const Json& body, httplib::Response& res) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(), "application/json");
}

void WriteToken(const std::string& token, httplib::Response& res) {
  Json body = Json::object();
  body["token"] = token;
  WriteJson(200, body, res);
}

// "ipv4:10.0.0.7:51234" / "ipv6:[::1]:51234", as gRPC names its peers, so
// audit records read the same whichever front end took the call.
std::string SourceOf(const httplib::Request& req) {
  const bool v6 = req.remote_addr.find(':') != std::string::npos;
  return absl::StrCat(v6 ? "ipv6:[" : "ipv4:", req.remote_addr, v6 ? "]" : "",
                      ":", req.remote_port);
}

// The client certificate of a TLS connection, as PEM; the handshake has
// verified it against the configured client CA (SSL_VERIFY_PEER), and a
// connection whose certificate failed did not get this far.
std::string ClientCertificatePem(const httplib::Request& req) {
  if (req.ssl == nullptr) return "";
  const X509* cert = SSL_get0_peer_certificate(req.ssl);
  if (cert == nullptr || SSL_get_verify_result(req.ssl) != X509_V_OK) {
    return "";
  }
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem;
  if (bio != nullptr && PEM_write_bio_X509(bio, cert) == 1) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    if (n > 0) pem.assign(data, static_cast<size_t>(n));
  }
  BIO_free(bio);
  return pem;
}

auth::Credentials CredentialsOf(const httplib::Request& req) {
  auth::Credentials c;
  c.source = SourceOf(req);
  if (req.has_header("Authorization")) {
    c.authorization = req.get_header_value("Authorization");
  }
  c.client_certificate_pem = ClientCertificatePem(req);
  return c;
}

absl::Status CheckApiVersion(const httplib::Request& req) {
  if (!req.has_param("api-version")) return absl::OkStatus();
  const std::string v = req.get_param_value("api-version");
  for (const char* known : kAdminApiVersions) {
    if (v == known) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("api-version: got \"", v, "\", want ",
                   absl::StrJoin(kAdminApiVersions, ", "), " or none"));
}

// The JWS a PUT or POST carries: the body as text (Azure's text/plain), or
// a JSON string literal (what Azure's certificate routes take).
// kInvalidArgument for an empty body or other JSON, kResourceExhausted over the
// limit.
absl::StatusOr<std::string> JwsOfBody(const httplib::Request& req) {
  if (req.body.size() > kMaxAdminBodyBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "body: ", req.body.size(), " bytes, limit ", admin::kMaxAdminJwsBytes));
  }
  std::string jws(absl::StripAsciiWhitespace(req.body));
  if (!jws.empty() &&
      (jws.front() == '"' || jws.front() == '{' || jws.front() == '[')) {
    const Json parsed = Json::parse(jws, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_string()) {
      return absl::InvalidArgumentError(
          "body: want the JWS as text or as a JSON string");
    }
    jws = parsed.get<std::string>();
  }
  if (jws.size() > admin::kMaxAdminJwsBytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("body: JWS of ", jws.size(), " bytes, limit ",
                     admin::kMaxAdminJwsBytes));
  }
  if (jws.empty()) {
    return absl::InvalidArgumentError("body: missing (want the JWS)");
  }
  return jws;
}

// One admin route's handler.
using AdminHandler = absl::Status (*)(admin::PolicyManager& manager,
                                      const auth::Caller& caller,
                                      const httplib::Request& req,
                                      httplib::Response& res);

// Authenticates (auditing a refusal), checks api-version, runs `handler`,
// and writes any failure as the endpoint's error answer.
httplib::Server::Handler Guarded(const AdminApi& api, std::string call,
                                 AdminHandler handler) {
  return [api, call = std::move(call), handler](const httplib::Request& req,
                                                httplib::Response& res) {
    const auth::Credentials credentials = CredentialsOf(req);
    absl::StatusOr<auth::Caller> caller = admin::AuthenticateAudited(
        *api.manager, *api.authenticator, credentials, call);
    if (!caller.ok()) {
      // RFC 6750 §3: say which scheme, and that a presented token failed.
      res.set_header("WWW-Authenticate",
                     credentials.authorization.has_value()
                         ? "Bearer realm=\"vigil\", error=\"invalid_token\""
                         : "Bearer realm=\"vigil\"");
      WriteErrorResponse(caller.status(), res);
      return;
    }
    absl::Status s = CheckApiVersion(req);
    if (s.ok()) s = handler(*api.manager, *caller, req, res);
    if (!s.ok()) WriteErrorResponse(s, res);
  };
}

// The attestation type in the path (the route's first group); the manager
// checks its characters.
absl::StatusOr<std::string> TypeOf(const httplib::Request& req) {
  std::string type = req.matches.size() > 1 ? req.matches[1].str() : "";
  if (absl::Status s = admin::CheckAttestationTypeSize(type); !s.ok()) {
    return s;
  }
  return type;
}

absl::StatusOr<int64_t> LimitOf(const httplib::Request& req) {
  if (!req.has_param("limit")) return 50;
  const std::string v = req.get_param_value("limit");
  int64_t limit = 0;
  if (!absl::SimpleAtoi(v, &limit) || limit < 1 || limit > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit: got \"", v, "\", want 1 to 1000"));
  }
  return limit;
}

// The handlers: each takes the authenticated caller, converts the request,
// calls the manager and writes its answer.

absl::Status GetPolicy(admin::PolicyManager& m, const auth::Caller& caller,
                       const httplib::Request& req, httplib::Response& res) {
  ASSIGN_OR_RETURN(const std::string type, TypeOf(req));
  ASSIGN_OR_RETURN(const admin::PolicyView v, m.GetPolicy(caller, type));
  WriteToken(v.token, res);
  return absl::OkStatus();
}

// PUT /policies/{type} and POST /policies/{type}:reset.
template <bool kReset>
absl::Status ChangePolicy(admin::PolicyManager& m, const auth::Caller& caller,
                          const httplib::Request& req, httplib::Response& res) {
  ASSIGN_OR_RETURN(const std::string type, TypeOf(req));
  ASSIGN_OR_RETURN(const std::string jws, JwsOfBody(req));
  ASSIGN_OR_RETURN(const admin::PolicyChangeView v,
                   kReset ? m.ResetPolicy(caller, type, jws)
                          : m.SetPolicy(caller, type, jws));
  WriteToken(v.token, res);
  return absl::OkStatus();
}

// Vigil's: the field names of vigil.v1.PolicyHistoryEntry in proto3's JSON
// mapping, so REST and gRPC clients read the same records.
absl::Status GetPolicyHistory(admin::PolicyManager& m,
                              const auth::Caller& caller,
                              const httplib::Request& req,
                              httplib::Response& res) {
  ASSIGN_OR_RETURN(const std::string type, TypeOf(req));
  ASSIGN_OR_RETURN(const int64_t limit, LimitOf(req));
  ASSIGN_OR_RETURN(const std::vector<store::PolicyVersion> history,
                   m.PolicyHistory(caller, type, limit));
  Json entries = Json::array();
  for (const store::PolicyVersion& v : history) {
    entries.push_back(
        {{"version", v.version},
         {"isReset", v.change.is_reset()},
         {"policyHash", v.change.policy_hash},
         {"tokenHash", v.change.token_hash},
         {"signerThumbprint", v.change.signer_thumbprint.value_or("")},
         {"actor", v.change.actor.identity},
         {"role", std::string(auth::RoleName(v.change.actor.role))},
         {"timeUnix", absl::ToUnixSeconds(v.change.time)}});
  }
  WriteJson(200, Json{{"entries", std::move(entries)}}, res);
  return absl::OkStatus();
}

absl::Status ListCertificates(admin::PolicyManager& m,
                              const auth::Caller& caller,
                              const httplib::Request&, httplib::Response& res) {
  ASSIGN_OR_RETURN(const admin::CertificateListView list,
                   m.ListCertificates(caller));
  WriteToken(list.token, res);
  return absl::OkStatus();
}

// POST /certificates:add and /certificates:remove.
template <bool kAdd>
absl::Status ChangeCertificate(admin::PolicyManager& m,
                               const auth::Caller& caller,
                               const httplib::Request& req,
                               httplib::Response& res) {
  ASSIGN_OR_RETURN(const std::string jws, JwsOfBody(req));
  ASSIGN_OR_RETURN(
      const admin::CertificateChangeView v,
      kAdd ? m.AddCertificate(caller, jws) : m.RemoveCertificate(caller, jws));
  WriteToken(v.token, res);
  return absl::OkStatus();
}

// POST /policies/{type}:dryrun (Vigil's): a JSON body with the candidate
// ("policy": text, or "policyJws") and what to evaluate it over ("claims":
// `vigilctl policy eval`'s claims array, or "deviceId": the claims that
// device last attested with). Answers with the decision, the issued
// claims, the trace, the policy in force's decision on the same input and,
// for a device, where its claims came from (vigil.v1.DryRunResult in
// proto3's JSON mapping).
absl::Status DryRunPolicy(admin::PolicyManager& m, const auth::Caller& caller,
                          const httplib::Request& req, httplib::Response& res) {
  if (req.body.size() > kMaxAdminBodyBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "body: ", req.body.size(), " bytes, limit ", kMaxAdminBodyBytes));
  }
  const Json body = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    return absl::InvalidArgumentError(
        "body: want a JSON object {\"policy\" or \"policyJws\", \"claims\" or "
        "\"deviceId\"}");
  }
  admin::DryRunFields f;
  ASSIGN_OR_RETURN(f.attestation_type, TypeOf(req));
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& key = it.key();
    if (key == "claims") {
      if (!it->is_array()) {
        return absl::InvalidArgumentError("claims: want a JSON array");
      }
      f.claims_json = it->dump();
      continue;
    }
    if (!it->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(key, ": want a JSON string"));
    }
    if (key == "policy") {
      f.policy_text = it->get<std::string>();
    } else if (key == "policyJws") {
      f.policy_jws = it->get<std::string>();
    } else if (key == "deviceId") {
      f.device_id = it->get<std::string>();
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          key, ": unknown field (want policy, policyJws, claims, deviceId)"));
    }
  }
  ASSIGN_OR_RETURN(const admin::DryRunView d, admin::RunDryRun(m, caller, f));
  Json answer{
      {"permitted", d.permitted},
      {"reason", d.reason},
      {"issued", Json::parse(d.issued_json.empty() ? "{}" : d.issued_json,
                             nullptr, false)},
      {"trace",
       Json::parse(d.trace_json.empty() ? "[]" : d.trace_json, nullptr, false)},
      {"current",
       {{"permitted", d.current_permitted}, {"reason", d.current_reason}}}};
  if (d.source.has_value()) {
    const admin::ClaimsSource& from = *d.source;
    answer["source"] = {
        {"deviceId", from.device_id},
        {"attestedUnix", absl::ToUnixSeconds(from.attested_at)},
        {"permitted", from.permitted},
        {"policyHash", from.policy_hash},
        {"latest", from.latest},
        {"latestUnix", absl::ToUnixSeconds(from.latest_at)},
        {"claimsSinceUnix", absl::ToUnixSeconds(from.claims_since)},
        {"omittedClaims", from.omitted},
        {"rebuiltClaims", from.rebuilt},
        {"omittedClaimsRead", from.omitted_read},
        {"omittedClaimsReadByCurrent", from.omitted_read_by_current}};
  }
  WriteJson(200, answer, res);
  return absl::OkStatus();
}

// GET /audit (Vigil's): the audit trail, filtered as `vigilctl audit`:
// since, until (Unix seconds), actor, action, type, result, limit (1 to
// 10000, default 100), after (the paging cursor), order=oldest|newest.
// Field names as vigil.v1.AuditEvent in proto3's JSON mapping.
absl::Status QueryAudit(admin::PolicyManager& m, const auth::Caller& caller,
                        const httplib::Request& req, httplib::Response& res) {
  admin::AuditQueryFields f;
  auto number = [&req](const char* name, int64_t* out) -> absl::Status {
    if (!req.has_param(name)) return absl::OkStatus();
    const std::string v = req.get_param_value(name);
    if (!absl::SimpleAtoi(v, out)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": got \"", v, "\", want an integer"));
    }
    return absl::OkStatus();
  };
  auto text = [&req](const char* name, std::string* out) {
    if (req.has_param(name)) *out = req.get_param_value(name);
  };
  RETURN_IF_ERROR(number("since", &f.since_unix));
  RETURN_IF_ERROR(number("until", &f.until_unix));
  RETURN_IF_ERROR(number("limit", &f.limit));
  RETURN_IF_ERROR(number("after", &f.after_id));
  if (req.has_param("limit") && f.limit == 0) {
    return absl::InvalidArgumentError("limit: got 0, want 1 to 10000");
  }
  text("actor", &f.actor);
  text("action", &f.action);
  text("type", &f.attestation_type);
  text("result", &f.result);
  if (req.has_param("order")) {
    const std::string order = req.get_param_value("order");
    if (order != "oldest" && order != "newest") {
      return absl::InvalidArgumentError(absl::StrCat(
          "order: got \"", order, "\", want \"oldest\" or \"newest\""));
    }
    f.oldest_first = order == "oldest";
  }
  ASSIGN_OR_RETURN(const store::AuditQuery q, admin::MakeAuditQuery(f));
  ASSIGN_OR_RETURN(const std::vector<store::AuditEntry> found,
                   m.QueryAudit(caller, q));
  Json events = Json::array();
  for (const store::AuditEntry& e : found) {
    events.push_back(
        {{"id", e.id},
         {"timeUnix", absl::ToUnixSeconds(e.event.time)},
         {"actor", e.event.actor.identity},
         {"role", std::string(auth::RoleName(e.event.actor.role))},
         {"source", e.event.source_address},
         {"action", std::string(store::AuditActionName(e.event.action))},
         {"attestationType", e.event.attestation_type},
         {"policyHash", e.event.policy_hash},
         {"result", std::string(store::AuditResultName(e.event.result))},
         {"detailJson", e.event.detail_json}});
  }
  Json body{{"events", std::move(events)}};
  if (std::optional<int64_t> next = admin::NextAuditCursor(q, found)) {
    body["nextAfterId"] = *next;
  }
  WriteJson(200, body, res);
  return absl::OkStatus();
}

// GET /policies:export (Vigil's): the backup archive (policy_archive.h) as
// the body, its checksum in X-Vigil-Archive-Sha256.
absl::Status ExportPolicies(admin::PolicyManager& m, const auth::Caller& caller,
                            const httplib::Request&, httplib::Response& res) {
  ASSIGN_OR_RETURN(const admin::ExportView v, m.ExportPolicies(caller));
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Vigil-Archive-Sha256", v.sha256);
  res.set_content(v.archive, "application/json");
  return absl::OkStatus();
}

// POST /policies:import[?dryRun=true] (Vigil's): restores an archive, all
// or nothing, under the mode's rules; answers with the plan, field names as
// vigil.v1.PolicyImport in proto3's JSON mapping.
absl::Status ImportPolicies(admin::PolicyManager& m, const auth::Caller& caller,
                            const httplib::Request& req,
                            httplib::Response& res) {
  bool dry_run = false;
  if (req.has_param("dryRun")) {
    const std::string v = req.get_param_value("dryRun");
    if (v != "true" && v != "false") {
      return absl::InvalidArgumentError(
          absl::StrCat("dryRun: got \"", v, "\", want true or false"));
    }
    dry_run = v == "true";
  }
  if (absl::StripAsciiWhitespace(req.body).empty()) {
    return absl::InvalidArgumentError("body: missing (want the archive)");
  }
  ASSIGN_OR_RETURN(const admin::ImportView v,
                   m.ImportPolicies(caller, req.body, dry_run));
  Json policies = Json::array();
  for (const admin::PolicyImportItem& i : v.policies) {
    policies.push_back(
        {{"attestationType", i.attestation_type},
         {"action", std::string(admin::ImportActionName(i.action))},
         {"fromPolicyHash", i.from_hash},
         {"toPolicyHash", i.to_hash},
         {"version", i.version},
         {"signerThumbprint", i.signer_thumbprint},
         {"note", i.note}});
  }
  Json certificates = Json::array();
  for (const admin::CertificateImportItem& c : v.certificates) {
    certificates.push_back(
        {{"thumbprint", c.thumbprint},
         {"subject", c.subject},
         {"plan", std::string(admin::CertificatePlanName(c.plan))}});
  }
  Json trust = Json::array();
  for (const admin::TrustDifference& t : v.trust) {
    trust.push_back({{"kind", t.kind},
                     {"thumbprint", t.thumbprint},
                     {"subject", t.subject},
                     {"archiveOnly", t.archive_only}});
  }
  WriteJson(200,
            Json{{"archiveSha256", v.archive_sha256},
                 {"archiveMode", v.archive_mode},
                 {"archiveIssuer", v.archive_issuer},
                 {"applied", v.applied},
                 {"policies", std::move(policies)},
                 {"certificates", std::move(certificates)},
                 {"trust", std::move(trust)}},
            res);
  return absl::OkStatus();
}

// A route and the methods it answers; the others get 405 with Allow.
struct Route {
  std::string pattern;
  std::vector<std::string> methods;
};

void RegisterMethodNotAllowed(httplib::Server& server, const Route& route) {
  const std::string allow = absl::StrJoin(route.methods, ", ");
  auto allowed = [&route](absl::string_view m) {
    for (const std::string& have : route.methods) {
      if (have == m) return true;
    }
    return false;
  };
  auto refuse = [allow](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Allow", allow);
    WriteJson(
        405,
        Json{{"error",
              {{"code", "MethodNotAllowed"},
               {"message", absl::StrCat(req.method, " ", req.path,
                                        ": not allowed; allowed: ", allow)}}}},
        res);
  };
  if (!allowed("GET")) server.Get(route.pattern, refuse);
  if (!allowed("PUT")) server.Put(route.pattern, refuse);
  if (!allowed("POST")) server.Post(route.pattern, refuse);
  if (!allowed("PATCH")) server.Patch(route.pattern, refuse);
  if (!allowed("DELETE")) server.Delete(route.pattern, refuse);
  server.Options(route.pattern,
                 [allow](const httplib::Request&, httplib::Response& res) {
                   res.set_header("Allow", allow + ", OPTIONS");
                   res.status = 204;
                 });
}

}  // namespace

void WriteErrorResponse(const absl::Status& status, httplib::Response& res) {
  const auto [http_status, code] = HttpStatusOf(status.code());
  std::string message = OneLine(status.message());
  if (http_status == 500) {
    std::cerr << "vigil-verifier: internal error: " << status.message() << "\n";
    message = "internal error in the verifier (logged)";
  }
  if (http_status == 503) res.set_header("Retry-After", "1");
  WriteErrorResponse(http_status, code, message, res);
}

void WriteErrorResponse(int http_status, absl::string_view code,
                        absl::string_view message, httplib::Response& res) {
  WriteJson(
      http_status,
      Json{{"error",
            {{"code", std::string(code)}, {"message", std::string(message)}}}},
      res);
}

void RegisterAdminRoutes(httplib::Server& server, const AdminApi& api) {
  const std::string type = "/policies/([^/:]+)";
  server.Get(type, Guarded(api, "GetPolicy", GetPolicy));
  server.Put(type, Guarded(api, "SetPolicy", ChangePolicy<false>));
  server.Post(type + ":reset", Guarded(api, "ResetPolicy", ChangePolicy<true>));
  server.Get(type + "/history",
             Guarded(api, "GetPolicyHistory", GetPolicyHistory));
  server.Get("/certificates",
             Guarded(api, "ListPolicyCertificates", ListCertificates));
  server.Post("/certificates:add",
              Guarded(api, "AddPolicyCertificate", ChangeCertificate<true>));
  server.Post("/certificates:remove", Guarded(api, "RemovePolicyCertificate",
                                              ChangeCertificate<false>));
  server.Post(type + ":dryrun", Guarded(api, "DryRunPolicy", DryRunPolicy));
  server.Get("/audit", Guarded(api, "QueryAudit", QueryAudit));
  server.Get("/policies:export",
             Guarded(api, "ExportPolicies", ExportPolicies));
  server.Post("/policies:import",
              Guarded(api, "ImportPolicies", ImportPolicies));
  for (const Route& r : std::vector<Route>{{type, {"GET", "PUT"}},
                                           {type + ":reset", {"POST"}},
                                           {type + "/history", {"GET"}},
                                           {"/certificates", {"GET"}},
                                           {"/certificates:add", {"POST"}},
                                           {"/certificates:remove", {"POST"}},
                                           {type + ":dryrun", {"POST"}},
                                           {"/audit", {"GET"}},
                                           {"/policies:export", {"GET"}},
                                           {"/policies:import", {"POST"}}}) {
    RegisterMethodNotAllowed(server, r);
  }
}

}  // namespace vigil::service
