#include "service/config/server_config.h"

#include <grp.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::service {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::vigil::testing::StatusIs;

// Lines 1-6; tests append from line 7 on.
constexpr char kBase[] =
    "# vigil-verifier test configuration\n"
    "listen = 0.0.0.0:8443\n"
    "tls_cert = /etc/vigil/tls.crt\n"
    "tls_key = /etc/vigil/tls.key\n"
    "issuer = https://verifier.example:8443\n"
    "ek_trust_dir = /etc/vigil/ek-roots\n";

absl::StatusOr<ServerConfig> Parse(const std::string& text) {
  return ParseServerConfig(text, "verifier.conf");
}

TEST(ServerConfig, GoodFileWithEveryKey) {
  const std::string text =
      absl::StrCat(kBase,
                   "http_listen = 0.0.0.0:8444\n"
                   "listen_tls = verifier\n"
                   "tls_client_ca = /etc/vigil/agent-ca.pem\n"
                   "allow_uncertified_ek = yes\n"
                   "hmac_key_file = /etc/vigil/hmac.key\n"
                   "policy = /etc/vigil/policies\n"
                   "signing_key = /etc/vigil/signing.pem\n"
                   "signing_chain = /etc/vigil/signing-chain.pem\n"
                   "token_alg = RS256\n"
                   "token_header = x5c\n"
                   "token_lifetime = 2h\n"
                   "max_token_lifetime = 12h\n"
                   "issued_claims = top-level\n"
                   "nonce_lifetime = 90s\n"
                   "enrolment_lifetime = 3m\n"
                   "event_log_cache_mb = 2048\n"
                   "policy_decision_cache_mb = 0\n"
                   "hello_timeout = 5s\n"
                   "step_timeout = 20s\n"
                   "reattest_interval = 30m\n"
                   "max_streams = 5000\n"
                   "max_streams_per_connection = 8\n"
                   "transport_memory_mb = 256\n"
                   "handshake_timeout = 5s\n"
                   "idle_connection_timeout = 10m\n"
                   "http_threads = 64\n"
                   "http_connections_per_client = 0\n"
                   "http_request_timeout = 2m\n"
                   "workers = 4\n"
                   "log_permits_per_second = -1\n");
  ASSERT_OK_AND_ASSIGN(ServerConfig c, Parse(text));
  EXPECT_EQ(c.listen, "0.0.0.0:8443");
  EXPECT_EQ(c.tls_cert, "/etc/vigil/tls.crt");
  EXPECT_EQ(c.tls_key, "/etc/vigil/tls.key");
  EXPECT_FALSE(c.insecure);
  EXPECT_EQ(c.http_listen, "0.0.0.0:8444");
  EXPECT_EQ(c.tls_client_ca, "/etc/vigil/agent-ca.pem");
  const VerifierOptions& v = c.verifier;
  EXPECT_EQ(v.core.issuer, "https://verifier.example:8443");
  EXPECT_EQ(v.ek_trust_dir, "/etc/vigil/ek-roots");
  EXPECT_TRUE(v.allow_uncertified_ek);
  EXPECT_EQ(v.hmac_key_file, "/etc/vigil/hmac.key");
  EXPECT_EQ(v.policy_path, "/etc/vigil/policies");
  EXPECT_EQ(v.signing_key_file, "/etc/vigil/signing.pem");
  EXPECT_EQ(v.signing_chain_file, "/etc/vigil/signing-chain.pem");
  EXPECT_EQ(v.token_algorithm, token::JwsAlgorithm::kRs256);
  EXPECT_EQ(v.certificate_header, token::CertificateHeader::kX5c);
  EXPECT_EQ(v.core.default_token_lifetime, absl::Hours(2));
  EXPECT_EQ(v.core.max_token_lifetime, absl::Hours(12));
  EXPECT_EQ(v.core.placement, IssuedClaimsPlacement::kTopLevel);
  EXPECT_EQ(v.nonce_lifetime, absl::Seconds(90));
  EXPECT_EQ(v.enrolment_lifetime, absl::Minutes(3));
  EXPECT_EQ(v.replay_cache_bytes, size_t{2048} << 20);
  EXPECT_EQ(v.core.decision_memo_bytes, 0u);
  EXPECT_EQ(c.service.hello_timeout, absl::Seconds(5));
  EXPECT_EQ(c.service.step_timeout, absl::Seconds(20));
  EXPECT_EQ(c.service.reattest_interval, absl::Minutes(30));
  EXPECT_EQ(c.service.max_streams, 5000u);
  EXPECT_EQ(c.service.transport.max_streams_per_connection, 8u);
  EXPECT_EQ(c.service.transport.memory_bytes, size_t{256} << 20);
  EXPECT_EQ(c.service.transport.handshake_timeout, absl::Seconds(5));
  EXPECT_EQ(c.service.transport.idle_connection_timeout, absl::Minutes(10));
  EXPECT_EQ(c.http_limits.threads, 64u);
  EXPECT_EQ(c.http_limits.max_connections_per_client, 0u);
  EXPECT_EQ(c.http_limits.request_timeout, absl::Minutes(2));
  EXPECT_EQ(c.service.worker_threads, 4u);
  EXPECT_EQ(c.service.log_permits_per_second, -1);
}

TEST(ServerConfig, DefaultsWhenKeysAreAbsent) {
  ASSERT_OK_AND_ASSIGN(ServerConfig c, Parse(kBase));
  EXPECT_FALSE(c.verifier.allow_uncertified_ek);
  EXPECT_EQ(c.verifier.token_algorithm, token::JwsAlgorithm::kEs256);
  EXPECT_EQ(c.verifier.certificate_header, token::CertificateHeader::kNone);
  EXPECT_EQ(c.verifier.core.default_token_lifetime, absl::Hours(8));
  EXPECT_EQ(c.verifier.core.placement, IssuedClaimsPlacement::kNested);
  EXPECT_EQ(c.verifier.nonce_lifetime, absl::Minutes(2));
  EXPECT_EQ(c.verifier.replay_cache_bytes, size_t{128} << 20);
  EXPECT_EQ(c.verifier.core.decision_memo_bytes, size_t{32} << 20);
  EXPECT_EQ(c.service.hello_timeout, absl::Seconds(10));
  EXPECT_EQ(c.service.max_streams, 20000u);
  EXPECT_EQ(c.service.transport.max_streams_per_connection, 100u);
  EXPECT_EQ(c.service.transport.memory_bytes, size_t{1} << 30);
  EXPECT_EQ(c.service.transport.handshake_timeout, absl::Seconds(20));
  EXPECT_EQ(c.service.transport.idle_connection_timeout, absl::Seconds(60));
  EXPECT_EQ(c.http_limits.threads, 32u);
  EXPECT_EQ(c.http_limits.max_connections_per_client, 8u);
  EXPECT_EQ(c.http_limits.request_timeout, absl::Seconds(30));
}

TEST(ServerConfig, TransportMemoryZeroMeansNoBound) {
  ASSERT_OK_AND_ASSIGN(ServerConfig c,
                       Parse(absl::StrCat(kBase, "transport_memory_mb = 0\n")));
  EXPECT_EQ(c.service.transport.memory_bytes, 0u);
}

TEST(ServerConfig, InsecureIsAllowedOnlyOnLoopbackListeners) {
  for (const char* listen :
       {"unix:/run/vigil/verifier.sock", "127.0.0.1:0", "127.1.2.3:8443",
        "localhost:8443", "[::1]:8443", "ipv4:127.0.0.1:5"}) {
    EXPECT_OK(Parse(absl::StrCat("listen = ", listen,
                                 "\ninsecure = true\nissuer = https://v\n"
                                 "ek_trust_dir = /r\n")))
        << listen;
  }
  EXPECT_THAT(
      Parse(absl::StrCat(kBase, "insecure = true\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "verifier.conf:7: insecure: plaintext is allowed only on unix: "
               "or loopback listeners, not 0.0.0.0:8443"));
  for (const char* listen :
       {"10.0.0.1:8443", "[::]:8443", "127.evil.example:8443",
        "127.0.0.1.nip.io:8443", "1127.0.0.1:8443", "127.0.0.256:1",
        "localhost.example:1", "verifier.example:8443"}) {
    EXPECT_THAT(Parse(absl::StrCat("listen = ", listen,
                                   "\ninsecure = true\nissuer = https://v\n"
                                   "ek_trust_dir = /r\n")),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         StartsWith("verifier.conf:2: insecure: ")))
        << listen;
  }
  EXPECT_THAT(Parse("listen = unix:/s\ninsecure = true\nissuer = https://v\n"
                    "ek_trust_dir = /r\nhttp_listen = 0.0.0.0:8444\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "verifier.conf:2: insecure: plaintext is allowed only "
                       "on loopback listeners, not http_listen 0.0.0.0:8444"));
}

// listen_socket_group: who may connect to a unix:/path listener (the
// front's group), checked against the system's groups at load.
TEST(ServerConfig, ListenSocketGroupOnlyForAUnixListenerAndAKnownGroup) {
  const group* gr = getgrgid(getegid());
  ASSERT_NE(gr, nullptr);
  const std::string mine = gr->gr_name;
  ASSERT_OK_AND_ASSIGN(
      ServerConfig c,
      Parse(absl::StrCat("listen = unix:/run/vigil/agents.sock\n"
                         "listen_tls = front\nlisten_socket_group = ",
                         mine, "\nissuer = https://v\nek_trust_dir = /r\n")));
  EXPECT_EQ(c.listen_socket_group, mine);
  ASSERT_OK_AND_ASSIGN(c, Parse(kBase));
  EXPECT_EQ(c.listen_socket_group, "");
  EXPECT_THAT(
      Parse(absl::StrCat("listen = 127.0.0.1:8440\nlisten_tls = front\n"
                         "listen_socket_group = ",
                         mine, "\nissuer = https://v\nek_trust_dir = /r\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "verifier.conf:3: listen_socket_group: set with a TCP listen "
               "address: it names the group that may connect to a "
               "unix:/path listener"));
  EXPECT_THAT(Parse("listen = unix:/run/vigil/agents.sock\n"
                    "listen_tls = front\n"
                    "listen_socket_group = vigil-no-such-group\n"
                    "issuer = https://v\nek_trust_dir = /r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "verifier.conf:3: listen_socket_group: no group "
                       "\"vigil-no-such-group\""));
}

// listen_tls = front: HAProxy on this host ends the agents' TLS
// (systemd/haproxy-vigil-agents.cfg.example); the gRPC listener alone is
// plaintext, on loopback only, and the other listeners keep their TLS.
TEST(ServerConfig, ListenTlsFrontMakesOnlyTheGrpcListenerPlaintext) {
  ASSERT_OK_AND_ASSIGN(ServerConfig c,
                       Parse("listen = 127.0.0.1:8440\nlisten_tls = front\n"
                             "issuer = https://v\nek_trust_dir = /r\n"));
  EXPECT_TRUE(c.listen_behind_front);
  EXPECT_TRUE(c.service.peer_from_front);
  EXPECT_FALSE(c.insecure);
  ASSERT_OK_AND_ASSIGN(c,
                       Parse(absl::StrCat(kBase, "listen_tls = verifier\n")));
  EXPECT_FALSE(c.listen_behind_front);
  EXPECT_FALSE(c.service.peer_from_front);
  // The relying parties' HTTPS keeps its TLS: tls_cert is then required.
  EXPECT_OK(
      Parse("listen = unix:/run/v.sock\nlisten_tls = front\n"
            "tls_cert = /c\ntls_key = /k\nissuer = https://v\n"
            "ek_trust_dir = /r\nhttp_listen = 0.0.0.0:8444\n"));
  EXPECT_THAT(Parse("listen = 127.0.0.1:8440\nlisten_tls = front\n"
                    "issuer = https://v\nek_trust_dir = /r\n"
                    "http_listen = 0.0.0.0:8444\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "verifier.conf: tls_cert: required for http_listen and "
                       "metrics_listen (listen_tls = front makes only the "
                       "gRPC listener plaintext)"));
  EXPECT_THAT(
      Parse(absl::StrCat(kBase, "listen_tls = front\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "verifier.conf:7: listen_tls: front: the gRPC listener is then "
               "plaintext, allowed only on unix: or loopback, not "
               "0.0.0.0:8443"));
  EXPECT_THAT(Parse("listen = 127.0.0.1:8440\nlisten_tls = front\n"
                    "issuer = https://v\nek_trust_dir = /r\n"
                    "tls_client_ca = /ca.pem\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "verifier.conf:5: tls_client_ca: set with listen_tls = "
                       "front: the front checks the agents' client "
                       "certificates (HAProxy's ca-file)"));
  EXPECT_THAT(Parse("listen = 127.0.0.1:8440\nlisten_tls = front\n"
                    "insecure = true\nissuer = https://v\nek_trust_dir = /r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("verifier.conf:2: listen_tls: front with "
                                  "insecure = true")));
  EXPECT_THAT(Parse("listen = 127.0.0.1:8440\nlisten_tls = front\n"
                    "issuer = https://v\nek_trust_dir = /r\n"
                    "store = sqlite:/s.db\nadmin_listen = 0.0.0.0:8445\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "verifier.conf:6: admin_listen: a TCP admin listener "
                       "needs TLS (tls_cert and tls_key); use unix:/path"));
  EXPECT_THAT(Parse("listen = 127.0.0.1:8440\nlisten_tls = haproxy\n"
                    "issuer = https://v\nek_trust_dir = /r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("verifier.conf:2: listen_tls: ")));
}

TEST(ServerConfig, TlsCertAndKeyGoTogether) {
  EXPECT_THAT(
      Parse("listen = 0.0.0.0:1\ntls_cert = /c.pem\nissuer = https://v\n"
            "ek_trust_dir = /r\n"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "verifier.conf:2: tls_cert: tls_cert and tls_key go "
               "together (tls_key is missing)"));
  EXPECT_THAT(Parse("listen = 0.0.0.0:1\nissuer = https://v\n"
                    "ek_trust_dir = /r\ntls_key = /k.pem\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "verifier.conf:4: tls_key: tls_cert and tls_key go "
                       "together (tls_cert is missing)"));
  EXPECT_THAT(
      Parse("listen = 0.0.0.0:1\nissuer = https://v\nek_trust_dir = /r\n"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               StartsWith("verifier.conf: tls_cert: required")));
}

TEST(ServerConfig, ClientCertificatesNeedTls) {
  EXPECT_THAT(
      Parse("listen = 127.0.0.1:1\ninsecure = true\nissuer = https://v\n"
            "ek_trust_dir = /r\ntls_client_ca = /ca.pem\n"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "verifier.conf:5: tls_client_ca: client certificates need TLS "
               "(insecure = true is set)"));
}

TEST(ServerConfig, MetricsKeys) {
  ASSERT_OK_AND_ASSIGN(
      ServerConfig c,
      Parse(absl::StrCat(kBase, "metrics_listen = 0.0.0.0:9464\n",
                         "metrics_client_ca = /mon-ca.pem\n")));
  EXPECT_EQ(c.metrics_listen, "0.0.0.0:9464");
  EXPECT_EQ(c.metrics_client_ca, "/mon-ca.pem");
  EXPECT_THAT(Parse(absl::StrCat(kBase, "metrics_client_ca = /mon-ca.pem\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "verifier.conf:7: metrics_client_ca: set without "
                       "metrics_listen (there is no metrics endpoint to "
                       "protect)"));
  EXPECT_THAT(Parse("listen = unix:/s\ninsecure = true\nissuer = https://v\n"
                    "ek_trust_dir = /r\nmetrics_listen = 0.0.0.0:9464\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "verifier.conf:2: insecure: plaintext is allowed only "
                       "on loopback listeners, not metrics_listen "
                       "0.0.0.0:9464"));
  EXPECT_OK(
      Parse("listen = unix:/s\ninsecure = true\nissuer = https://v\n"
            "ek_trust_dir = /r\nmetrics_listen = 127.0.0.1:0\n"));
  EXPECT_THAT(Parse("listen = unix:/s\ninsecure = true\nissuer = https://v\n"
                    "ek_trust_dir = /r\nmetrics_listen = 127.0.0.1:0\n"
                    "metrics_client_ca = /ca.pem\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "verifier.conf:6: metrics_client_ca: client "
                       "certificates need TLS (insecure = true is set)"));
}

TEST(ServerConfig, ControlPlaneKeys) {
  ASSERT_OK_AND_ASSIGN(
      ServerConfig c,
      Parse(absl::StrCat(kBase,
                         "store = sqlite:/var/lib/vigil/store.db\n"
                         "mode = isolated\n"
                         "policy_signers = /etc/vigil/signers.pem\n"
                         "admin_listen = 10.0.0.1:8445\n"
                         "admin_readers = subject:CN=auditor\n"
                         "admin_contributors = san:email:ops@example.com\n"
                         "audit_retention = 720h\n")));
  EXPECT_EQ(c.control.store, "sqlite:/var/lib/vigil/store.db");
  EXPECT_EQ(c.control.mode, admin::Mode::kIsolated);
  EXPECT_EQ(c.control.admin_listen, "10.0.0.1:8445");
  EXPECT_EQ(c.control.audit_retention, absl::Hours(720));
  // Off by default; its keys without a store are refused, not ignored.
  ASSERT_OK_AND_ASSIGN(c, Parse(kBase));
  EXPECT_TRUE(c.control.store.empty());
  EXPECT_THAT(Parse(absl::StrCat(kBase, "mode = open\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "verifier.conf:7: mode: needs store (the control plane "
                       "is off without it)"));
  EXPECT_THAT(Parse(absl::StrCat(kBase, "store = /tmp/x.db\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("store: want sqlite:/absolute/path.db")));
  EXPECT_THAT(
      Parse(absl::StrCat(kBase, "store = sqlite:/s.db\nmode = isolated\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("isolated needs policy_signers")));
  EXPECT_THAT(
      Parse(absl::StrCat(kBase,
                         "store = sqlite:/s.db\n"
                         "admin_contributors = subjct:CN=x\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("verifier.conf:8: admin_contributors: rule 1")));
}

TEST(ServerConfig, OidcKeys) {
  const std::string base = absl::StrCat(
      kBase, "store = sqlite:/s.db\nadmin_listen = 0.0.0.0:8445\n");
  ASSERT_OK_AND_ASSIGN(
      ServerConfig c,
      Parse(absl::StrCat(base,
                         "oidc_issuer = https://login.example/t\n"
                         "oidc_audience = api://vigil\n"
                         "oidc_role_claim = groups\n"
                         "oidc_contributor_role = attestation-admins\n")));
  EXPECT_EQ(c.control.oidc.issuer, "https://login.example/t");
  EXPECT_EQ(c.control.oidc.role_claim, "groups");
  EXPECT_EQ(c.control.oidc.contributor_value, "attestation-admins");
  EXPECT_EQ(c.control.oidc.reader_value, "vigil.reader");
  EXPECT_THAT(Parse(absl::StrCat(base, "oidc_issuer = https://l.example\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("oidc_issuer: needs oidc_audience")));
  EXPECT_THAT(Parse(absl::StrCat(base, "oidc_audience = x\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("oidc_audience: needs oidc_issuer")));
  EXPECT_THAT(Parse(absl::StrCat(base,
                                 "oidc_issuer = http://l.example\n"
                                 "oidc_audience = x\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("want an https:// URL")));
  EXPECT_THAT(Parse(absl::StrCat(kBase,
                                 "store = sqlite:/s.db\n"
                                 "oidc_issuer = https://l.example\n"
                                 "oidc_audience = x\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bearer tokens need a TCP admin_listen")));
}

TEST(ServerConfig, CertificateHeaderNeedsASigningChain) {
  for (const char* header : {"x5c", "x5t"}) {
    EXPECT_THAT(Parse(absl::StrCat(kBase, "token_header = ", header, "\n")),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "verifier.conf:7: token_header: x5c/x5t need "
                         "signing_chain"));
  }
  EXPECT_THAT(
      Parse(absl::StrCat(kBase, "token_header = x5u\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("verifier.conf:7: token_header: want one of")));
}

TEST(ServerConfig, LifetimesAreCheckedWithTheirLines) {
  EXPECT_THAT(Parse(absl::StrCat(kBase, "token_lifetime = 10h\n",
                                 "max_token_lifetime = 9h\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "verifier.conf:7: token_lifetime: longer than "
                       "max_token_lifetime"));
  // Only the maximum set, below the 8 h default lifetime.
  EXPECT_THAT(Parse(absl::StrCat(kBase, "max_token_lifetime = 1h\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("verifier.conf:7: max_token_lifetime: ")));
  struct Range {
    const char* line;
    const char* key;
  };
  for (const Range& r :
       {Range{"token_lifetime = 30s", "token_lifetime"},
        Range{"max_token_lifetime = 367d", "max_token_lifetime"},
        Range{"nonce_lifetime = 4s", "nonce_lifetime"},
        Range{"nonce_lifetime = 2h", "nonce_lifetime"},
        Range{"enrolment_lifetime = soon", "enrolment_lifetime"},
        Range{"hello_timeout = 0s", "hello_timeout"},
        Range{"step_timeout = 11m", "step_timeout"},
        Range{"reattest_interval = 500ms", "reattest_interval"},
        Range{"handshake_timeout = 0s", "handshake_timeout"},
        Range{"idle_connection_timeout = 25h", "idle_connection_timeout"},
        Range{"http_request_timeout = 11m", "http_request_timeout"},
        Range{"http_request_timeout = 9s", "http_request_timeout"}}) {
    EXPECT_THAT(Parse(absl::StrCat(kBase, r.line, "\n")),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         StartsWith(absl::StrCat("verifier.conf:7: ", r.key,
                                                 ": want a duration"))))
        << r.line;
  }
}

TEST(ServerConfig, OtherValueErrorsNameFileLineAndKey) {
  struct Bad {
    const char* line;
    const char* want;
  };
  for (const Bad& b :
       {Bad{"max_streams = 0", "verifier.conf:7: max_streams: want an integer"},
        Bad{"workers = 257", "verifier.conf:7: workers: want an integer"},
        Bad{"max_streams_per_connection = 0",
            "verifier.conf:7: max_streams_per_connection: want an integer"},
        Bad{"transport_memory_mb = 63",
            "verifier.conf:7: transport_memory_mb: want 0 (no bound) or at "
            "least 64, got 63"},
        Bad{"transport_memory_mb = 1G",
            "verifier.conf:7: transport_memory_mb: want an integer"},
        Bad{"event_log_cache_mb = -1",
            "verifier.conf:7: event_log_cache_mb: want an integer"},
        Bad{"policy_decision_cache_mb = 32M",
            "verifier.conf:7: policy_decision_cache_mb: want an integer"},
        Bad{"http_threads = 1",
            "verifier.conf:7: http_threads: want an integer"},
        Bad{"http_connections_per_client = 32",
            "verifier.conf:7: http_connections_per_client: want fewer than "
            "http_threads (32) so one client cannot take every thread, or 0 "
            "for no limit; got 32"},
        Bad{"log_permits_per_second = -2",
            "verifier.conf:7: log_permits_per_second: want an integer"},
        Bad{"insecure = maybe",
            "verifier.conf:7: insecure: want true or false"},
        Bad{"token_alg = HS256", "verifier.conf:7: token_alg: want one of"},
        Bad{"issued_claims = flat",
            "verifier.conf:7: issued_claims: want one of"},
        Bad{"listen_port = 1", "verifier.conf:7: unknown key \"listen_port\""},
        Bad{"issuer = https://again", "verifier.conf:7: issuer"},
        Bad{"no equals sign here", "verifier.conf:7: "}}) {
    EXPECT_THAT(
        Parse(absl::StrCat(kBase, b.line, "\n")),
        StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(b.want)))
        << b.line;
  }
}

TEST(ServerConfig, RequiredKeys) {
  EXPECT_THAT(Parse("insecure = true\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("verifier.conf: listen: required")));
  EXPECT_THAT(Parse("listen = unix:/s\ninsecure = true\nek_trust_dir = /r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("verifier.conf: issuer: required")));
  EXPECT_THAT(Parse("listen = unix:/s\ninsecure = true\nissuer = https://v\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("verifier.conf: ek_trust_dir: required")));
}

TEST(ServerConfig, LoadNamesAMissingFile) {
  const std::string path = ::testing::TempDir() + "/no-such-verifier.conf";
  EXPECT_THAT(LoadServerConfig(path),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

TEST(IsLoopbackAddress, AcceptsUnixAndLoopbackOnly) {
  for (const char* a :
       {"unix:/x", "unix:relative", "127.0.0.1:1", "127.255.255.254:65535",
        "localhost:1", "[::1]:1", "ipv4:127.0.0.1:1"}) {
    EXPECT_TRUE(IsLoopbackAddress(a)) << a;
  }
  for (const char* a :
       {"", "127.0.0.1", "0.0.0.0:1", "128.0.0.1:1", "127.0.0:1",
        "127.0.0.1.2:1", "127.a.0.1:1", "127.example.com:1", "127..0.1:1",
        "localhost", "localhost.evil:1", "[::2]:1", "[::]:1",
        "ipv4:10.0.0.1:1"}) {
    EXPECT_FALSE(IsLoopbackAddress(a)) << a;
  }
}

}  // namespace
}  // namespace vigil::service
