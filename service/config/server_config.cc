#include "service/config/server_config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/kv_config.h"
#include "common/posix_ids.h"
#include "common/status_macros.h"

namespace vigil::service {
namespace {

const std::vector<std::string>& Keys() {
  static const auto* keys =
      new std::vector<std::string>{"listen",
                                   "listen_socket_group",
                                   "tls_cert",
                                   "tls_key",
                                   "tls_client_ca",
                                   "insecure",
                                   "listen_tls",
                                   "http_listen",
                                   "metrics_listen",
                                   "http_threads",
                                   "http_connections_per_client",
                                   "http_request_timeout",
                                   "metrics_client_ca",
                                   "issuer",
                                   "ek_trust_dir",
                                   "allow_uncertified_ek",
                                   "hmac_key_file",
                                   "policy",
                                   "signing_key",
                                   "signing_chain",
                                   "token_alg",
                                   "token_header",
                                   "token_lifetime",
                                   "max_token_lifetime",
                                   "issued_claims",
                                   "nonce_lifetime",
                                   "enrolment_lifetime",
                                   "event_log_cache_mb",
                                   "policy_decision_cache_mb",
                                   "hello_timeout",
                                   "step_timeout",
                                   "reattest_interval",
                                   "max_streams",
                                   "max_streams_per_connection",
                                   "transport_memory_mb",
                                   "handshake_timeout",
                                   "idle_connection_timeout",
                                   "workers",
                                   "log_permits_per_second",
                                   "store",
                                   "mode",
                                   "admin_listen",
                                   "admin_client_ca",
                                   "admin_readers",
                                   "admin_contributors",
                                   "policy_signers",
                                   "audit_retention",
                                   "oidc_issuer",
                                   "oidc_audience",
                                   "oidc_jwks_url",
                                   "oidc_ca",
                                   "oidc_role_claim",
                                   "oidc_reader_role",
                                   "oidc_contributor_role",
                                   "oidc_identity_claim"};
  return *keys;
}

absl::Status ControlPlaneFromKv(const KvConfig& c, ServerConfig& s) {
  ControlPlaneConfig& cp = s.control;
  RETURN_IF_ERROR(c.GetString("store", &cp.store));
  const bool on = !cp.store.empty();
  if (on && !absl::StartsWith(cp.store, "sqlite:/") &&
      !absl::StartsWith(cp.store, "postgres:")) {
    return c.Error("store",
                   "want sqlite:/absolute/path.db or postgres:<conninfo>");
  }
  // Every other control-plane key needs the store: refuse them without
  // one, rather than ignore a mode or a listener the operator asked for.
  for (const char* key :
       {"mode", "admin_listen", "admin_client_ca", "admin_readers",
        "admin_contributors", "policy_signers", "audit_retention",
        "oidc_issuer", "oidc_audience", "oidc_jwks_url", "oidc_ca",
        "oidc_role_claim", "oidc_reader_role", "oidc_contributor_role",
        "oidc_identity_claim"}) {
    if (!on && c.Has(key)) {
      return c.Error(key, "needs store (the control plane is off without it)");
    }
  }
  std::string mode = std::string(admin::ModeName(cp.mode));
  RETURN_IF_ERROR(
      c.GetChoice("mode", {"open", "authenticated", "isolated"}, &mode));
  cp.mode = *admin::ParseMode(mode);
  RETURN_IF_ERROR(c.GetString("admin_listen", &cp.admin_listen));
  if (!absl::StartsWith(cp.admin_listen, "unix:/") && s.insecure) {
    return c.Error("admin_listen",
                   "a TCP admin listener needs TLS (insecure = true is set); "
                   "use unix:/path");
  }
  if (!cp.admin_listen.empty() &&
      !absl::StartsWith(cp.admin_listen, "unix:/") && s.tls_cert.empty()) {
    // Only with listen_tls = front can tls_cert be absent here.
    return c.Error("admin_listen",
                   "a TCP admin listener needs TLS (tls_cert and tls_key); "
                   "use unix:/path");
  }
  RETURN_IF_ERROR(c.GetString("admin_client_ca", &cp.admin_client_ca));
  RETURN_IF_ERROR(c.GetString("admin_readers", &cp.admin_readers));
  RETURN_IF_ERROR(c.GetString("admin_contributors", &cp.admin_contributors));
  if (absl::Status rules =
          auth::RoleMap::Parse(cp.admin_readers, cp.admin_contributors)
              .status();
      !rules.ok()) {
    return c.Error(absl::StartsWith(rules.message(), "admin_readers")
                       ? "admin_readers"
                       : "admin_contributors",
                   rules.message().substr(rules.message().find(':') + 2));
  }
  RETURN_IF_ERROR(c.GetString("policy_signers", &cp.policy_signers));
  if (cp.mode == admin::Mode::kIsolated && cp.policy_signers.empty()) {
    return c.Error("mode",
                   "isolated needs policy_signers (a PEM file of the "
                   "policy-management certificates)");
  }
  RETURN_IF_ERROR(c.GetDuration("audit_retention", absl::ZeroDuration(),
                                absl::Hours(24 * 3660), &cp.audit_retention));
  auth::OidcOptions& o = cp.oidc;
  RETURN_IF_ERROR(c.GetString("oidc_issuer", &o.issuer));
  RETURN_IF_ERROR(c.GetString("oidc_audience", &o.audience));
  RETURN_IF_ERROR(c.GetString("oidc_jwks_url", &cp.oidc_jwks_url));
  RETURN_IF_ERROR(c.GetString("oidc_ca", &cp.oidc_ca));
  RETURN_IF_ERROR(c.GetString("oidc_role_claim", &o.role_claim));
  RETURN_IF_ERROR(c.GetString("oidc_reader_role", &o.reader_value));
  RETURN_IF_ERROR(c.GetString("oidc_contributor_role", &o.contributor_value));
  RETURN_IF_ERROR(c.GetString("oidc_identity_claim", &o.identity_claim));
  if (o.issuer.empty()) {
    for (const char* key :
         {"oidc_audience", "oidc_jwks_url", "oidc_ca", "oidc_role_claim",
          "oidc_reader_role", "oidc_contributor_role", "oidc_identity_claim"}) {
      if (c.Has(key)) return c.Error(key, "needs oidc_issuer");
    }
  } else {
    if (!absl::StartsWith(o.issuer, "https://")) {
      return c.Error("oidc_issuer", "want an https:// URL");
    }
    if (o.audience.empty()) {
      // Without it, any token the provider issues for any application would
      // open the control plane.
      return c.Error("oidc_issuer", "needs oidc_audience");
    }
    if (absl::StartsWith(cp.admin_listen, "unix:")) {
      return c.Error("oidc_issuer",
                     "bearer tokens need a TCP admin_listen (the Unix socket "
                     "already means the local administrator)");
    }
  }
  return absl::OkStatus();
}

// A `key = MiB` setting (0 to 2^20) into `*bytes`, which keeps its value
// when the key is absent (defaults are whole MiB).
absl::Status GetMib(const KvConfig& c, absl::string_view key, size_t* bytes) {
  int64_t mb = static_cast<int64_t>(*bytes >> 20);
  RETURN_IF_ERROR(c.GetInt(key, 0, 1 << 20, &mb));
  *bytes = static_cast<size_t>(mb) << 20;
  return absl::OkStatus();
}

absl::StatusOr<ServerConfig> FromKv(const KvConfig& c) {
  ServerConfig s;
  RETURN_IF_ERROR(c.GetString("listen", &s.listen));
  if (s.listen.empty())
    return c.Error("listen", "required (host:port or unix:/path)");
  RETURN_IF_ERROR(c.GetString("listen_socket_group", &s.listen_socket_group));
  if (!s.listen_socket_group.empty()) {
    if (!absl::StartsWith(s.listen, "unix:")) {
      return c.Error("listen_socket_group",
                     "set with a TCP listen address: it names the group "
                     "that may connect to a unix:/path listener");
    }
    // Checked here too, so that a typo is a configuration error before
    // anything starts rather than a failed start.
    if (absl::StatusOr<gid_t> gid = GroupId(s.listen_socket_group); !gid.ok()) {
      return c.Error("listen_socket_group", gid.status().message());
    }
  }
  RETURN_IF_ERROR(c.GetString("tls_cert", &s.tls_cert));
  RETURN_IF_ERROR(c.GetString("tls_key", &s.tls_key));
  RETURN_IF_ERROR(c.GetString("tls_client_ca", &s.tls_client_ca));
  RETURN_IF_ERROR(c.GetBool("insecure", &s.insecure));
  std::string listen_tls = "verifier";
  RETURN_IF_ERROR(
      c.GetChoice("listen_tls", {"verifier", "front"}, &listen_tls));
  s.listen_behind_front = listen_tls == "front";
  s.service.peer_from_front = s.listen_behind_front;
  RETURN_IF_ERROR(c.GetString("http_listen", &s.http_listen));
  RETURN_IF_ERROR(c.GetString("metrics_listen", &s.metrics_listen));
  RETURN_IF_ERROR(c.GetString("metrics_client_ca", &s.metrics_client_ca));
  ConnectionLimits& h = s.http_limits;
  int64_t threads = static_cast<int64_t>(h.threads);
  RETURN_IF_ERROR(c.GetInt("http_threads", 2, 1024, &threads));
  h.threads = static_cast<size_t>(threads);
  int64_t per_client = static_cast<int64_t>(h.max_connections_per_client);
  RETURN_IF_ERROR(
      c.GetInt("http_connections_per_client", 0, 1024, &per_client));
  if (per_client >= threads) {
    return c.Error("http_connections_per_client",
                   absl::StrCat("want fewer than http_threads (", threads,
                                ") so one client cannot take every thread, "
                                "or 0 for no limit; got ",
                                per_client));
  }
  h.max_connections_per_client = static_cast<size_t>(per_client);
  // At least twice cpp-httplib's keep-alive wait (5 s), so a client idle
  // between two requests is not taken for a slow one.
  RETURN_IF_ERROR(c.GetDuration("http_request_timeout", absl::Seconds(10),
                                absl::Minutes(10), &h.request_timeout));
  if (!s.metrics_client_ca.empty() && s.metrics_listen.empty()) {
    return c.Error("metrics_client_ca",
                   "set without metrics_listen (there is no metrics "
                   "endpoint to protect)");
  }
  if (!s.metrics_client_ca.empty() && s.insecure) {
    return c.Error("metrics_client_ca",
                   "client certificates need TLS (insecure = true is set)");
  }
  if (!s.tls_client_ca.empty() && s.insecure) {
    return c.Error("tls_client_ca",
                   "client certificates need TLS (insecure = true is set)");
  }
  if (s.listen_behind_front) {
    if (s.insecure) {
      return c.Error("listen_tls",
                     "front with insecure = true: insecure already makes "
                     "every listener plaintext");
    }
    if (!IsLoopbackAddress(s.listen)) {
      // The front must be on this host: the hop to it is plaintext.
      return c.Error("listen_tls",
                     absl::StrCat("front: the gRPC listener is then plaintext, "
                                  "allowed only on unix: or loopback, not ",
                                  s.listen));
    }
    if (!s.tls_client_ca.empty()) {
      return c.Error("tls_client_ca",
                     "set with listen_tls = front: the front checks the "
                     "agents' client certificates (HAProxy's ca-file)");
    }
  }
  if (s.tls_cert.empty() != s.tls_key.empty()) {
    // Name the key that is set: it has the line to point at.
    return c.Error(s.tls_cert.empty() ? "tls_key" : "tls_cert",
                   absl::StrCat("tls_cert and tls_key go together (",
                                s.tls_cert.empty() ? "tls_cert" : "tls_key",
                                " is missing)"));
  }
  if (s.insecure) {
    if (!IsLoopbackAddress(s.listen)) {
      return c.Error("insecure",
                     absl::StrCat("plaintext is allowed only on unix: or "
                                  "loopback listeners, not ",
                                  s.listen));
    }
    if (!s.http_listen.empty() && !IsLoopbackAddress(s.http_listen)) {
      return c.Error("insecure",
                     absl::StrCat("plaintext is allowed only on loopback "
                                  "listeners, not http_listen ",
                                  s.http_listen));
    }
    if (!s.metrics_listen.empty() && !IsLoopbackAddress(s.metrics_listen)) {
      return c.Error("insecure",
                     absl::StrCat("plaintext is allowed only on loopback "
                                  "listeners, not metrics_listen ",
                                  s.metrics_listen));
    }
  } else if (s.tls_cert.empty() &&
             (!s.listen_behind_front || !s.http_listen.empty() ||
              !s.metrics_listen.empty())) {
    return c.Error("tls_cert",
                   s.listen_behind_front
                       ? "required for http_listen and metrics_listen "
                         "(listen_tls = front makes only the gRPC listener "
                         "plaintext)"
                       : "required (TLS 1.2+ on every listener; set insecure "
                         "= true only for loopback test setups)");
  }
  VerifierOptions& v = s.verifier;
  RETURN_IF_ERROR(c.GetString("issuer", &v.core.issuer));
  if (v.core.issuer.empty())
    return c.Error("issuer", "required (the URL tokens name as iss)");
  RETURN_IF_ERROR(c.GetString("ek_trust_dir", &v.ek_trust_dir));
  if (v.ek_trust_dir.empty()) {
    return c.Error(
        "ek_trust_dir",
        "required (directory of TPM manufacturer root certificates)");
  }
  RETURN_IF_ERROR(c.GetBool("allow_uncertified_ek", &v.allow_uncertified_ek));
  RETURN_IF_ERROR(c.GetString("hmac_key_file", &v.hmac_key_file));
  RETURN_IF_ERROR(c.GetString("policy", &v.policy_path));
  RETURN_IF_ERROR(c.GetString("signing_key", &v.signing_key_file));
  RETURN_IF_ERROR(c.GetString("signing_chain", &v.signing_chain_file));
  std::string alg = "ES256";
  RETURN_IF_ERROR(c.GetChoice("token_alg", {"ES256", "RS256"}, &alg));
  v.token_algorithm = alg == "RS256" ? token::JwsAlgorithm::kRs256
                                     : token::JwsAlgorithm::kEs256;
  std::string header = "none";
  RETURN_IF_ERROR(c.GetChoice("token_header", {"none", "x5c", "x5t"}, &header));
  v.certificate_header = header == "x5c"   ? token::CertificateHeader::kX5c
                         : header == "x5t" ? token::CertificateHeader::kX5t
                                           : token::CertificateHeader::kNone;
  if (header != "none" && v.signing_chain_file.empty()) {
    return c.Error("token_header", "x5c/x5t need signing_chain");
  }
  RETURN_IF_ERROR(c.GetDuration("token_lifetime", absl::Minutes(1),
                                absl::Hours(24 * 366),
                                &v.core.default_token_lifetime));
  RETURN_IF_ERROR(c.GetDuration("max_token_lifetime", absl::Minutes(1),
                                absl::Hours(24 * 366),
                                &v.core.max_token_lifetime));
  if (v.core.default_token_lifetime > v.core.max_token_lifetime) {
    // Point at a line: token_lifetime may be the default (8h).
    if (!c.Has("token_lifetime")) {
      return c.Error("max_token_lifetime",
                     "shorter than token_lifetime (default 8h)");
    }
    return c.Error("token_lifetime", "longer than max_token_lifetime");
  }
  std::string placement = "nested";
  RETURN_IF_ERROR(
      c.GetChoice("issued_claims", {"nested", "top-level"}, &placement));
  v.core.placement = placement == "top-level" ? IssuedClaimsPlacement::kTopLevel
                                              : IssuedClaimsPlacement::kNested;
  RETURN_IF_ERROR(c.GetDuration("nonce_lifetime", absl::Seconds(5),
                                absl::Hours(1), &v.nonce_lifetime));
  RETURN_IF_ERROR(c.GetDuration("enrolment_lifetime", absl::Seconds(5),
                                absl::Hours(1), &v.enrolment_lifetime));
  // Memory budgets; 0 turns the cache off.
  RETURN_IF_ERROR(GetMib(c, "event_log_cache_mb", &v.replay_cache_bytes));
  RETURN_IF_ERROR(
      GetMib(c, "policy_decision_cache_mb", &v.core.decision_memo_bytes));
  ServiceOptions& o = s.service;
  RETURN_IF_ERROR(c.GetDuration("hello_timeout", absl::Seconds(1),
                                absl::Minutes(10), &o.hello_timeout));
  RETURN_IF_ERROR(c.GetDuration("step_timeout", absl::Seconds(1),
                                absl::Minutes(10), &o.step_timeout));
  RETURN_IF_ERROR(c.GetDuration("reattest_interval", absl::Seconds(1),
                                absl::Hours(24 * 7), &o.reattest_interval));
  int64_t n = static_cast<int64_t>(o.max_streams);
  RETURN_IF_ERROR(c.GetInt("max_streams", 1, 1000000, &n));
  o.max_streams = static_cast<size_t>(n);
  TransportLimits& t = o.transport;
  n = static_cast<int64_t>(t.max_streams_per_connection);
  RETURN_IF_ERROR(c.GetInt("max_streams_per_connection", 1, 100000, &n));
  t.max_streams_per_connection = static_cast<size_t>(n);
  // 0: no bound; otherwise at least two 32-MiB messages' worth.
  RETURN_IF_ERROR(GetMib(c, "transport_memory_mb", &t.memory_bytes));
  if (const size_t mb = t.memory_bytes >> 20; mb != 0 && mb < 64) {
    return c.Error("transport_memory_mb",
                   absl::StrCat("want 0 (no bound) or at least 64, got ", mb));
  }
  RETURN_IF_ERROR(c.GetDuration("handshake_timeout", absl::Seconds(1),
                                absl::Minutes(10), &t.handshake_timeout));
  RETURN_IF_ERROR(c.GetDuration("idle_connection_timeout", absl::Seconds(1),
                                absl::Hours(24), &t.idle_connection_timeout));
  n = static_cast<int64_t>(o.worker_threads);
  RETURN_IF_ERROR(
      c.GetInt("workers", 0, static_cast<int64_t>(kMaxWorkerThreads), &n));
  o.worker_threads = static_cast<size_t>(n);
  n = o.log_permits_per_second;
  RETURN_IF_ERROR(c.GetInt("log_permits_per_second", -1, 1000000, &n));
  o.log_permits_per_second = static_cast<int>(n);
  RETURN_IF_ERROR(ControlPlaneFromKv(c, s));
  return s;
}

}  // namespace

bool IsLoopbackAddress(absl::string_view a) {
  if (absl::StartsWith(a, "unix:")) return true;
  if (absl::StartsWith(a, "localhost:") || absl::StartsWith(a, "[::1]:")) {
    return true;
  }
  // 127.0.0.0/8 only as a dotted quad: "127.example.com:443" is a host
  // name, which may resolve to any interface.
  absl::ConsumePrefix(&a, "ipv4:");
  const size_t colon = a.rfind(':');
  if (colon == absl::string_view::npos) return false;
  const std::vector<absl::string_view> octets =
      absl::StrSplit(a.substr(0, colon), '.');
  if (octets.size() != 4 || octets[0] != "127") return false;
  for (absl::string_view o : octets) {
    if (o.empty() || o.size() > 3) return false;
    for (char ch : o) {
      if (!absl::ascii_isdigit(ch)) return false;
    }
    int value = 0;
    if (!absl::SimpleAtoi(o, &value) || value > 255) return false;
  }
  return true;
}

absl::StatusOr<ServerConfig> ParseServerConfig(absl::string_view text,
                                               absl::string_view filename) {
  ASSIGN_OR_RETURN(KvConfig c, KvConfig::Parse(text, filename, Keys()));
  return FromKv(c);
}

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path) {
  ASSIGN_OR_RETURN(KvConfig c, KvConfig::Load(path, Keys()));
  return FromKv(c);
}

}  // namespace vigil::service
