// The REST mirror of the policy administration API (issue #6 §1) over real
// HTTP: the relying-party endpoint serving a real PolicyManager on a real
// SQLite store, over the verifier's own policies and token keys, driven by
// httplib::Client. Callers authenticate with OIDC bearer tokens signed by a
// test identity provider, or (over TLS) with client certificates made by
// the openssl CLI. Response tokens are checked with the JWKS the same
// endpoint serves at /certs.
#include "service/http/admin_routes.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/testing/fake_clock.h"
#include "common/testing/loopback_port.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "service/auth/testing/test_bearer.h"
#include "service/control/jws_writer.h"
#include "service/control/policy_document.h"
#include "service/control/testing/test_pki.h"
#include "service/http/relying_party_endpoint.h"
#include "service/store/sqlite_store.h"
#include "service/token/jwks.h"
#include "service/token/jwt_verifier.h"
#include "service/token/key_ring.h"
#include "service/token/signing_key.h"
#include "tests/swtpm/subprocess.h"
#include "tests/swtpm/tls_files.h"

namespace vigil::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using ::vigil::control::testing::TestSigner;
using ::vigil::testing::TempDir;

constexpr char kIssuer[] = "https://verifier.example";
constexpr char kIdp[] = "https://login.example";
constexpr char kAudience[] = "api://vigil-admin";
constexpr char kDenyAll[] =
    "version=1.0; authorizationrules { => deny(); }; issuancerules {};";
constexpr char kPermitAll[] =
    "version=1.0; authorizationrules { => permit(); }; issuancerules {};";

struct Reply {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  token::Json json;  // the body parsed, when it is JSON

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  std::string ErrorCode() const { return json["error"].value("code", ""); }
  std::string ErrorMessage() const {
    return json["error"].value("message", "");
  }
};

class AdminRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(TempDir d, TempDir::Create("vigil-rest"));
    dir_.emplace(std::move(d));
    VerifierOptions vo;
    vo.ek_trust_pem =
        ReadSource("service/verifier/testdata/unrelated-root.pem");
    vo.core.issuer = kIssuer;
    ASSERT_OK_AND_ASSIGN(verifier_, Verifier::Create(vo, &clock_));
    ASSERT_OK_AND_ASSIGN(token::SigningKey idp_key,
                         token::SigningKey::Generate());
    ASSERT_OK_AND_ASSIGN(idp_,
                         token::KeyRing::Create(std::move(idp_key), clock_));
    auth::OidcOptions oo;
    oo.issuer = kIdp;
    oo.audience = kAudience;
    ASSERT_OK_AND_ASSIGN(oidc_, auth::OidcAuthenticator::Create(oo, clock_));
    ASSERT_OK_AND_ASSIGN(token::Jwks jwks,
                         token::Jwks::Parse(idp_->JwksJson()));
    ASSERT_OK(oidc_->SetJwks(std::move(jwks)));
  }

  void TearDown() override {
    endpoint_.reset();
    manager_.reset();
    store_.reset();
  }

  static std::string ReadSource(const std::string& path) {
    absl::StatusOr<::vigil::testing::CommandResult> r =
        ::vigil::testing::RunCommand(
            {"cat", ::vigil::testing::SourcePath(path)});
    return r.ok() ? r->output : "";
  }

  // The manager in `mode` over the verifier's policies and keys, and the
  // endpoint (plain HTTP on loopback unless `tls`) with the admin routes.
  absl::Status Start(admin::Mode mode,
                     std::vector<token::X509Certificate> signers = {},
                     const std::string& roles_contributors = "",
                     bool tls = false) {
    store::SqliteStoreOptions so;
    so.path = dir_->Join("store.db");
    ASSIGN_OR_RETURN(store_, store::SqliteStore::Open(so));
    admin::ManagerOptions mo;
    mo.mode = mode;
    mo.issuer = kIssuer;
    ASSIGN_OR_RETURN(manager_,
                     admin::PolicyManager::Create(
                         mo, store_.get(), &verifier_->policies(),
                         &verifier_->key_ring(), clock_, std::move(signers)));
    ASSIGN_OR_RETURN(auth::RoleMap roles,
                     auth::RoleMap::Parse("", roles_contributors));
    authn_ = std::make_unique<auth::CallerAuthenticator>(std::move(roles),
                                                         oidc_.get());
    AdminApi api{manager_.get(), authn_.get()};
    ASSIGN_OR_RETURN(
        endpoint_,
        RelyingPartyEndpoint::Start(
            verifier_.get(), "127.0.0.1:0", tls ? dir_->Join("server.pem") : "",
            tls ? dir_->Join("server.key") : "", /*insecure=*/!tls, api,
            tls ? dir_->Join("ca.pem") : ""));
    return absl::OkStatus();
  }

  // "Bearer <JWT>" from the identity provider with app role `role`.
  std::string Bearer(const std::string& role) {
    return auth::testing::TestBearer(
        *idp_, {kIdp, kAudience, role == "vigil.reader" ? "auditor" : "ops",
                role, clock_.Now()});
  }
  std::string Reader() { return Bearer("vigil.reader"); }
  std::string Contributor() { return Bearer("vigil.contributor"); }

  // One request over plain HTTP to the endpoint.
  Reply Call(const std::string& method, const std::string& path,
             const std::string& authorization = "",
             const std::string& body = "",
             const std::string& content_type = "text/plain") {
    httplib::ClientImpl client("127.0.0.1", endpoint_->port());
    return Send(client, method, path, authorization, body, content_type);
  }

  static Reply Send(httplib::ClientImpl& client, const std::string& method,
                    const std::string& path, const std::string& authorization,
                    const std::string& body, const std::string& content_type) {
    client.set_read_timeout(10, 0);
    httplib::Request req;
    req.method = method;
    req.path = path;
    if (!authorization.empty()) {
      req.headers.emplace("Authorization", authorization);
    }
    if (method == "PUT" || method == "POST") {
      req.body = body;
      req.headers.emplace("Content-Type", content_type);
    }
    httplib::Result res = client.send(req);
    Reply r;
    if (!res) {
      ADD_FAILURE() << method << " " << path << ": "
                    << httplib::to_string(res.error());
      return r;
    }
    r.status = res->status;
    r.body = res->body;
    r.headers = res->headers;
    r.json = token::Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    return r;
  }

  // Sends `request` as is on a new connection and returns the endpoint's
  // answer: its head and a Content-Length body ("" after 10 s of silence).
  std::string RawExchange(const std::string& request) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = ::vigil::testing::LoopbackAddress(endpoint_->port());
    timeval timeout{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    std::string answer;
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
        send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size())) {
      char buf[4096];
      ssize_t n;
      size_t want = std::string::npos;  // head + body, once the head is in
      while (answer.size() < want && (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
        answer.append(buf, static_cast<size_t>(n));
        const size_t end = answer.find("\r\n\r\n");
        const size_t cl = answer.find("Content-Length: ");
        if (want == std::string::npos && end != std::string::npos &&
            cl != std::string::npos && cl < end) {
          want = end + 4 + std::stoul(answer.substr(cl + 16));
        }
      }
    }
    close(fd);
    return answer;
  }

  // The claims of a response token, verified with the endpoint's /certs.
  token::Json Claims(const Reply& reply) {
    EXPECT_EQ(reply.status, 200) << reply.body;
    const std::string jwt = reply.json.value("token", "");
    EXPECT_FALSE(jwt.empty()) << reply.body;
    Reply certs = Call("GET", "/certs");
    absl::StatusOr<token::Jwks> jwks = token::Jwks::Parse(certs.body);
    EXPECT_TRUE(jwks.ok()) << jwks.status();
    if (!jwks.ok()) return token::Json();
    absl::StatusOr<token::JwtVerifier> v = token::JwtVerifierBuilder()
                                               .SetJwks(*jwks)
                                               .ExpectIssuer(kIssuer)
                                               .SetClock(clock_)
                                               .Build();
    EXPECT_TRUE(v.ok()) << v.status();
    if (!v.ok()) return token::Json();
    absl::StatusOr<token::VerifiedJwt> t = v->Verify(jwt);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? t->claims() : token::Json();
  }

  size_t AuditCount(store::AuditAction action) {
    store::AuditQuery q;
    q.action = action;
    absl::StatusOr<std::vector<store::AuditEntry>> r = store_->QueryAudit(q);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->size() : 0;
  }

  ::vigil::testing::FakeClock clock_{
      absl::FromUnixSeconds(control::testing::kNow)};
  std::optional<TempDir> dir_;
  std::unique_ptr<Verifier> verifier_;
  std::unique_ptr<token::KeyRing> idp_;
  std::unique_ptr<auth::OidcAuthenticator> oidc_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<admin::PolicyManager> manager_;
  std::unique_ptr<auth::CallerAuthenticator> authn_;
  std::unique_ptr<RelyingPartyEndpoint> endpoint_;
};

TEST_F(AdminRoutesTest, GetReturnsTheDefaultPolicyAsAzureDoes) {
  ASSERT_OK(Start(admin::Mode::kAuthenticated));
  const Reply r = Call("GET", "/policies/Tpm?api-version=2022-08-01", Reader());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.Header("Content-Type"), StartsWith("application/json"));
  ASSERT_EQ(r.json.size(), 1u) << r.body;  // exactly {"token": ...}
  const token::Json claims = Claims(r);
  ASSERT_TRUE(claims.contains("x-ms-policy")) << claims.dump();
  ASSERT_OK_AND_ASSIGN(
      control::PolicyDocument doc,
      control::DecodePolicyDocument(claims["x-ms-policy"].get<std::string>()));
  EXPECT_EQ(doc.policy_text(), verifier_->policies().Get("Tpm")->text);
}

// Vigil's REST extras: the audit trail, and backup/restore of the archive
// gRPC's ExportPolicies/ImportPolicies make, with the same role rules.
TEST_F(AdminRoutesTest, AuditExportAndImportOverRest) {
  ASSERT_OK(Start(admin::Mode::kAuthenticated));
  ASSERT_OK_AND_ASSIGN(const std::string deny,
                       control::MakeUnsignedPolicyJws(kDenyAll));
  ASSERT_EQ(Call("PUT", "/policies/Tpm", Contributor(), deny).status, 200);

  // Export: a reader's call; the archive and its checksum.
  Reply exported = Call("GET", "/policies:export", Reader());
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_EQ(exported.json.value("format", ""), "vigil-policy-backup");
  const std::string sha = exported.json.value("sha256", "");
  EXPECT_FALSE(sha.empty());
  ASSERT_TRUE(exported.headers.count("X-Vigil-Archive-Sha256"));
  EXPECT_EQ(exported.headers.find("X-Vigil-Archive-Sha256")->second, sha);

  // The policy changes; a dry-run import says it would set it back and
  // changes nothing; a reader may not import at all.
  ASSERT_OK_AND_ASSIGN(const std::string permit,
                       control::MakeUnsignedPolicyJws(kPermitAll));
  ASSERT_EQ(Call("PUT", "/policies/Tpm", Contributor(), permit).status, 200);
  Reply plan = Call("POST", "/policies:import?dryRun=true", Contributor(),
                    exported.body, "application/json");
  ASSERT_EQ(plan.status, 200) << plan.body;
  EXPECT_FALSE(plan.json.value("applied", true));
  EXPECT_EQ(plan.json.value("archiveSha256", ""), sha);
  ASSERT_FALSE(plan.json["policies"].empty()) << plan.body;
  EXPECT_EQ(plan.json["policies"][0].value("action", ""), "set");
  EXPECT_EQ(verifier_->policies().Get("Tpm")->text, kPermitAll);
  EXPECT_EQ(Call("POST", "/policies:import", Reader(), exported.body,
                 "application/json")
                .status,
            403);
  EXPECT_EQ(verifier_->policies().Get("Tpm")->text, kPermitAll);

  // A damaged archive: 400 naming the field, nothing changed.
  std::string damaged = exported.body;
  damaged.replace(damaged.find("vigil-policy-backup"), 5, "xigil");
  Reply bad = Call("POST", "/policies:import", Contributor(), damaged,
                   "application/json");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_THAT(bad.json["error"].value("message", ""), HasSubstr("format"));
  EXPECT_EQ(verifier_->policies().Get("Tpm")->text, kPermitAll);

  // The real import restores the exported policy.
  Reply applied = Call("POST", "/policies:import", Contributor(), exported.body,
                       "application/json");
  ASSERT_EQ(applied.status, 200) << applied.body;
  EXPECT_TRUE(applied.json.value("applied", false));
  EXPECT_EQ(verifier_->policies().Get("Tpm")->text, kDenyAll);

  // The audit trail: filtered, paged, oldest first; bad parameters named.
  Reply sets =
      Call("GET", "/audit?action=policy_set&order=oldest&limit=2", Reader());
  ASSERT_EQ(sets.status, 200) << sets.body;
  ASSERT_EQ(sets.json["events"].size(), 2u) << sets.body;
  EXPECT_EQ(sets.json["events"][0].value("action", ""), "policy_set");
  EXPECT_EQ(sets.json["events"][0].value("attestationType", ""), "Tpm");
  EXPECT_LT(sets.json["events"][0].value("id", 0),
            sets.json["events"][1].value("id", 0));
  ASSERT_TRUE(sets.json.contains("nextAfterId"));
  Reply rest = Call("GET",
                    absl::StrCat("/audit?action=policy_set&order=oldest&after=",
                                 sets.json["nextAfterId"].get<int64_t>()),
                    Reader());
  ASSERT_EQ(rest.status, 200) << rest.body;
  EXPECT_EQ(rest.json["events"].size(), 1u) << rest.body;  // the import's
  Reply exports = Call("GET", "/audit?action=policy_export", Reader());
  EXPECT_EQ(exports.json["events"].size(), 1u) << exports.body;
  for (const char* query :
       {"/audit?limit=0", "/audit?limit=10001", "/audit?since=yesterday",
        "/audit?action=jump", "/audit?order=sideways"}) {
    Reply r = Call("GET", query, Reader());
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
  }
  EXPECT_EQ(Call("GET", "/audit").status, 401);
  EXPECT_EQ(Call("POST", "/audit", Reader(), "{}").status, 405);
}

// POST /policies/{type}:dryrun: a candidate over a claim set or a device's
// kept claims, beside the policy in force; nothing installed.
TEST_F(AdminRoutesTest, DryRunOverRestEvaluatesWithoutInstalling) {
  ASSERT_OK(Start(admin::Mode::kAuthenticated));
  const std::string before = verifier_->policies().Get("Tpm")->text;
  const token::Json claims =
      token::Json::parse(R"([{"type": "secureBootEnabled", "value": true}])");
  token::Json body{{"policy", kDenyAll}, {"claims", claims}};
  Reply r = Call("POST", "/policies/Tpm:dryrun", Reader(), body.dump(),
                 "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json.value("permitted", true));
  EXPECT_TRUE(r.json["current"].value("permitted", false));  // the default
  EXPECT_FALSE(r.json.contains("source"));
  EXPECT_EQ(verifier_->policies().Get("Tpm")->text, before);

  ASSERT_OK_AND_ASSIGN(const std::string jws,
                       control::MakeUnsignedPolicyJws(kPermitAll));
  body = {{"policyJws", jws}, {"claims", claims}};
  r = Call("POST", "/policies/Tpm:dryrun", Reader(), body.dump(),
           "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json.value("permitted", false));

  // A device this verifier has no claims for; malformed requests.
  body = {{"policy", kDenyAll}, {"deviceId", std::string(64, 'a')}};
  r = Call("POST", "/policies/Tpm:dryrun", Reader(), body.dump(),
           "application/json");
  EXPECT_EQ(r.status, 404) << r.body;
  const std::pair<token::Json, const char*> bad[] = {
      {{{"policy", kDenyAll}}, "want exactly one of them"},
      {{{"policy", kDenyAll}, {"claims", claims}, {"deviceId", "ab"}},
       "want exactly one of them"},
      {{{"claims", claims}}, "candidate"},
      {{{"policy", kDenyAll}, {"deviceId", "ABC"}}, "device_id"},
      {{{"policy", kDenyAll}, {"claims", "x"}}, "claims: want a JSON array"},
      {{{"policy", "version=9.9; authorizationrules { => permit(); };"},
        {"claims", claims}},
       "version"},
      {{{"policy", kDenyAll}, {"claims", claims}, {"extra", "1"}},
       "extra: unknown field"}};
  for (const auto& [b, want] : bad) {
    r = Call("POST", "/policies/Tpm:dryrun", Reader(), b.dump(),
             "application/json");
    EXPECT_EQ(r.status, 400) << b.dump() << ": " << r.body;
    EXPECT_THAT(r.json["error"].value("message", ""), HasSubstr(want))
        << b.dump();
  }
  r = Call("POST", "/policies/Tpm:dryrun", Reader(), "not json", "text/plain");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Call("GET", "/policies/Tpm:dryrun", Reader()).status, 405);
}

TEST_F(AdminRoutesTest, ContributorSetsGetsAndResetsUnsignedPolicies) {
  ASSERT_OK(Start(admin::Mode::kAuthenticated));
  const std::string default_text = verifier_->policies().Get("Tpm")->text;
  ASSERT_OK_AND_ASSIGN(const std::string jws,
                       control::MakeUnsignedPolicyJws(kDenyAll));
  ASSERT_OK_AND_ASSIGN(control::PolicyDocument sent,
                       control::DecodePolicyDocument(jws));

  // As Azure's SDKs send it: the JWS as text/plain.
  Reply r = Call("PUT", "/policies/Tpm?api-version=2020-10-01", Contributor(),
                 jws, "text/plain");
  token::Json claims = Claims(r);
  EXPECT_EQ(claims.value("x-ms-policy-result", ""), "Updated");
  EXPECT_EQ(claims.value("x-ms-policy-token-hash", ""), sent.token_hash());
  EXPECT_FALSE(claims.contains("x-ms-policy-signer"));  // unsigned
  EXPECT_EQ(verifier_->policies().Get("Tpm")->text, kDenyAll);

  r = Call("GET", "/policies/Tpm", Reader());
  EXPECT_EQ(Claims(r).value("x-ms-policy", ""), jws);

  // Or as a JSON string; a second version.
  ASSERT_OK_AND_ASSIGN(const std::string permit,
                       control::MakeUnsignedPolicyJws(kPermitAll));
  r = Call("PUT", "/policies/Tpm", Contributor(),
           token::Json(permit).dump() + "\n", "application/json");
  EXPECT_EQ(Claims(r).value("x-ms-policy-result", ""), "Updated");
  EXPECT_EQ(verifier_->policies().Get("Tpm")->text, kPermitAll);

  r = Call("GET", "/policies/Tpm/history?limit=10", Reader());
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["entries"].size(), 2u) << r.body;
  EXPECT_EQ(r.json["entries"][0].value("version", 0), 2);
  EXPECT_EQ(r.json["entries"][1].value("actor", ""), "oidc:ops");
  EXPECT_EQ(r.json["entries"][1].value("tokenHash", ""), sent.token_hash());

  r = Call("POST", "/policies/Tpm:reset?api-version=2022-08-01", Contributor(),
           control::MakeUnsignedResetJws());
  EXPECT_EQ(Claims(r).value("x-ms-policy-result", ""), "Removed");
  EXPECT_EQ(verifier_->policies().Get("Tpm")->text, default_text);
  r = Call("GET", "/policies/Tpm", Reader());
  ASSERT_OK_AND_ASSIGN(
      control::PolicyDocument now,
      control::DecodePolicyDocument(Claims(r).value("x-ms-policy", "")));
  EXPECT_EQ(now.policy_text(), default_text);
}

TEST_F(AdminRoutesTest, CertificatesAreListedAddedAndRemovedInIsolatedMode) {
  const TestSigner first = TestSigner::Make("RSA-2048", "first signer");
  const TestSigner second = TestSigner::Make("P-256", "second signer");
  ASSERT_OK(Start(admin::Mode::kIsolated, {first.cert}));

  Reply r = Call("GET", "/certificates?api-version=2022-08-01", Reader());
  token::Json claims = Claims(r);
  ASSERT_EQ(claims["x-ms-policy-certificates"]["keys"].size(), 1u)
      << claims.dump();

  // Azure's certificate routes take the JWS as a JSON string literal.
  ASSERT_OK_AND_ASSIGN(const std::string add, control::MakeCertificateChangeJws(
                                                  second.cert, first.key));
  r = Call("POST", "/certificates:add", Contributor(), token::Json(add).dump(),
           "application/json");
  claims = Claims(r);
  EXPECT_EQ(claims.value("x-ms-policycertificates-result", ""), "IsPresent");
  EXPECT_EQ(claims.value("x-ms-certificate-thumbprint", "").size(), 40u);
  r = Call("GET", "/certificates", Reader());
  EXPECT_EQ(Claims(r)["x-ms-policy-certificates"]["keys"].size(), 2u);

  ASSERT_OK_AND_ASSIGN(
      const std::string remove_first,
      control::MakeCertificateChangeJws(first.cert, second.key));
  r = Call("POST", "/certificates:remove", Contributor(), remove_first);
  EXPECT_EQ(Claims(r).value("x-ms-policycertificates-result", ""), "IsAbsent");

  // The last certificate stays: a conflict with the state, 409.
  ASSERT_OK_AND_ASSIGN(
      const std::string remove_last,
      control::MakeCertificateChangeJws(second.cert, second.key));
  r = Call("POST", "/certificates:remove", Contributor(), remove_last);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.ErrorCode(), "Conflict");
  EXPECT_THAT(r.ErrorMessage(), HasSubstr("last"));

  // Isolated mode: an unsigned policy is refused (403), a signed one set.
  r = Call("PUT", "/policies/Tpm", Contributor(),
           *control::MakeUnsignedPolicyJws(kDenyAll));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.ErrorCode(), "Forbidden");
  r = Call("PUT", "/policies/Tpm", Contributor(),
           *control::MakeSignedPolicyJws(kDenyAll, second.key));
  EXPECT_EQ(Claims(r).value("x-ms-policy-result", ""), "Updated");
  EXPECT_TRUE(Claims(r).contains("x-ms-policy-signer"));
}

TEST_F(AdminRoutesTest, RefusalsHaveAzuresStatusesAndOneLineErrors) {
  ASSERT_OK(Start(admin::Mode::kAuthenticated));
  const std::string jws = *control::MakeUnsignedPolicyJws(kDenyAll);

  // No credential: 401 with the scheme to use, and audited.
  const size_t denied = AuditCount(store::AuditAction::kAuthDenied);
  Reply r = Call("PUT", "/policies/Tpm", "", jws);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("WWW-Authenticate"), "Bearer realm=\"vigil\"");
  EXPECT_EQ(r.ErrorCode(), "Unauthorized");
  EXPECT_THAT(r.ErrorMessage(), HasSubstr("no credential"));
  EXPECT_EQ(AuditCount(store::AuditAction::kAuthDenied), denied + 1);
  r = Call("GET", "/policies/Tpm", "Bearer not.a.token");
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.Header("WWW-Authenticate"), HasSubstr("invalid_token"));
  clock_.Advance(absl::Hours(2));
  const std::string stale = Contributor();
  clock_.Advance(absl::Hours(2));
  r = Call("GET", "/policies/Tpm", stale);
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.ErrorMessage(), HasSubstr("expired"));

  // A reader may not set: 403, and nothing changed.
  const std::string before = verifier_->policies().Get("Tpm")->text;
  r = Call("PUT", "/policies/Tpm", Reader(), jws);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.ErrorCode(), "Forbidden");
  EXPECT_THAT(r.ErrorMessage(), HasSubstr("contributor role required"));
  EXPECT_EQ(verifier_->policies().Get("Tpm")->text, before);

  // Malformed: 400 naming the problem, on one line.
  r = Call("PUT", "/policies/Tpm", Contributor(), "not-a-jws");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.ErrorCode(), "InvalidParameter");
  EXPECT_FALSE(r.ErrorMessage().empty());
  r = Call("PUT", "/policies/Tpm", Contributor(), "{\"policy\": 1}",
           "application/json");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.ErrorMessage(), HasSubstr("want the JWS as text or as a JSON"));
  r = Call("PUT", "/policies/Tpm", Contributor(), "");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.ErrorMessage(), HasSubstr("body: missing"));
  r = Call("PUT", "/policies/Tpm", Contributor(),
           *control::MakeUnsignedPolicyJws(
               "version=1.0; authorizationrules { => permit() };"));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.ErrorMessage(),
              HasSubstr("Tpm.policy:1:46: error: expected ';'"));
  EXPECT_THAT(r.ErrorMessage(), Not(HasSubstr("^")));
  EXPECT_THAT(r.ErrorMessage(), Not(HasSubstr("\n")));
  EXPECT_EQ(verifier_->policies().Get("Tpm")->text, before);

  // Unknown type: 404.
  r = Call("GET", "/policies/NoSuchType", Reader());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.ErrorCode(), "NotFound");

  // Too large: 413, whether the route or httplib's limit sees it first.
  r = Call("PUT", "/policies/Tpm", Contributor(),
           std::string(admin::kMaxAdminJwsBytes + 1, 'a'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.ErrorCode(), "PayloadTooLarge");
  r = Call("PUT", "/policies/Tpm", Contributor(),
           std::string(kMaxAdminBodyBytes + 1, 'a'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.ErrorCode(), "PayloadTooLarge");

  // Bodies only with a Content-Length (httplib would read chunked and
  // compressed bodies without a limit): refused from the headers alone,
  // before any body byte is read.
  const std::string head = absl::StrCat(
      "PUT /policies/Tpm HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ",
      Contributor(), "\r\nContent-Type: text/plain\r\n");
  std::string answer =
      RawExchange(absl::StrCat(head, "Transfer-Encoding: chunked\r\n\r\n"));
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 411 "));
  EXPECT_THAT(answer, HasSubstr("\"LengthRequired\""));
  answer = RawExchange(absl::StrCat(
      head, "Content-Encoding: gzip\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 415 "));
  EXPECT_THAT(answer, HasSubstr("\"UnsupportedMediaType\""));
  r = Call("PUT", "/policies/Tpm", Contributor(), jws);
  EXPECT_EQ(r.status, 200) << r.body;  // the endpoint still serves

  // Wrong method on a known route: 405 with Allow.
  r = Call("DELETE", "/policies/Tpm", Contributor());
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET, PUT");
  r = Call("GET", "/certificates:add", Reader());
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "POST");
  EXPECT_EQ(r.ErrorCode(), "MethodNotAllowed");
  r = Call("POST", "/certificates", Contributor(), "x");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET");
  r = Call("OPTIONS", "/policies/Tpm:reset");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("Allow"), "POST, OPTIONS");

  // api-version: absent or one whose wire format this mirrors.
  r = Call("GET", "/policies/Tpm?api-version=2018-09-01-preview", Reader());
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.ErrorMessage(), HasSubstr("api-version"));
  EXPECT_THAT(r.ErrorMessage(), HasSubstr("2022-08-01"));
  r = Call("GET", "/policies/Tpm?api-version=2022-09-01-preview", Reader());
  EXPECT_EQ(r.status, 200);

  // Not a route at all: 404 in the same error shape.
  r = Call("GET", "/no/such/thing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.ErrorCode(), "NotFound");
}

TEST_F(AdminRoutesTest, WithoutAControlPlaneThereAreNoAdminRoutes) {
  ASSERT_OK_AND_ASSIGN(endpoint_, RelyingPartyEndpoint::Start(
                                      verifier_.get(), "127.0.0.1:0", "", "",
                                      /*insecure=*/true));
  Reply r = Call("GET", "/policies/Tpm", Reader());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.ErrorCode(), "NotFound");
  r = Call("PUT", "/policies/Tpm", Contributor(), "x");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Call("GET", "/certs").status, 200);
}

// Over TLS, client certificates verified against admin_client_ca map to
// roles by the same rules as on the gRPC admin listener; relying parties
// without one are still served.
TEST_F(AdminRoutesTest, ClientCertificatesOverTlsMapToRoles) {
  const TempDir& d = *dir_;
  ASSERT_OK(::vigil::testing::MakeCaFiles(d, "ca"));
  ASSERT_OK(::vigil::testing::IssueFiles(d, "ca", "server",
                                         ::vigil::testing::kLoopbackSan));
  ASSERT_OK(::vigil::testing::IssueFiles(d, "ca", "ops"));
  ASSERT_OK(::vigil::testing::IssueFiles(d, "ca", "stranger"));
  ASSERT_OK(Start(admin::Mode::kAuthenticated, {}, "subject:CN=ops,O=Example",
                  /*tls=*/true));
  auto client = [&](const std::string& who) {
    auto c = who.empty() ? std::make_unique<httplib::SSLClient>(
                               "127.0.0.1", endpoint_->port())
                         : std::make_unique<httplib::SSLClient>(
                               "127.0.0.1", endpoint_->port(),
                               d.Join(who + ".pem"), d.Join(who + ".key"));
    c->set_ca_cert_path(d.Join("ca.pem"));
    c->enable_server_certificate_verification(true);
    return c;
  };
  const std::string jws = *control::MakeUnsignedPolicyJws(kDenyAll);
  auto ops = client("ops");
  Reply r = Send(*ops, "PUT", "/policies/Tpm", "", jws, "text/plain");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(verifier_->policies().Get("Tpm")->text, kDenyAll);
  auto stranger = client("stranger");
  r = Send(*stranger, "GET", "/policies/Tpm", "", "", "");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_THAT(r.ErrorMessage(), HasSubstr("cert:CN=stranger,O=Example"));
  auto anonymous = client("");
  r = Send(*anonymous, "GET", "/policies/Tpm", "", "", "");
  EXPECT_EQ(r.status, 401) << r.body;
  r = Send(*anonymous, "GET", "/certs", "", "", "");
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
}  // namespace vigil::service
