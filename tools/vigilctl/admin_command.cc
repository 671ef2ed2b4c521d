#include "tools/vigilctl/admin_command.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/encoding.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "policy/claim.h"
#include "service/admin/policy_archive.h"
#include "service/control/certificate_jwk.h"
#include "service/control/management_jws.h"
#include "service/token/x509_certificate.h"
#include "tools/vigilctl/admin_client.h"
#include "tools/vigilctl/args.h"
#include "tools/vigilctl/json_util.h"
#include "tools/vigilctl/output.h"
#include "tools/vigilctl/policy_signing.h"

namespace vigil::vigilctl {
namespace {

using json = nlohmann::ordered_json;

#define VIGILCTL_CONNECTION_USAGE                                              \
  "  every command: [--admin ADDR] [--ca PEM] [--client-cert PEM "             \
  "--client-key PEM]\n"                                                        \
  "    [--bearer-token-file FILE] [--timeout 30s] [--format yaml|json]\n"      \
  "    --admin: default $VIGIL_ADMIN, else "                                   \
  "unix:/run/vigil-verifier/admin.sock; a\n"                                   \
  "    host:port that is not loopback needs TLS (--ca). The bearer token\n"    \
  "    (OIDC) is sent as \"authorization: Bearer ...\", never printed.\n"      \
  "  exit: 0 done, 2 usage or bad input (nothing sent), 3 refused by the\n"    \
  "    service (PERMISSION_DENIED, UNAUTHENTICATED), 4 the service says the\n" \
  "    request is invalid (INVALID_ARGUMENT, FAILED_PRECONDITION, ABORTED,\n"  \
  "    NOT_FOUND), 69 the service is unreachable (UNAVAILABLE,\n"              \
  "    DEADLINE_EXCEEDED), 1 other\n"

constexpr char kPolicyUsage[] =
    "usage: vigilctl policy get [--type Tpm] [--jws]\n"
    "       vigilctl policy set FILE --type TYPE [--key KEY.pem --cert "
    "CHAIN.pem]\n"
    "                [--expected-version N]\n"
    "       vigilctl policy reset --type TYPE [--key KEY.pem --cert "
    "CHAIN.pem]\n"
    "       vigilctl policy history --type TYPE [--limit N]\n"
    "       vigilctl policy dry-run FILE (--claims CLAIMS.json | --device "
    "ID)\n"
    "                [--type Tpm] [--explain]\n"
    "       vigilctl policy export [--out FILE]\n"
    "       vigilctl policy import FILE [--dry-run] [--trust-dir DIR]\n"
    "  get prints the policy in force (--jws: only the JWS as set); set "
    "sends\n"
    "  FILE as it is when it holds a JWS (`vigilctl policy sign`), else its\n"
    "  text, signed with --key/--cert or unsigned; --expected-version: only\n"
    "  if the type's version is still N (0: never set). dry-run evaluates\n"
    "  FILE over the claims (`policy eval`'s format), or over the claims the\n"
    "  device ID last attested with, without installing it, beside the\n"
    "  policy in force; --explain adds the trace.\n"
    "  export writes every policy, policy-management certificate and the\n"
    "  configuration's public trust material as one archive (stdout, or\n"
    "  FILE); import restores one, all or nothing, and prints each change\n"
    "  (--dry-run: what would change); --trust-dir DIR (new or empty) gets\n"
    "  the archive's trust certificates for the operator to install.\n"
    "  offline: vigilctl policy check | eval | hash | "
    "sign\n" VIGILCTL_CONNECTION_USAGE;

constexpr char kCertsUsage[] =
    "usage: vigilctl policy-certs list\n"
    "       vigilctl policy-certs add CERT.pem --key SIGNER.key --cert "
    "SIGNER_CHAIN.pem\n"
    "       vigilctl policy-certs remove CERT.pem --key SIGNER.key --cert "
    "SIGNER_CHAIN.pem\n"
    "       vigilctl policy-certs add|remove --jws FILE\n"
    "  add/remove send the change signed by a policy-management certificate\n"
    "  (or FILE, as `vigilctl policy-certs make-change` writes it).\n"
    "  offline: vigilctl policy-certs make-change\n" VIGILCTL_CONNECTION_USAGE;

constexpr char kAuditUsage[] =
    "usage: vigilctl audit [--since TIME] [--until TIME] [--actor ID] "
    "[--action ACTION]\n"
    "                [--type TYPE] [--result success|denied|failure] "
    "[--limit N]\n"
    "                [--after-id ID] [--oldest-first] [--all]\n"
    "  TIME: RFC 3339 (2026-11-01T00:00:00Z) or a time ago (-1h, -30m, "
    "-7d).\n"
    "  ACTION: policy_set, policy_reset, cert_add, cert_remove, "
    "attestation,\n"
    "  enroll, auth_denied, audit_read, policy_export, policy_import.\n"
    "  Newest first, --limit events (default 100, at most 10000); "
    "--all pages\n"
    "  through every match, --limit at a time; otherwise next_after_id, "
    "when\n"
    "  printed, continues with --after-id.\n" VIGILCTL_CONNECTION_USAGE;

#undef VIGILCTL_CONNECTION_USAGE

// Flags every command takes: how to reach the service and how to print.
std::set<std::string> WithConnectionFlags(std::set<std::string> flags) {
  flags.insert({"admin", "ca", "client-cert", "client-key", "bearer-token-file",
                "timeout", "format"});
  return flags;
}

struct Session {
  AdminClient client;
  bool json_output = false;
};

// The client the connection flags describe; kInvalidArgument naming the
// flag.
absl::StatusOr<Session> Connect(const ParsedArgs& args) {
  const std::string format = args.Value("format").value_or("yaml");
  if (format != "yaml" && format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("--format: want yaml or json, got \"", format, "\""));
  }
  AdminClientOptions options;
  if (std::optional<std::string> admin = args.Value("admin")) {
    options.target = *admin;
  } else if (const char* env = std::getenv("VIGIL_ADMIN");
             env != nullptr && *env != '\0') {
    options.target = env;
  }
  options.ca_file = args.Value("ca").value_or("");
  options.client_cert_file = args.Value("client-cert").value_or("");
  options.client_key_file = args.Value("client-key").value_or("");
  options.bearer_token_file = args.Value("bearer-token-file").value_or("");
  if (std::optional<std::string> t = args.Value("timeout")) {
    if (!absl::ParseDuration(*t, &options.timeout)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--timeout: want a duration such as 30s or 2m, got \"", *t, "\""));
    }
  }
  absl::StatusOr<AdminClient> client = AdminClient::Create(options);
  if (!client.ok()) return client.status();
  return Session{*std::move(client), format == "json"};
}

void Print(const Session& session, const json& value) {
  std::cout << (session.json_output ? ToJson(value) : ToYaml(value));
}

int BadInput(const absl::Status& status) {
  return FailWith(kExitBadInput, status.message());
}

int ServiceFailure(const absl::Status& status) {
  return FailWith(ExitCodeForServiceStatus(status.code()), status.message());
}

// --type: [A-Za-z][A-Za-z0-9]{0,31} (admin_service.proto); "Tpm" when not
// required and not given.
absl::StatusOr<std::string> AttestationType(const ParsedArgs& args,
                                            bool required) {
  std::optional<std::string> type = args.Value("type");
  if (!type.has_value()) {
    if (required) {
      return absl::InvalidArgumentError(
          "--type is required (the attestation type: Tpm, VbsEnclave, ...)");
    }
    return std::string("Tpm");
  }
  bool ok = !type->empty() && type->size() <= 32 &&
            absl::ascii_isalpha(static_cast<unsigned char>((*type)[0]));
  for (char c : *type) {
    ok = ok && absl::ascii_isalnum(static_cast<unsigned char>(c));
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--type: want an attestation type such as Tpm ([A-Za-z][A-Za-z0-9]"
        "{0,31}), got \"",
        *type, "\""));
  }
  return *type;
}

// A whole number of `flag` in [min, max]; nullopt when the flag is absent.
absl::StatusOr<std::optional<int64_t>> Count(const ParsedArgs& args,
                                             const std::string& flag,
                                             int64_t min, int64_t max) {
  std::optional<std::string> text = args.Value(flag);
  if (!text.has_value()) return std::optional<int64_t>();
  int64_t n = 0;
  if (!absl::SimpleAtoi(*text, &n) || n < min || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": want a whole number from ", min, " to ",
                     max, ", got \"", *text, "\""));
  }
  return std::optional<int64_t>(n);
}

// RFC 3339 in UTC with "Z", as --since takes it; null for 0 (unset).
json TimeJson(int64_t unix_seconds) {
  if (unix_seconds == 0) return nullptr;
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

// JSON text from the service as a value; the text itself when it is not
// JSON; null when empty.
json Embedded(const std::string& text) {
  if (text.empty()) return nullptr;
  absl::StatusOr<json> parsed = ParseJson(text);
  return parsed.ok() ? *std::move(parsed) : json(text);
}

// x-ms-policy-signer (a JWK with x5c) as {alg, thumbprint}; the JWK itself
// when its certificate cannot be read; null when unsigned.
json Signer(const std::string& jwk_json) {
  json jwk = Embedded(jwk_json);
  if (!jwk.is_object() || !jwk.contains("x5c") || !jwk["x5c"].is_array() ||
      jwk["x5c"].empty()) {
    return jwk;
  }
  absl::StatusOr<token::X509Certificate> leaf =
      control::CertificateFromX5c(jwk["x5c"][0]);
  if (!leaf.ok()) return jwk;
  json out = json::object();
  out["alg"] = jwk.value("alg", "");
  out["thumbprint"] = control::CertificateThumbprint(*leaf);
  return out;
}

// Prints a set or reset's answer; the service's x-ms-policy-token-hash must
// be the hash of the JWS sent, or the service did not act on it.
int PrintChange(const Session& session, const v1::PolicyChange& change,
                const std::string& jws_sent) {
  json out = json::object();
  out["attestation_type"] = change.attestation_type();
  out["result"] = change.result();
  out["version"] = change.version();
  out["policy_hash"] = change.policy_hash();
  out["token_hash"] = change.token_hash();
  out["signer"] = Signer(change.signer_jwk_json());
  Print(session, out);
  const std::string sent_hash = control::PolicyTokenHash(jws_sent);
  if (change.token_hash() != sent_hash) {
    return FailWith(
        kExitInternal,
        absl::StrCat("the service reports token hash \"", change.token_hash(),
                     "\" but the JWS sent hashes to \"", sent_hash, "\""));
  }
  return kExitOk;
}

int PolicyGet(const ParsedArgs& args) {
  absl::StatusOr<std::string> type = AttestationType(args, false);
  if (!type.ok()) return BadInput(type.status());
  absl::StatusOr<Session> session = Connect(args);
  if (!session.ok()) return BadInput(session.status());
  v1::GetPolicyRequest request;
  request.set_attestation_type(*type);
  absl::StatusOr<v1::PolicyDocument> doc = session->client.GetPolicy(request);
  if (!doc.ok()) return ServiceFailure(doc.status());
  if (args.Has("jws")) {
    if (doc->policy_jws().empty()) {
      std::cerr << "vigilctl: " << *type
                << " runs its default policy; no JWS was set\n";
      return kExitOk;
    }
    std::cout << doc->policy_jws() << "\n";
    return kExitOk;
  }
  json out = json::object();
  out["attestation_type"] = doc->attestation_type();
  out["version"] = doc->version();
  out["is_default"] = doc->is_default();
  out["policy_hash"] = doc->policy_hash();
  out["signer_thumbprint"] = doc->signer_thumbprint().empty()
                                 ? json(nullptr)
                                 : json(doc->signer_thumbprint());
  out["policy"] = doc->policy_text();
  Print(*session, out);
  return kExitOk;
}

int PolicySet(const ParsedArgs& args) {
  if (args.positional.size() != 1) {
    return FailWith(kExitBadInput,
                    "policy set: want exactly one FILE (policy text or JWS)");
  }
  absl::StatusOr<std::string> type = AttestationType(args, true);
  if (!type.ok()) return BadInput(type.status());
  absl::StatusOr<std::optional<int64_t>> expected =
      Count(args, "expected-version", 0, INT64_MAX);
  if (!expected.ok()) return BadInput(expected.status());
  absl::StatusOr<std::optional<token::SigningKey>> signer =
      SignerFromFlags(args);
  if (!signer.ok()) return BadInput(signer.status());
  absl::StatusOr<std::string> jws =
      PolicyJwsFromFile(args.positional[0], *signer);
  if (!jws.ok()) return BadInput(jws.status());
  absl::StatusOr<Session> session = Connect(args);
  if (!session.ok()) return BadInput(session.status());
  v1::SetPolicyRequest request;
  request.set_attestation_type(*type);
  request.set_policy_jws(*jws);
  if (expected->has_value()) request.set_expected_version(**expected);
  absl::StatusOr<v1::PolicyChange> change = session->client.SetPolicy(request);
  if (!change.ok()) return ServiceFailure(change.status());
  return PrintChange(*session, *change, *jws);
}

int PolicyReset(const ParsedArgs& args) {
  absl::StatusOr<std::string> type = AttestationType(args, true);
  if (!type.ok()) return BadInput(type.status());
  absl::StatusOr<std::optional<token::SigningKey>> signer =
      SignerFromFlags(args);
  if (!signer.ok()) return BadInput(signer.status());
  absl::StatusOr<std::string> jws = MakeResetJws(*signer);
  if (!jws.ok()) return FailWith(kExitInternal, jws.status().message());
  absl::StatusOr<Session> session = Connect(args);
  if (!session.ok()) return BadInput(session.status());
  v1::ResetPolicyRequest request;
  request.set_attestation_type(*type);
  request.set_policy_jws(*jws);
  absl::StatusOr<v1::PolicyChange> change =
      session->client.ResetPolicy(request);
  if (!change.ok()) return ServiceFailure(change.status());
  return PrintChange(*session, *change, *jws);
}

int PolicyHistory(const ParsedArgs& args) {
  absl::StatusOr<std::string> type = AttestationType(args, true);
  if (!type.ok()) return BadInput(type.status());
  absl::StatusOr<std::optional<int64_t>> limit = Count(args, "limit", 1, 1000);
  if (!limit.ok()) return BadInput(limit.status());
  absl::StatusOr<Session> session = Connect(args);
  if (!session.ok()) return BadInput(session.status());
  v1::GetPolicyHistoryRequest request;
  request.set_attestation_type(*type);
  request.set_limit(static_cast<uint32_t>(limit->value_or(0)));
  absl::StatusOr<v1::PolicyHistory> history =
      session->client.GetPolicyHistory(request);
  if (!history.ok()) return ServiceFailure(history.status());
  json entries = json::array();
  for (const v1::PolicyHistoryEntry& e : history->entries()) {
    json entry = json::object();
    entry["version"] = e.version();
    entry["time"] = TimeJson(e.time_unix());
    entry["reset"] = e.is_reset();
    entry["actor"] = e.actor();
    entry["role"] = e.role();
    entry["policy_hash"] = e.policy_hash();
    entry["token_hash"] = e.token_hash();
    entry["signer_thumbprint"] = e.signer_thumbprint().empty()
                                     ? json(nullptr)
                                     : json(e.signer_thumbprint());
    entries.push_back(std::move(entry));
  }
  json out = json::object();
  out["attestation_type"] = *type;
  out["entries"] = std::move(entries);
  Print(*session, out);
  return kExitOk;
}

// Where a device dry run's claims came from, for people.
json ClaimsSourceJson(const v1::DryRunSource& from) {
  json out = json::object();
  out["device_id"] = from.device_id();
  out["attestation"] = TimeJson(from.attested_unix());
  out["decision_then"] = from.permitted() ? "permit" : "deny";
  out["policy_hash_then"] = from.policy_hash();
  out["latest"] = from.latest();
  if (!from.latest()) out["latest_attestation"] = TimeJson(from.latest_unix());
  out["claims_since"] = TimeJson(from.claims_since_unix());
  out["not_kept"] = json(std::vector<std::string>(from.omitted_claims().begin(),
                                                  from.omitted_claims().end()));
  out["rebuilt"] = json(std::vector<std::string>(from.rebuilt_claims().begin(),
                                                 from.rebuilt_claims().end()));
  out["not_kept_read_by_candidate"] =
      json(std::vector<std::string>(from.omitted_claims_read().begin(),
                                    from.omitted_claims_read().end()));
  out["not_kept_read_by_current"] = json(
      std::vector<std::string>(from.omitted_claims_read_by_current().begin(),
                               from.omitted_claims_read_by_current().end()));
  return out;
}

int PolicyDryRun(const ParsedArgs& args) {
  if (args.positional.size() != 1) {
    return FailWith(kExitBadInput,
                    "policy dry-run: want exactly one FILE (the candidate "
                    "policy)");
  }
  std::optional<std::string> claims_path = args.Value("claims");
  std::optional<std::string> device = args.Value("device");
  if (claims_path.has_value() == device.has_value()) {
    return FailWith(kExitBadInput,
                    "policy dry-run: want one of --claims CLAIMS.json or "
                    "--device ID");
  }
  absl::StatusOr<std::string> type = AttestationType(args, false);
  if (!type.ok()) return BadInput(type.status());
  absl::StatusOr<std::string> candidate = ReadInputFile(args.positional[0]);
  if (!candidate.ok()) return BadInput(candidate.status());
  v1::DryRunRequest request;
  if (claims_path.has_value()) {
    absl::StatusOr<std::string> claims = ReadInputFile(*claims_path);
    if (!claims.ok()) return BadInput(claims.status());
    absl::StatusOr<policy::ClaimSet> parsed = policy::ParseClaimsJson(*claims);
    if (!parsed.ok()) {
      return FailWith(kExitBadInput, absl::StrCat(*claims_path, ": ",
                                                  parsed.status().message()));
    }
    request.set_claims_json(*claims);
  } else {
    // Device ids are lower-case hex; one copied from a log in capitals is
    // the same device.
    request.set_device_id(absl::AsciiStrToLower(*device));
  }
  absl::StatusOr<Session> session = Connect(args);
  if (!session.ok()) return BadInput(session.status());
  request.set_attestation_type(*type);
  if (IsCompactJws(*candidate)) {
    request.set_policy_jws(std::string(absl::StripAsciiWhitespace(*candidate)));
  } else {
    request.set_policy_text(*candidate);
  }
  absl::StatusOr<v1::DryRunResult> result =
      session->client.DryRunPolicy(request);
  if (!result.ok()) return ServiceFailure(result.status());
  json out = json::object();
  out["decision"] = result->permitted() ? "permit" : "deny";
  out["reason"] = result->reason();
  out["issued"] = Embedded(result->issued_json());
  out["current"] = Embedded(result->compared_json());
  if (result->has_source()) {
    out["claims_from"] = ClaimsSourceJson(result->source());
    // Only where it matters: a candidate that cannot read the claim
    // decides as it would with it.
    for (const std::string& type_name :
         result->source().omitted_claims_read()) {
      std::cerr << "vigilctl: note: this device's " << type_name
                << " claim is not kept and the candidate reads `" << type_name
                << "`: it saw none, so the device may be decided otherwise\n";
    }
    for (const std::string& type_name :
         result->source().omitted_claims_read_by_current()) {
      std::cerr << "vigilctl: note: the policy in force reads `" << type_name
                << "` too; \"current\" is its decision without it\n";
    }
  }
  if (args.Has("explain")) out["trace"] = Embedded(result->trace_json());
  Print(*session, out);
  return kExitOk;
}

int CertsList(const ParsedArgs& args) {
  absl::StatusOr<Session> session = Connect(args);
  if (!session.ok()) return BadInput(session.status());
  absl::StatusOr<v1::PolicyCertificates> list =
      session->client.ListPolicyCertificates(
          v1::ListPolicyCertificatesRequest());
  if (!list.ok()) return ServiceFailure(list.status());
  json certificates = json::array();
  for (const v1::PolicyCertificate& c : list->certificates()) {
    json entry = json::object();
    entry["thumbprint"] = c.thumbprint();
    entry["subject"] = c.subject();
    entry["added_by"] = c.added_by();
    entry["added"] = TimeJson(c.added_unix());
    certificates.push_back(std::move(entry));
  }
  json out = json::object();
  out["certificates"] = std::move(certificates);
  Print(*session, out);
  return kExitOk;
}

// The change JWS of `add`/`remove`: --jws FILE, or made from CERT.pem and
// the signer.
absl::StatusOr<std::string> CertificateChange(absl::string_view command,
                                              const ParsedArgs& args) {
  std::optional<std::string> jws_path = args.Value("jws");
  if (!jws_path.has_value()) return CertificateChangeFromArgs(command, args);
  if (!args.positional.empty() || args.Value("key") || args.Value("cert")) {
    return absl::InvalidArgumentError(absl::StrCat(
        command, ": --jws sends a ready change; drop CERT.pem, --key, --cert"));
  }
  absl::StatusOr<std::string> jws = ReadInputFile(*jws_path);
  if (!jws.ok()) return jws.status();
  if (!IsCompactJws(*jws)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--jws ", *jws_path, ": not a compact JWS (header.payload.signature)"));
  }
  return std::string(absl::StripAsciiWhitespace(*jws));
}

int CertsChange(const ParsedArgs& args, bool add) {
  const char* command = add ? "policy-certs add" : "policy-certs remove";
  absl::StatusOr<std::string> jws = CertificateChange(command, args);
  if (!jws.ok()) return BadInput(jws.status());
  absl::StatusOr<Session> session = Connect(args);
  if (!session.ok()) return BadInput(session.status());
  v1::PolicyCertificateRequest request;
  request.set_jws(*jws);
  absl::StatusOr<v1::PolicyCertificateChange> change =
      add ? session->client.AddPolicyCertificate(request)
          : session->client.RemovePolicyCertificate(request);
  if (!change.ok()) return ServiceFailure(change.status());
  json out = json::object();
  out["thumbprint"] = change->thumbprint();
  out["result"] = change->result();
  Print(*session, out);
  return kExitOk;
}

int CertsAdd(const ParsedArgs& args) { return CertsChange(args, true); }
int CertsRemove(const ParsedArgs& args) { return CertsChange(args, false); }

// The query the audit flags describe, relative to `now`.
absl::StatusOr<v1::AuditQuery> AuditQueryFromFlags(const ParsedArgs& args,
                                                   absl::Time now) {
  v1::AuditQuery query;
  for (const char* flag : {"since", "until"}) {
    std::optional<std::string> text = args.Value(flag);
    if (!text.has_value()) continue;
    absl::StatusOr<absl::Time> t =
        ParseAuditTime(absl::StrCat("--", flag), *text, now);
    if (!t.ok()) return t.status();
    const int64_t unix_seconds = absl::ToUnixSeconds(*t);
    if (unix_seconds <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", flag, ": want a time after 1970, got \"", *text, "\""));
    }
    if (std::string(flag) == "since") {
      query.set_since_unix(unix_seconds);
    } else {
      query.set_until_unix(unix_seconds);
    }
  }
  query.set_actor(args.Value("actor").value_or(""));
  query.set_action(args.Value("action").value_or(""));
  query.set_attestation_type(args.Value("type").value_or(""));
  query.set_result(args.Value("result").value_or(""));
  absl::StatusOr<std::optional<int64_t>> limit = Count(args, "limit", 1, 10000);
  if (!limit.ok()) return limit.status();
  query.set_limit(static_cast<uint32_t>(limit->value_or(0)));
  absl::StatusOr<std::optional<int64_t>> after =
      Count(args, "after-id", 1, INT64_MAX);
  if (!after.ok()) return after.status();
  query.set_after_id(after->value_or(0));
  query.set_oldest_first(args.Has("oldest-first"));
  return query;
}

json AuditEventJson(const v1::AuditEvent& e) {
  json event = json::object();
  event["id"] = e.id();
  event["time"] = TimeJson(e.time_unix());
  event["actor"] = e.actor();
  event["role"] = e.role();
  event["source"] = e.source();
  event["action"] = e.action();
  event["attestation_type"] = e.attestation_type();
  event["policy_hash"] = e.policy_hash();
  event["result"] = e.result();
  event["detail"] = Embedded(e.detail_json());
  return event;
}

int Audit(const ParsedArgs& args) {
  absl::StatusOr<v1::AuditQuery> query = AuditQueryFromFlags(args, absl::Now());
  if (!query.ok()) return BadInput(query.status());
  absl::StatusOr<Session> session = Connect(args);
  if (!session.ok()) return BadInput(session.status());
  const bool all = args.Has("all");
  json events = json::array();
  int64_t next_after_id = 0;
  while (true) {
    absl::StatusOr<v1::AuditEvents> page = session->client.QueryAudit(*query);
    if (!page.ok()) return ServiceFailure(page.status());
    for (const v1::AuditEvent& e : page->events()) {
      events.push_back(AuditEventJson(e));
    }
    next_after_id = page->next_after_id();
    if (!all || next_after_id == 0) break;
    if (page->events().empty() || next_after_id == query->after_id()) {
      return FailWith(kExitInternal,
                      absl::StrCat("QueryAudit: the paging cursor does not "
                                   "advance (next_after_id ",
                                   next_after_id, ")"));
    }
    query->set_after_id(next_after_id);
  }
  json out = json::object();
  out["events"] = std::move(events);
  if (next_after_id != 0) out["next_after_id"] = next_after_id;
  Print(*session, out);
  return kExitOk;
}

}  // namespace

int ExitCodeForServiceStatus(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return kExitRefused;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kResourceExhausted:
      return kExitRequestInvalid;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnimplemented:
      return kExitUnavailable;
    default:
      return kExitInternal;
  }
}

absl::StatusOr<absl::Time> ParseAuditTime(absl::string_view flag,
                                          absl::string_view text,
                                          absl::Time now) {
  const auto wrong = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        flag,
        ": want an RFC 3339 time (2026-11-01T00:00:00Z) or a time ago (-1h, "
        "-30m, -7d), got \"",
        text, "\""));
  };
  if (absl::StartsWith(text, "-")) {
    absl::Duration ago;
    int64_t days = 0;
    if (absl::string_view d = text; absl::ConsumeSuffix(&d, "d")) {
      if (!absl::SimpleAtoi(d, &days) || days >= 0) return wrong();
      ago = absl::Hours(24) * days;
    } else if (!absl::ParseDuration(text, &ago) ||
               ago >= absl::ZeroDuration()) {
      return wrong();
    }
    return now + ago;
  }
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return wrong();
  return t;
}

// A DER certificate as one PEM block.
std::string CertificatePem(absl::string_view der) {
  const std::string b64 = Base64Encode(AsBytes(der));
  std::string out = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) {
    absl::StrAppend(&out, b64.substr(i, 64), "\n");
  }
  absl::StrAppend(&out, "-----END CERTIFICATE-----\n");
  return out;
}

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view data) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": cannot write"));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

int PolicyExport(const ParsedArgs& args) {
  absl::StatusOr<Session> session = Connect(args);
  if (!session.ok()) return BadInput(session.status());
  absl::StatusOr<v1::PolicyArchive> archive =
      session->client.ExportPolicies(v1::ExportPoliciesRequest());
  if (!archive.ok()) return ServiceFailure(archive.status());
  std::optional<std::string> out = args.Value("out");
  if (!out.has_value()) {
    std::cout << archive->archive();
    return kExitOk;
  }
  if (absl::Status s = WriteFileAtomically(*out, archive->archive()); !s.ok()) {
    return BadInput(s);
  }
  json summary = json::object();
  summary["file"] = *out;
  summary["sha256"] = archive->sha256();
  summary["policies"] = archive->policies();
  summary["certificates"] = archive->certificates();
  Print(*session, summary);
  return kExitOk;
}

// --trust-dir: a directory that is new or empty, so an import never mixes
// the archive's certificates with files already there.
absl::Status CheckTrustDir(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return absl::OkStatus();
  if (!std::filesystem::is_directory(dir, ec) ||
      !std::filesystem::is_empty(dir, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--trust-dir ", dir, ": want a new or empty directory"));
  }
  return absl::OkStatus();
}

// The archive's trust material as files an operator installs by hand:
// DIR/ek_roots/<THUMBPRINT>.pem (for ek_trust_dir) and
// DIR/policy_signers.pem (for policy_signers).
absl::Status WriteTrustDir(const std::string& dir,
                           const service::admin::PolicyArchive& archive) {
  std::error_code ec;
  std::filesystem::create_directories(dir + "/ek_roots", ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("--trust-dir ", dir, ": ", ec.message()));
  }
  for (const service::admin::ArchivedCertificate& c : archive.ek_roots) {
    RETURN_IF_ERROR(WriteFileAtomically(
        absl::StrCat(dir, "/ek_roots/", c.thumbprint, ".pem"),
        CertificatePem(c.der)));
  }
  std::string signers;
  for (const service::admin::ArchivedCertificate& c : archive.policy_signers) {
    signers += CertificatePem(c.der);
  }
  if (!signers.empty()) {
    RETURN_IF_ERROR(
        WriteFileAtomically(absl::StrCat(dir, "/policy_signers.pem"), signers));
  }
  return absl::OkStatus();
}

int PolicyImport(const ParsedArgs& args) {
  if (args.positional.size() != 1) {
    return FailWith(kExitBadInput,
                    "policy import: want exactly one FILE (an archive of "
                    "`vigilctl policy export`)");
  }
  const std::string& file = args.positional[0];
  absl::StatusOr<std::string> text = ReadInputFile(file);
  if (!text.ok()) return BadInput(text.status());
  // Checked here first, so a bad file is exit 2 with nothing sent; the
  // service checks it again (it decides).
  absl::StatusOr<service::admin::PolicyArchive> archive =
      service::admin::DecodePolicyArchive(*text);
  if (!archive.ok()) {
    return FailWith(kExitBadInput,
                    absl::StrCat(file, ": ", archive.status().message()));
  }
  const std::optional<std::string> trust_dir = args.Value("trust-dir");
  if (trust_dir.has_value()) {
    if (absl::Status s = CheckTrustDir(*trust_dir); !s.ok()) {
      return BadInput(s);
    }
  }
  absl::StatusOr<Session> session = Connect(args);
  if (!session.ok()) return BadInput(session.status());
  v1::ImportPoliciesRequest request;
  request.set_archive(*text);
  request.set_dry_run(args.Has("dry-run"));
  absl::StatusOr<v1::PolicyImport> result =
      session->client.ImportPolicies(request);
  if (!result.ok()) return ServiceFailure(result.status());
  json out = json::object();
  out["applied"] = result->applied();
  out["archive"] = {{"sha256", result->archive_sha256()},
                    {"mode", result->archive_mode()},
                    {"issuer", result->archive_issuer()}};
  json policies = json::array();
  for (const v1::PolicyImportItem& p : result->policies()) {
    json j = {{"attestation_type", p.attestation_type()},
              {"action", p.action()},
              {"from_policy_hash", p.from_policy_hash()},
              {"to_policy_hash", p.to_policy_hash()}};
    if (p.version() != 0) j["version"] = p.version();
    if (!p.signer_thumbprint().empty()) j["signer"] = p.signer_thumbprint();
    if (!p.note().empty()) j["note"] = p.note();
    policies.push_back(std::move(j));
  }
  out["policies"] = std::move(policies);
  json certs = json::array();
  for (const v1::CertificateImportItem& c : result->certificates()) {
    certs.push_back({{"thumbprint", c.thumbprint()},
                     {"subject", c.subject()},
                     {"plan", c.plan()}});
  }
  out["certificates"] = std::move(certs);
  json trust = json::array();
  for (const v1::TrustDifference& t : result->trust()) {
    trust.push_back({{"kind", t.kind()},
                     {"thumbprint", t.thumbprint()},
                     {"subject", t.subject()},
                     {"only_in", t.archive_only() ? "archive" : "here"}});
  }
  out["trust_differences"] = std::move(trust);
  if (trust_dir.has_value() && result->applied()) {
    if (absl::Status s = WriteTrustDir(*trust_dir, *archive); !s.ok()) {
      Print(*session, out);
      return BadInput(s);
    }
    out["trust_dir"] = *trust_dir;
  }
  Print(*session, out);
  return kExitOk;
}

int RunPolicyAdminCommand(const std::vector<std::string>& args) {
  static const Subcommand kSubcommands[] = {
      {"get", WithConnectionFlags({"type"}), {"jws"}, PolicyGet, false},
      {"set",
       WithConnectionFlags({"type", "key", "cert", "expected-version"}),
       {},
       PolicySet},
      {"reset",
       WithConnectionFlags({"type", "key", "cert"}),
       {},
       PolicyReset,
       false},
      {"history",
       WithConnectionFlags({"type", "limit"}),
       {},
       PolicyHistory,
       false},
      {"dry-run",
       WithConnectionFlags({"type", "claims", "device"}),
       {"explain"},
       PolicyDryRun},
      {"export", WithConnectionFlags({"out"}), {}, PolicyExport, false},
      {"import", WithConnectionFlags({"trust-dir"}), {"dry-run"}, PolicyImport},
  };
  return RunSubcommand("policy", kPolicyUsage, kSubcommands, args);
}

int RunPolicyCertsAdminCommand(const std::vector<std::string>& args) {
  static const Subcommand kSubcommands[] = {
      {"list", WithConnectionFlags({}), {}, CertsList, false},
      {"add", WithConnectionFlags({"key", "cert", "jws"}), {}, CertsAdd},
      {"remove", WithConnectionFlags({"key", "cert", "jws"}), {}, CertsRemove},
  };
  return RunSubcommand("policy-certs", kCertsUsage, kSubcommands, args);
}

int RunAuditCommand(const std::vector<std::string>& args) {
  static const Subcommand kAudit = {
      "audit",
      WithConnectionFlags({"since", "until", "actor", "action", "type",
                           "result", "limit", "after-id"}),
      {"oldest-first", "all"},
      Audit,
      false};
  return RunCommand("audit", kAuditUsage, kAudit, args);
}

}  // namespace vigil::vigilctl
