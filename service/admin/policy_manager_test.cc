#include "service/admin/policy_manager.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/control/jws_writer.h"
#include "service/control/testing/test_pki.h"
#include "service/store/sqlite_store.h"
#include "service/token/jwks.h"
#include "service/token/jwt_verifier.h"
#include "service/token/key_ring.h"
#include "service/token/signing_key.h"

namespace vigil::service::admin {
namespace {

using ::testing::HasSubstr;
using ::vigil::control::testing::TestSigner;
using ::vigil::testing::StatusIs;

constexpr char kIssuer[] = "https://verifier.example";
constexpr char kDenyAll[] =
    "version=1.0; authorizationrules { => deny(); }; issuancerules {};";
constexpr char kPermitAll[] =
    "version=1.0; authorizationrules { => permit(); }; issuancerules {};";

const auth::Caller kContributor{"cert:CN=ops", auth::Role::kContributor, "mtls",
                                "ipv4:10.0.0.2:5000"};
const auth::Caller kReader{"cert:CN=auditor", auth::Role::kReader, "mtls",
                           "ipv4:10.0.0.3:5000"};
const auth::Caller kAgent{"cert:CN=host-1", auth::Role::kAgent, "mtls", ""};

std::string Unsigned(const std::string& text) {
  absl::StatusOr<std::string> jws = control::MakeUnsignedPolicyJws(text);
  EXPECT_TRUE(jws.ok()) << jws.status();
  return *jws;
}

std::string SignedBy(const TestSigner& s, const std::string& text) {
  absl::StatusOr<std::string> jws = control::MakeSignedPolicyJws(text, s.key);
  EXPECT_TRUE(jws.ok()) << jws.status();
  return *jws;
}

class PolicyManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        ::testing::TempDir(), "/policy_manager_", getpid(), "_",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ASSERT_OK_AND_ASSIGN(token::SigningKey key, token::SigningKey::Generate());
    ASSERT_OK_AND_ASSIGN(ring_, token::KeyRing::Create(std::move(key), clock_));
  }
  void TearDown() override {
    manager_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Opens the store (the same file each time) and a manager in `mode`.
  absl::Status Start(Mode mode,
                     std::vector<token::X509Certificate> signers = {}) {
    manager_.reset();
    store_.reset();
    store::SqliteStoreOptions o;
    o.path = dir_ + "/store.db";
    ASSIGN_OR_RETURN(store_, store::SqliteStore::Open(o));
    ManagerOptions m;
    m.mode = mode;
    m.issuer = kIssuer;
    ASSIGN_OR_RETURN(manager_, PolicyManager::Create(
                                   m, store_.get(), &policies_, ring_.get(),
                                   clock_, std::move(signers)));
    return absl::OkStatus();
  }

  // The claims of a response token, verified with the verifier's JWKS.
  token::Json Claims(const std::string& jwt) {
    absl::StatusOr<token::Jwks> jwks = token::Jwks::Parse(ring_->JwksJson());
    absl::StatusOr<token::JwtVerifier> v = token::JwtVerifierBuilder()
                                               .SetJwks(*jwks)
                                               .ExpectIssuer(kIssuer)
                                               .SetClock(clock_)
                                               .Build();
    absl::StatusOr<token::VerifiedJwt> t = v->Verify(jwt);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? t->claims() : token::Json();
  }

  std::vector<store::AuditEntry> Audit(store::AuditAction action) {
    store::AuditQuery q;
    q.action = action;
    absl::StatusOr<std::vector<store::AuditEntry>> r = store_->QueryAudit(q);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<store::AuditEntry>{};
  }

  ::vigil::testing::FakeClock clock_{
      absl::FromUnixSeconds(control::testing::kNow)};
  std::unique_ptr<token::KeyRing> ring_;
  PolicySet policies_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<PolicyManager> manager_;
  std::string dir_;
};

TEST_F(PolicyManagerTest, OpenModeRefusesChangesAndServesDefaults) {
  ASSERT_OK(Start(Mode::kOpen));
  EXPECT_THAT(
      manager_->SetPolicy(kContributor, "Tpm", Unsigned(kDenyAll)),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("open mode")));
  ASSERT_OK_AND_ASSIGN(PolicyView v, manager_->GetPolicy(kReader, "Tpm"));
  EXPECT_TRUE(v.is_default);
  EXPECT_EQ(v.text, kDefaultTpmPolicy);
  EXPECT_EQ(Claims(v.token)["x-ms-policy"], v.jws);
  ASSERT_EQ(Audit(store::AuditAction::kPolicySet).size(), 1u);
  EXPECT_EQ(Audit(store::AuditAction::kPolicySet)[0].event.result,
            store::AuditResult::kDenied);
}

TEST_F(PolicyManagerTest, AuthenticatedModeTakesUnsignedFromAContributor) {
  ASSERT_OK(Start(Mode::kAuthenticated));
  const std::string jws = Unsigned(kDenyAll);
  ASSERT_OK_AND_ASSIGN(PolicyChangeView c,
                       manager_->SetPolicy(kContributor, "Tpm", jws));
  EXPECT_EQ(c.version, 1);
  EXPECT_EQ(c.result, control::PolicyModification::kUpdated);
  // In force at once, and the answer is Azure's PolicyResult.
  EXPECT_EQ(policies_.Get("Tpm")->text, kDenyAll);
  const token::Json r = Claims(c.token);
  EXPECT_EQ(r["x-ms-policy-result"], "Updated");
  EXPECT_EQ(r["x-ms-policy-token-hash"], c.token_hash);
  EXPECT_FALSE(r.contains("x-ms-policy-signer"));
  // Get returns the JWS as set.
  ASSERT_OK_AND_ASSIGN(PolicyView v, manager_->GetPolicy(kReader, "Tpm"));
  EXPECT_FALSE(v.is_default);
  EXPECT_EQ(v.jws, jws);
  EXPECT_EQ(v.version, 1);
  // Readers and agents may not set; each refusal is audited.
  EXPECT_THAT(manager_->SetPolicy(kReader, "Tpm", jws),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("contributor role required")));
  EXPECT_THAT(manager_->GetPolicy(kAgent, "Tpm"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("reader role required")));
  const auto sets = Audit(store::AuditAction::kPolicySet);
  ASSERT_EQ(sets.size(), 2u);  // newest first
  EXPECT_EQ(sets[0].event.result, store::AuditResult::kDenied);
  EXPECT_EQ(sets[1].event.result, store::AuditResult::kSuccess);
  EXPECT_EQ(sets[1].event.actor.identity, "cert:CN=ops");
  EXPECT_EQ(sets[1].event.policy_hash, v.policy_hash);

  // Reset: back to the default, reported as Removed.
  ASSERT_OK_AND_ASSIGN(PolicyChangeView reset,
                       manager_->ResetPolicy(kContributor, "Tpm",
                                             control::MakeUnsignedResetJws()));
  EXPECT_EQ(reset.result, control::PolicyModification::kRemoved);
  EXPECT_EQ(Claims(reset.token)["x-ms-policy-result"], "Removed");
  EXPECT_EQ(policies_.Get("Tpm")->text, kDefaultTpmPolicy);
}

TEST_F(PolicyManagerTest, APolicyWithErrorsIsRefusedWithLineAndColumn) {
  ASSERT_OK(Start(Mode::kAuthenticated));
  ASSERT_OK(
      manager_->SetPolicy(kContributor, "Tpm", Unsigned(kDenyAll)).status());
  EXPECT_THAT(
      manager_->SetPolicy(
          kContributor, "Tpm",
          Unsigned("version=1.0;\nauthorizationrules {\n  = permit()\n};")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Tpm.policy:3:")));
  EXPECT_EQ(policies_.Get("Tpm")->text, kDenyAll);  // the old one stays
  // Garbage, and a reset sent to set: refused as invalid.
  EXPECT_THAT(manager_->SetPolicy(kContributor, "Tpm", "not a jws"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(
      manager_->SetPolicy(kContributor, "Tpm", control::MakeUnsignedResetJws()),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("use reset")));
}

TEST_F(PolicyManagerTest, IsolatedModeAcceptsOnlyTrustedSigners) {
  const TestSigner trusted = TestSigner::Make("RSA-2048", "policy signer");
  const TestSigner stranger = TestSigner::Make("P-256", "stranger");
  EXPECT_THAT(Start(Mode::kIsolated),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("at least one policy-management")));
  ASSERT_OK(Start(Mode::kIsolated, {trusted.cert}));
  EXPECT_THAT(
      manager_->SetPolicy(kContributor, "Tpm", Unsigned(kDenyAll)),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("unsigned")));
  EXPECT_THAT(
      manager_->SetPolicy(kContributor, "Tpm", SignedBy(stranger, kDenyAll)),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("stranger")));
  EXPECT_EQ(policies_.Get("Tpm")->text, kDefaultTpmPolicy);
  ASSERT_OK_AND_ASSIGN(
      PolicyChangeView c,
      manager_->SetPolicy(kContributor, "Tpm", SignedBy(trusted, kDenyAll)));
  const token::Json r = Claims(c.token);
  ASSERT_TRUE(r.contains("x-ms-policy-signer"));
  EXPECT_EQ(r["x-ms-policy-signer"]["kty"], "RSA");
  EXPECT_EQ(policies_.Get("Tpm")->text, kDenyAll);
  // A signed reset from the trusted signer; an unsigned one is refused.
  EXPECT_THAT(manager_->ResetPolicy(kContributor, "Tpm",
                                    control::MakeUnsignedResetJws()),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  ASSERT_OK_AND_ASSIGN(std::string signed_reset,
                       control::MakeSignedResetJws(trusted.key));
  ASSERT_OK(manager_->ResetPolicy(kContributor, "Tpm", signed_reset).status());
}

TEST_F(PolicyManagerTest,
       CertificatesChangeOnlyBySignedRequestsAndNeverToZero) {
  const TestSigner first = TestSigner::Make("RSA-2048", "first signer");
  const TestSigner second = TestSigner::Make("P-256", "second signer");
  ASSERT_OK(Start(Mode::kIsolated, {first.cert}));
  ASSERT_OK_AND_ASSIGN(
      std::string add_second,
      control::MakeCertificateChangeJws(second.cert, first.key));
  ASSERT_OK_AND_ASSIGN(CertificateChangeView added,
                       manager_->AddCertificate(kContributor, add_second));
  EXPECT_EQ(added.result, control::CertificateModification::kIsPresent);
  EXPECT_EQ(Claims(added.token)["x-ms-policycertificates-result"], "IsPresent");
  ASSERT_OK_AND_ASSIGN(CertificateListView list,
                       manager_->ListCertificates(kReader));
  ASSERT_EQ(list.certificates.size(), 2u);
  EXPECT_EQ(Claims(list.token)["x-ms-policy-certificates"]["keys"].size(), 2u);
  // The second signer may now sign policies.
  ASSERT_OK(
      manager_->SetPolicy(kContributor, "Tpm", SignedBy(second, kPermitAll))
          .status());
  // It removes the first; the last one cannot go.
  ASSERT_OK_AND_ASSIGN(
      std::string remove_first,
      control::MakeCertificateChangeJws(first.cert, second.key));
  ASSERT_OK_AND_ASSIGN(CertificateChangeView removed,
                       manager_->RemoveCertificate(kContributor, remove_first));
  EXPECT_EQ(removed.result, control::CertificateModification::kIsAbsent);
  ASSERT_OK_AND_ASSIGN(
      std::string remove_second,
      control::MakeCertificateChangeJws(second.cert, second.key));
  EXPECT_THAT(
      manager_->RemoveCertificate(kContributor, remove_second),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("last")));
  // The removed signer is no longer trusted.
  EXPECT_THAT(
      manager_->SetPolicy(kContributor, "Tpm", SignedBy(first, kDenyAll)),
      StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
}

TEST_F(PolicyManagerTest, ConcurrentSetsAreNeverTornAndLastWriterWins) {
  ASSERT_OK(Start(Mode::kAuthenticated));
  std::vector<std::thread> writers;
  std::vector<std::string> texts;
  for (int i = 0; i < 8; ++i) {
    texts.push_back(absl::StrCat(
        "version=1.0; authorizationrules { => permit(); }; issuancerules { "
        "=> issue(type=\"writer\", value=",
        i, "); };"));
  }
  for (int i = 0; i < 8; ++i) {
    writers.emplace_back([this, &texts, i] {
      EXPECT_OK(manager_->SetPolicy(kContributor, "Tpm", Unsigned(texts[i]))
                    .status());
    });
  }
  for (std::thread& t : writers) t.join();
  ASSERT_OK_AND_ASSIGN(store::PolicyVersion cur, store_->CurrentPolicy("Tpm"));
  EXPECT_EQ(cur.version, 8);
  // What is in force is whole, and is the stored current version's text
  // (an older set finishing last never replaces a newer one).
  EXPECT_EQ(policies_.Get("Tpm")->text, *cur.change.policy_text);
  EXPECT_EQ(policies_.Get("Tpm")->source, "control plane v8");
}

TEST_F(PolicyManagerTest, ExpectedVersionMakesASetConditional) {
  ASSERT_OK(Start(Mode::kAuthenticated));
  ASSERT_OK(
      manager_->SetPolicy(kContributor, "Tpm", Unsigned(kDenyAll), 0).status());
  EXPECT_THAT(
      manager_->SetPolicy(kContributor, "Tpm", Unsigned(kPermitAll), 0),
      StatusIs(absl::StatusCode::kAborted, HasSubstr("current version is 1")));
  ASSERT_OK(manager_->SetPolicy(kContributor, "Tpm", Unsigned(kPermitAll), 1)
                .status());
}

// A second verifier on the same store (a replica) picks the change up in
// Sync; a restarted verifier starts with the stored policies in force.
TEST_F(PolicyManagerTest, ReplicasAndRestartsSeeTheStoredPolicy) {
  ASSERT_OK(Start(Mode::kAuthenticated));
  store::SqliteStoreOptions o;
  o.path = dir_ + "/store.db";
  ASSERT_OK_AND_ASSIGN(auto replica_store, store::SqliteStore::Open(o));
  PolicySet replica_policies;
  ManagerOptions m;
  m.issuer = kIssuer;
  ASSERT_OK_AND_ASSIGN(
      auto replica,
      PolicyManager::Create(m, replica_store.get(), &replica_policies,
                            ring_.get(), clock_, {}));
  ASSERT_OK(
      manager_->SetPolicy(kContributor, "Tpm", Unsigned(kDenyAll)).status());
  EXPECT_EQ(replica_policies.Get("Tpm")->text, kDefaultTpmPolicy);
  ASSERT_OK(replica->Sync());
  EXPECT_EQ(replica_policies.Get("Tpm")->text, kDenyAll);

  policies_.Reset("Tpm", clock_.Now());  // forget, as a restart would
  ASSERT_OK(Start(Mode::kAuthenticated));
  EXPECT_EQ(policies_.Get("Tpm")->text, kDenyAll);
}

TEST_F(PolicyManagerTest, DryRunComparesWithoutInstalling) {
  ASSERT_OK(Start(Mode::kAuthenticated));
  policy::ClaimSet claims;
  claims.Add("secureBootEnabled", policy::Value::Bool(false));
  ASSERT_OK_AND_ASSIGN(
      DryRunView d,
      manager_->DryRun(
          kReader, "Tpm",
          "version=1.0; authorizationrules { c:[type==\"secureBootEnabled\", "
          "value==true] => permit(); }; issuancerules {};",
          claims));
  EXPECT_FALSE(d.permitted);
  EXPECT_TRUE(d.current_permitted);  // the default permits
  EXPECT_EQ(policies_.Get("Tpm")->text, kDefaultTpmPolicy);
  EXPECT_THAT(d.trace_json, HasSubstr("secureBootEnabled"));
  EXPECT_THAT(manager_->DryRun(kReader, "Tpm", "version=1.0; nonsense", claims),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST_F(PolicyManagerTest, ReadingTheAuditTrailIsAudited) {
  ASSERT_OK(Start(Mode::kAuthenticated));
  ASSERT_OK(
      manager_->SetPolicy(kContributor, "Tpm", Unsigned(kDenyAll)).status());
  store::AuditQuery q;
  q.action = store::AuditAction::kPolicySet;
  ASSERT_OK_AND_ASSIGN(auto found, manager_->QueryAudit(kReader, q));
  EXPECT_EQ(found.size(), 1u);
  EXPECT_EQ(Audit(store::AuditAction::kAuditRead).size(), 1u);
  EXPECT_THAT(manager_->QueryAudit(kAgent, q),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
}

}  // namespace
}  // namespace vigil::service::admin
