#include "service/admin/policy_manager.h"

#include <unistd.h>

#include <filesystem>
#include <map>
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
#include "tpm/verify/testing/software_ak.h"

namespace vigil::service::admin {
namespace {

using ::testing::AllOf;
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
    m.events_from_log = events_from_log_;
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
  std::function<std::optional<policy::Value>(const std::string&,
                                             const std::string&)>
      events_from_log_;
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

// --- dry runs over a device's kept claims -----------------------------------

// A device's claims as the attestation core builds them: scalars, the
// read-only `pcrs` document and the lazily rendered `events`.
policy::ClaimSet DeviceClaimSet(bool secure_boot) {
  policy::ClaimSet c;
  c.Add("aikValidated", policy::Value::Bool(true));
  c.Add("tpmVersion", policy::Value::Int(2));
  c.Add("secureBootEnabled", policy::Value::Bool(secure_boot));
  c.Add("events", policy::Value::LazyJsonDocument([] {
          return jmespath::Json{{"Events", {1, 2}}};
        }));
  c.Add("pcrs", policy::Value::JsonDocument(
                    {{"PCRs", {{{"Index", 7}, {"Digest", "ab12"}}}}})
                    .set_read_only(true));
  return c;
}

// What the control plane's recorder writes for one attestation of `device`
// at `time` that carried `claims` (none: refused before claims were built).
absl::Status RecordAttestation(store::Store& store, const std::string& device,
                               absl::Time time, bool permitted,
                               const policy::ClaimSet* claims) {
  store::Store::AttestationWrite w;
  w.record.device_id = device;
  w.record.time = time;
  w.record.permitted = permitted;
  w.record.attestation_type = "Tpm";
  w.record.policy_hash = permitted ? "ph-permit" : "ph-deny";
  w.record.reasons_json = "[]";
  w.audit.time = time;
  w.audit.actor = {"device:" + device, store::Role::kAgent};
  w.audit.action = store::AuditAction::kAttestation;
  w.audit.attestation_type = "Tpm";
  w.audit.detail_json = "{}";
  if (claims != nullptr) {
    policy::WrittenClaims written = policy::WriteClaimsJson(*claims);
    w.claims =
        store::DeviceClaims{written.text, written.omitted, "aa11", "bb22"};
  }
  return store.RecordAttestations({w}).status();
}

absl::Status Enroll(store::Store& store, const std::string& device) {
  EnrolledDevice d;
  d.device_id = device;
  d.ek = tpm::testing::SoftwareAk().public_area();
  d.ak = d.ek;
  d.ak_name = {0x00, 0x0b, 0xaa};
  d.ek_issuer = "CN=test";
  return store.EnrollDevice(d);
}

// Permits only with Secure Boot, and issues PCR 7's digest (read from the
// JSON-valued `pcrs` claim) so the kept document is exercised too.
constexpr char kSecureBootOnly[] =
    "version=1.2; authorizationrules { c:[type==\"secureBootEnabled\", "
    "value==true] => permit(); }; issuancerules { c:[type==\"pcrs\"] => "
    "issue(type=\"pcr7\", value=JmesPath(c.value, \"PCRs[0].Digest\")); "
    "};";

TEST_F(PolicyManagerTest, DeviceDryRunDecidesAsTheClaimsItAttestedWith) {
  ASSERT_OK(Start(Mode::kAuthenticated));
  ASSERT_OK(Enroll(*store_, "dev1"));
  const policy::ClaimSet claims = DeviceClaimSet(false);
  const absl::Time t1 = clock_.Now();
  ASSERT_OK(RecordAttestation(*store_, "dev1", t1, true, &claims));

  ASSERT_OK_AND_ASSIGN(
      DryRunView direct,
      manager_->DryRun(kReader, "Tpm", kSecureBootOnly, claims));
  ASSERT_OK_AND_ASSIGN(
      DryRunView by_device,
      manager_->DryRunDevice(kReader, "Tpm", kSecureBootOnly, "dev1"));
  EXPECT_FALSE(by_device.permitted);
  EXPECT_EQ(by_device.permitted, direct.permitted);
  EXPECT_EQ(by_device.reason, direct.reason);
  EXPECT_EQ(by_device.issued_json, direct.issued_json);
  EXPECT_TRUE(by_device.current_permitted);  // the default policy
  ASSERT_TRUE(by_device.source.has_value());
  const ClaimsSource& from = *by_device.source;
  EXPECT_EQ(from.device_id, "dev1");
  EXPECT_TRUE(from.latest);
  EXPECT_EQ(from.attested_at, t1);
  EXPECT_TRUE(from.permitted);
  EXPECT_EQ(from.policy_hash, "ph-permit");
  EXPECT_THAT(from.omitted, ::testing::ElementsAre("events"));
  EXPECT_TRUE(from.rebuilt.empty());
  // The candidate tests only secureBootEnabled and pcrs: it decides as it
  // would with `events`.
  EXPECT_TRUE(from.omitted_read.empty());
  EXPECT_FALSE(direct.source.has_value());

  EXPECT_THAT(
      manager_->DryRunDevice(kReader, "Tpm", kSecureBootOnly, "nobody"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("device nobody")));
  EXPECT_THAT(
      manager_->DryRunDevice(kReader, "VbsEnclave", kPermitAll, "dev1"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("attestation_type: device dev1 attests as Tpm")));
  // Audited as DryRun: only a refusal.
  const size_t denied = Audit(store::AuditAction::kAuthDenied).size();
  EXPECT_THAT(manager_->DryRunDevice(kAgent, "Tpm", kPermitAll, "dev1"),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_EQ(Audit(store::AuditAction::kAuthDenied).size(), denied + 1);
}

TEST_F(PolicyManagerTest, DeviceDryRunSaysWhichAttestationTheClaimsAreFrom) {
  ASSERT_OK(Start(Mode::kAuthenticated));
  ASSERT_OK(Enroll(*store_, "dev1"));
  const policy::ClaimSet claims = DeviceClaimSet(true);
  const absl::Time t1 = clock_.Now();
  ASSERT_OK(RecordAttestation(*store_, "dev1", t1, true, &claims));
  // The same claims again (a second round of the same boot): not
  // rewritten, so they are still dated t1, but the latest attestation
  // (t2, denied by then) carried them.
  const absl::Time t2 = t1 + absl::Minutes(5);
  const policy::ClaimSet again = DeviceClaimSet(true);
  ASSERT_OK(RecordAttestation(*store_, "dev1", t2, false, &again));
  ASSERT_OK_AND_ASSIGN(
      DryRunView d,
      manager_->DryRunDevice(kReader, "Tpm", kSecureBootOnly, "dev1"));
  EXPECT_TRUE(d.permitted);
  EXPECT_THAT(d.issued_json, HasSubstr("ab12"));  // read from the kept pcrs
  EXPECT_TRUE(d.source->latest);
  EXPECT_EQ(d.source->attested_at, t2);
  EXPECT_FALSE(d.source->permitted);
  EXPECT_EQ(d.source->claims_since, t1);
  // A later attestation refused before claims were built: the claims are
  // the earlier ones, and the answer says so.
  const absl::Time t3 = t2 + absl::Minutes(5);
  ASSERT_OK(RecordAttestation(*store_, "dev1", t3, false, nullptr));
  ASSERT_OK_AND_ASSIGN(
      d, manager_->DryRunDevice(kReader, "Tpm", kSecureBootOnly, "dev1"));
  EXPECT_FALSE(d.source->latest);
  EXPECT_EQ(d.source->latest_at, t3);
  EXPECT_EQ(d.source->attested_at, t1);
  EXPECT_TRUE(d.source->permitted);
}

TEST_F(PolicyManagerTest, DeviceDryRunRebuildsEventsWhileTheLogIsHeld) {
  constexpr char kNeedsEvents[] =
      "version=1.0; authorizationrules { c:[type==\"events\"] => permit(); "
      "}; issuancerules {};";
  bool held = true;
  events_from_log_ =
      [&held](const std::string& log,
              const std::string& pcrs) -> std::optional<policy::Value> {
    if (!held || log != "aa11" || pcrs != "bb22") return std::nullopt;
    return policy::Value::JsonDocument({{"Events", jmespath::Json::array()}});
  };
  ASSERT_OK(Start(Mode::kAuthenticated));
  ASSERT_OK(Enroll(*store_, "dev1"));
  const policy::ClaimSet claims = DeviceClaimSet(true);
  ASSERT_OK(RecordAttestation(*store_, "dev1", clock_.Now(), true, &claims));
  ASSERT_OK_AND_ASSIGN(DryRunView d, manager_->DryRunDevice(
                                         kReader, "Tpm", kNeedsEvents, "dev1"));
  EXPECT_TRUE(d.permitted);
  EXPECT_THAT(d.source->rebuilt, ::testing::ElementsAre("events"));
  EXPECT_TRUE(d.source->omitted.empty());
  EXPECT_TRUE(d.source->omitted_read.empty());
  held = false;  // evicted from the verifier's cache
  ASSERT_OK_AND_ASSIGN(
      d, manager_->DryRunDevice(kReader, "Tpm", kNeedsEvents, "dev1"));
  EXPECT_FALSE(d.permitted);
  EXPECT_THAT(d.source->omitted, ::testing::ElementsAre("events"));
  EXPECT_THAT(d.source->omitted_read, ::testing::ElementsAre("events"));
  // The policy in force (the default) reads nothing; once it reads `events`
  // too, its compared decision lacked them as well, and the answer says so.
  EXPECT_TRUE(d.source->omitted_read_by_current.empty());
  ASSERT_OK(policies_.Set("Tpm", kNeedsEvents, "test", clock_.Now()));
  ASSERT_OK_AND_ASSIGN(
      d, manager_->DryRunDevice(kReader, "Tpm", kNeedsEvents, "dev1"));
  EXPECT_FALSE(d.current_permitted);
  EXPECT_THAT(d.source->omitted_read_by_current,
              ::testing::ElementsAre("events"));
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

// --- export and import (issue #6 §5) ----------------------------------------

// A second verifier: its own store file, policies and manager.
struct Target {
  std::unique_ptr<store::SqliteStore> store;
  PolicySet policies;
  std::unique_ptr<PolicyManager> manager;
};

class PolicyBackupTest : public PolicyManagerTest {
 protected:
  std::unique_ptr<Target> OpenTarget(
      Mode mode, std::vector<token::X509Certificate> signers = {},
      TrustMaterial trust = {}) {
    auto t = std::make_unique<Target>();
    store::SqliteStoreOptions o;
    o.path = absl::StrCat(dir_, "/target", targets_++, ".db");
    absl::StatusOr<std::unique_ptr<store::SqliteStore>> s =
        store::SqliteStore::Open(o);
    EXPECT_OK(s.status());
    if (!s.ok()) return nullptr;
    t->store = *std::move(s);
    ManagerOptions m;
    m.mode = mode;
    m.issuer = kIssuer;
    m.trust_material = [trust]() -> absl::StatusOr<TrustMaterial> {
      return trust;
    };
    absl::StatusOr<std::unique_ptr<PolicyManager>> pm =
        PolicyManager::Create(m, t->store.get(), &t->policies, ring_.get(),
                              clock_, std::move(signers));
    EXPECT_OK(pm.status());
    if (!pm.ok()) return nullptr;
    t->manager = *std::move(pm);
    return t;
  }

  int targets_ = 0;
};

TEST_F(PolicyBackupTest, ExportImportIntoAFreshStoreIsIdentical) {
  const TestSigner signer = TestSigner::Make("P-256", "policy signer");
  const TestSigner ek_root = TestSigner::Make("P-256", "EK root", {.ca = true});
  std::unique_ptr<Target> a =
      OpenTarget(Mode::kAuthenticated, {signer.cert},
                 TrustMaterial{{ek_root.der}, {signer.der}});
  ASSERT_NE(a, nullptr);
  const std::string signed_tpm = SignedBy(signer, kDenyAll);
  ASSERT_OK(a->manager->SetPolicy(kContributor, "Tpm", signed_tpm).status());
  ASSERT_OK(
      a->manager->SetPolicy(kContributor, "VbsEnclave", Unsigned(kPermitAll))
          .status());
  ASSERT_OK(a->manager->SetPolicy(kContributor, "Gone", Unsigned(kPermitAll))
                .status());
  ASSERT_OK(
      a->manager
          ->ResetPolicy(kContributor, "Gone", control::MakeUnsignedResetJws())
          .status());
  // A reader may export (a backup job needs no write access).
  ASSERT_OK_AND_ASSIGN(ExportView exported,
                       a->manager->ExportPolicies(kReader));
  EXPECT_EQ(exported.policies, 3u);
  EXPECT_EQ(exported.certificates, 1u);
  EXPECT_THAT(exported.archive, ::testing::Not(HasSubstr("PRIVATE KEY")));

  // A fresh verifier with no signers and different trust material.
  const TestSigner other_root = TestSigner::Make("P-256", "other root");
  std::unique_ptr<Target> b =
      OpenTarget(Mode::kAuthenticated, {}, TrustMaterial{{other_root.der}, {}});
  ASSERT_NE(b, nullptr);
  ASSERT_OK(b->manager->SetPolicy(kContributor, "Local", Unsigned(kDenyAll))
                .status());
  EXPECT_THAT(b->manager->ImportPolicies(kReader, exported.archive, false),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("contributor role required")));
  ASSERT_OK_AND_ASSIGN(
      ImportView v,
      b->manager->ImportPolicies(kContributor, exported.archive, false));
  EXPECT_TRUE(v.applied);
  EXPECT_EQ(v.archive_sha256, exported.sha256);
  std::map<std::string, ImportAction> actions;
  for (const PolicyImportItem& i : v.policies) {
    actions[i.attestation_type] = i.action;
  }
  EXPECT_EQ(actions["Tpm"], ImportAction::kSet);
  EXPECT_EQ(actions["VbsEnclave"], ImportAction::kSet);
  EXPECT_EQ(actions["Gone"], ImportAction::kUnchanged);
  EXPECT_EQ(actions["Local"], ImportAction::kReset);  // not in the archive
  ASSERT_EQ(v.certificates.size(), 1u);
  EXPECT_EQ(v.certificates[0].plan, CertificatePlan::kAdd);
  // Trust: the archive's EK root and signer pin are not here; ours is not
  // in the archive.
  EXPECT_EQ(v.trust.size(), 3u);

  EXPECT_EQ(b->policies.Get("Local"), nullptr);  // no default: none
  for (const std::string type : {"Tpm", "VbsEnclave"}) {
    ASSERT_OK_AND_ASSIGN(PolicyView from, a->manager->GetPolicy(kReader, type));
    ASSERT_OK_AND_ASSIGN(PolicyView to, b->manager->GetPolicy(kReader, type));
    EXPECT_EQ(to.jws, from.jws) << type;
    EXPECT_EQ(to.policy_hash, from.policy_hash) << type;
    EXPECT_EQ(to.is_default, from.is_default) << type;
    EXPECT_EQ(to.signer_thumbprint, from.signer_thumbprint) << type;
  }
  ASSERT_OK_AND_ASSIGN(PolicyView tpm, b->manager->GetPolicy(kReader, "Tpm"));
  EXPECT_EQ(tpm.jws, signed_tpm);  // still signed, byte for byte
  EXPECT_EQ(b->policies.Get("Tpm")->text, kDenyAll);
  ASSERT_OK_AND_ASSIGN(CertificateListView ca,
                       a->manager->ListCertificates(kReader));
  ASSERT_OK_AND_ASSIGN(CertificateListView cb,
                       b->manager->ListCertificates(kReader));
  ASSERT_EQ(cb.certificates.size(), 1u);
  EXPECT_EQ(cb.certificates[0].der, ca.certificates[0].der);

  // Each change audited, and the import itself.
  store::AuditQuery q;
  q.action = store::AuditAction::kPolicyImport;
  q.result = store::AuditResult::kSuccess;
  ASSERT_OK_AND_ASSIGN(auto imports, b->store->QueryAudit(q));
  ASSERT_EQ(imports.size(), 1u);
  EXPECT_EQ(imports[0].event.actor.identity, kContributor.identity);
  EXPECT_THAT(imports[0].event.detail_json, HasSubstr(exported.sha256));
  q.action = store::AuditAction::kPolicySet;
  q.actor_identity = kContributor.identity;
  ASSERT_OK_AND_ASSIGN(auto sets, b->store->QueryAudit(q));
  EXPECT_EQ(sets.size(), 3u);  // Local before, then Tpm and VbsEnclave

  // Importing again changes nothing.
  ASSERT_OK_AND_ASSIGN(
      ImportView again,
      b->manager->ImportPolicies(kContributor, exported.archive, false));
  for (const PolicyImportItem& i : again.policies) {
    EXPECT_EQ(i.action, ImportAction::kUnchanged) << i.attestation_type;
  }
}

TEST_F(PolicyBackupTest, TamperedArchiveIsRefusedAndNothingChanges) {
  std::unique_ptr<Target> a = OpenTarget(Mode::kAuthenticated);
  ASSERT_NE(a, nullptr);
  ASSERT_OK(
      a->manager->SetPolicy(kContributor, "Tpm", Unsigned(kDenyAll)).status());
  ASSERT_OK_AND_ASSIGN(ExportView exported,
                       a->manager->ExportPolicies(kReader));
  std::unique_ptr<Target> b = OpenTarget(Mode::kAuthenticated);
  ASSERT_NE(b, nullptr);
  ASSERT_OK_AND_ASSIGN(int64_t generation, b->store->Generation());
  std::string tampered = exported.archive;
  tampered.replace(tampered.find("\"version\": 1"), 12, "\"version\": 2");
  EXPECT_THAT(b->manager->ImportPolicies(kContributor, tampered, false),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("archive: version: 2 is not supported")));
  tampered = exported.archive;
  tampered.replace(tampered.find("\"is_default\": false"), 19,
                   "\"is_default\": true");
  EXPECT_THAT(b->manager->ImportPolicies(kContributor, tampered, false),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("archive: sha256: does not match")));
  // A dry run plans but changes nothing either.
  ASSERT_OK_AND_ASSIGN(
      ImportView dry,
      b->manager->ImportPolicies(kContributor, exported.archive, true));
  EXPECT_FALSE(dry.applied);
  ASSERT_EQ(dry.policies.size(), 1u);
  EXPECT_EQ(dry.policies[0].action, ImportAction::kSet);
  ASSERT_OK_AND_ASSIGN(int64_t after, b->store->Generation());
  EXPECT_EQ(after, generation);
  EXPECT_EQ(b->policies.Get("Tpm")->text, kDefaultTpmPolicy);
  store::AuditQuery q;
  q.action = store::AuditAction::kPolicyImport;
  ASSERT_OK_AND_ASSIGN(auto refusals, b->store->QueryAudit(q));
  ASSERT_EQ(refusals.size(), 2u);
  EXPECT_EQ(refusals[0].event.result, store::AuditResult::kFailure);
}

TEST_F(PolicyBackupTest, IsolatedImportKeepsTheSignedPolicyRules) {
  const TestSigner trusted = TestSigner::Make("P-256", "policy signer");
  const TestSigner stranger = TestSigner::Make("P-256", "stranger");
  // The source is authenticated: it takes unsigned policies and any signer.
  std::unique_ptr<Target> a = OpenTarget(Mode::kAuthenticated, {trusted.cert});
  ASSERT_NE(a, nullptr);
  ASSERT_OK(
      a->manager->SetPolicy(kContributor, "Tpm", Unsigned(kDenyAll)).status());
  ASSERT_OK_AND_ASSIGN(ExportView unsigned_tpm,
                       a->manager->ExportPolicies(kReader));
  ASSERT_OK(
      a->manager->SetPolicy(kContributor, "Tpm", SignedBy(stranger, kDenyAll))
          .status());
  ASSERT_OK_AND_ASSIGN(ExportView stranger_tpm,
                       a->manager->ExportPolicies(kReader));
  const std::string signed_tpm = SignedBy(trusted, kDenyAll);
  ASSERT_OK(a->manager->SetPolicy(kContributor, "Tpm", signed_tpm).status());
  ASSERT_OK_AND_ASSIGN(ExportView good, a->manager->ExportPolicies(kReader));

  std::unique_ptr<Target> b = OpenTarget(Mode::kIsolated, {trusted.cert});
  ASSERT_NE(b, nullptr);
  EXPECT_THAT(
      b->manager->ImportPolicies(kContributor, unsigned_tpm.archive, false),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("policy Tpm must be signed")));
  EXPECT_THAT(
      b->manager->ImportPolicies(kContributor, stranger_tpm.archive, false),
      StatusIs(absl::StatusCode::kPermissionDenied,
               AllOf(HasSubstr("policy Tpm"), HasSubstr("stranger"))));
  EXPECT_EQ(b->policies.Get("Tpm")->text, kDefaultTpmPolicy);
  ASSERT_OK_AND_ASSIGN(ImportView v, b->manager->ImportPolicies(
                                         kContributor, good.archive, false));
  EXPECT_TRUE(v.applied);
  ASSERT_OK_AND_ASSIGN(PolicyView tpm, b->manager->GetPolicy(kReader, "Tpm"));
  EXPECT_EQ(tpm.jws, signed_tpm);

  // A certificate the isolated target does not trust is not added by an
  // import: the whole import is refused.
  std::unique_ptr<Target> c = OpenTarget(Mode::kIsolated, {stranger.cert});
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(c->manager->ImportPolicies(kContributor, good.archive, false),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("not trusted here")));
  EXPECT_EQ(c->policies.Get("Tpm")->text, kDefaultTpmPolicy);
  ASSERT_OK_AND_ASSIGN(CertificateListView certs,
                       c->manager->ListCertificates(kReader));
  EXPECT_EQ(certs.certificates.size(), 1u);
}

TEST_F(PolicyBackupTest, OpenModeRefusesImports) {
  std::unique_ptr<Target> a = OpenTarget(Mode::kAuthenticated);
  ASSERT_NE(a, nullptr);
  ASSERT_OK_AND_ASSIGN(ExportView exported,
                       a->manager->ExportPolicies(kReader));
  std::unique_ptr<Target> b = OpenTarget(Mode::kOpen);
  ASSERT_NE(b, nullptr);
  EXPECT_THAT(
      b->manager->ImportPolicies(kContributor, exported.archive, false),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("open mode")));
}

}  // namespace
}  // namespace vigil::service::admin
