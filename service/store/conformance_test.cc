// The store conformance suite: every Store implementation must pass it. Each
// backend's test binary compiles this file and instantiates the suite
// (sqlite_store_test.cc, postgres_store_test.cc).

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/kept_claims_memo.h"
#include "service/store/store_device_registry.h"
#include "service/store/testing/store_backend.h"
#include "tpm/verify/testing/software_ak.h"

namespace vigil::service::store::testing {

void StoreConformanceTest::SetUp() {
  absl::StatusOr<std::unique_ptr<TestDatabase>> db = GetParam().create();
  ASSERT_OK(db.status());
  db_ = std::move(*db);
  store_ = OpenAnother();
  ASSERT_NE(store_, nullptr);
}

std::unique_ptr<Store> StoreConformanceTest::OpenAnother() {
  absl::StatusOr<std::unique_ptr<Store>> store = db_->Open();
  EXPECT_OK(store.status());
  return store.ok() ? std::move(*store) : nullptr;
}

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::vigil::testing::StatusIs;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

PolicyChange Change(const std::string& type, const std::string& text,
                    absl::Time time = kT0) {
  PolicyChange c;
  c.attestation_type = type;
  c.policy_text = text;
  c.jws = "eyJhbGciOiJub25lIn0." + text + ".";
  c.policy_hash = "ph-" + text;
  c.token_hash = "th-" + text;
  c.actor = {"cn=operator", Role::kContributor};
  c.time = time;
  return c;
}

AuditEvent Audit(AuditAction action, const std::string& actor,
                 absl::Time time = kT0,
                 AuditResult result = AuditResult::kSuccess,
                 const std::string& type = "Tpm") {
  AuditEvent e;
  e.time = time;
  e.actor = {actor, Role::kContributor};
  e.source_address = "10.0.0.7:41000";
  e.action = action;
  e.attestation_type = type;
  e.policy_hash = "ph";
  e.result = result;
  e.detail_json = R"({"note":"x"})";
  return e;
}

std::vector<uint8_t> Der(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// A fresh P-256 attestation-key public area (any well-formed TPMT_PUBLIC
// will do: the store keeps its bytes).
tpm::PublicArea Area() { return tpm::testing::SoftwareAk().public_area(); }

EnrolledDevice Device(const std::string& id) {
  EnrolledDevice d;
  d.device_id = id;
  d.ek = Area();
  d.ak = Area();
  d.ak_name = {0x00, 0x0b, 0xaa, 0xbb};
  d.aik_validated = true;
  d.ek_issuer = "CN=swtpm-localca";
  d.hostname = "host-" + id;
  d.enrolled_at = kT0 + absl::Microseconds(123456);
  return d;
}

tpm::ClockInfo Clock(uint64_t clock, uint32_t reset, uint32_t restart = 0) {
  tpm::ClockInfo c;
  c.clock = clock;
  c.reset_count = reset;
  c.restart_count = restart;
  c.safe = true;
  return c;
}

MATCHER_P(Holds, value, "is OK and holds the value") {
  if (!arg.ok()) *result_listener << "status is " << arg.status();
  return arg.ok() && *arg == value;
}

std::vector<int64_t> Versions(const std::vector<PolicyVersion>& history) {
  std::vector<int64_t> out;
  for (const PolicyVersion& p : history) out.push_back(p.version);
  return out;
}

std::vector<int64_t> Ids(const std::vector<AuditEntry>& entries) {
  std::vector<int64_t> out;
  for (const AuditEntry& e : entries) out.push_back(e.id);
  return out;
}

// --- policies ---------------------------------------------------------------

TEST_P(StoreConformanceTest, NewStoreIsEmptyAtGenerationZero) {
  EXPECT_THAT(store_->Generation(), Holds(int64_t{0}));
  EXPECT_THAT(store_->CurrentPolicy("Tpm"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Tpm")));
  ASSERT_OK_AND_ASSIGN(auto all, store_->CurrentPolicies());
  EXPECT_TRUE(all.empty());
  ASSERT_OK_AND_ASSIGN(auto history, store_->PolicyHistory("Tpm", 10, {}));
  EXPECT_TRUE(history.empty());
}

TEST_P(StoreConformanceTest, VersionsArePerTypeAndGenerationIsStoreWide) {
  ASSERT_OK_AND_ASSIGN(PolicyVersion a,
                       store_->AppendPolicy(Change("Tpm", "a"), {}, {}));
  ASSERT_OK_AND_ASSIGN(PolicyVersion b,
                       store_->AppendPolicy(Change("VbsEnclave", "b"), {}, {}));
  ASSERT_OK_AND_ASSIGN(PolicyVersion c,
                       store_->AppendPolicy(Change("Tpm", "c"), {}, {}));
  EXPECT_EQ(a.version, 1);
  EXPECT_EQ(b.version, 1);
  EXPECT_EQ(c.version, 2);
  EXPECT_EQ(a.generation, 1);
  EXPECT_EQ(b.generation, 2);
  EXPECT_EQ(c.generation, 3);
  EXPECT_THAT(store_->Generation(), Holds(int64_t{3}));
}

TEST_P(StoreConformanceTest, CurrentPolicyRoundTripsEveryField) {
  PolicyChange change = Change("Tpm", "version=1.0; authorizationrules{};");
  change.signer_thumbprint = "A9993E364706816ABA3E25717850C26C9CD0D89D";
  change.actor = {"CN=admin,O=Example \"quoted\" ñ", Role::kSystem};
  change.time = kT0 + absl::Microseconds(987654);
  ASSERT_OK(store_->AppendPolicy(change, {}, {}).status());
  ASSERT_OK_AND_ASSIGN(PolicyVersion got, store_->CurrentPolicy("Tpm"));
  EXPECT_EQ(got.version, 1);
  EXPECT_EQ(got.change.attestation_type, "Tpm");
  EXPECT_EQ(got.change.policy_text, change.policy_text);
  EXPECT_EQ(got.change.jws, change.jws);
  EXPECT_EQ(got.change.policy_hash, change.policy_hash);
  EXPECT_EQ(got.change.token_hash, change.token_hash);
  EXPECT_EQ(got.change.signer_thumbprint, change.signer_thumbprint);
  EXPECT_EQ(got.change.actor.identity, change.actor.identity);
  EXPECT_EQ(got.change.actor.role, Role::kSystem);
  EXPECT_EQ(got.change.time, change.time);
  EXPECT_FALSE(got.change.is_reset());
}

TEST_P(StoreConformanceTest, ResetIsAVersionWithoutText) {
  ASSERT_OK(store_->AppendPolicy(Change("Tpm", "custom"), {}, {}).status());
  PolicyChange reset = Change("Tpm", "");
  reset.policy_text.reset();
  reset.jws.clear();
  ASSERT_OK(store_->AppendPolicy(reset, {}, {}).status());
  ASSERT_OK_AND_ASSIGN(PolicyVersion got, store_->CurrentPolicy("Tpm"));
  EXPECT_EQ(got.version, 2);
  EXPECT_TRUE(got.change.is_reset());
  EXPECT_FALSE(got.change.signer_thumbprint.has_value());
  // An empty policy text is a policy, not a reset.
  ASSERT_OK(store_->AppendPolicy(Change("Tpm", ""), {}, {}).status());
  ASSERT_OK_AND_ASSIGN(got, store_->CurrentPolicy("Tpm"));
  EXPECT_FALSE(got.change.is_reset());
}

TEST_P(StoreConformanceTest, HistoryIsNewestFirstWithLimitAndPaging) {
  for (int i = 1; i <= 5; ++i) {
    ASSERT_OK(store_
                  ->AppendPolicy(Change("Tpm", absl::StrCat("p", i),
                                        kT0 + absl::Seconds(i)),
                                 {}, {})
                  .status());
  }
  ASSERT_OK(store_->AppendPolicy(Change("Other", "o"), {}, {}).status());
  ASSERT_OK_AND_ASSIGN(auto all, store_->PolicyHistory("Tpm", 100, {}));
  EXPECT_THAT(Versions(all), ElementsAre(5, 4, 3, 2, 1));
  EXPECT_EQ(all[0].change.policy_text, "p5");
  EXPECT_EQ(all[4].change.time, kT0 + absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(auto page1, store_->PolicyHistory("Tpm", 2, {}));
  EXPECT_THAT(Versions(page1), ElementsAre(5, 4));
  ASSERT_OK_AND_ASSIGN(auto page2, store_->PolicyHistory("Tpm", 2, 4));
  EXPECT_THAT(Versions(page2), ElementsAre(3, 2));
  ASSERT_OK_AND_ASSIGN(auto page3, store_->PolicyHistory("Tpm", 2, 2));
  EXPECT_THAT(Versions(page3), ElementsAre(1));
  EXPECT_THAT(store_->PolicyHistory("Tpm", 0, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
}

TEST_P(StoreConformanceTest, CurrentPoliciesListsEachTypesLatest) {
  ASSERT_OK(store_->AppendPolicy(Change("Tpm", "t1"), {}, {}).status());
  ASSERT_OK(store_->AppendPolicy(Change("VbsEnclave", "v1"), {}, {}).status());
  ASSERT_OK(store_->AppendPolicy(Change("Tpm", "t2"), {}, {}).status());
  ASSERT_OK_AND_ASSIGN(auto all, store_->CurrentPolicies());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].change.attestation_type, "Tpm");
  EXPECT_EQ(all[0].change.policy_text, "t2");
  EXPECT_EQ(all[0].version, 2);
  EXPECT_EQ(all[1].change.attestation_type, "VbsEnclave");
  EXPECT_EQ(all[1].change.policy_text, "v1");
}

TEST_P(StoreConformanceTest, AttestationTypeMustMatchThePattern) {
  for (const std::string& bad : std::vector<std::string>{
           "", "1Tpm", "Tpm Policy", "Tpm;DROP TABLE policies", "Tpm/..",
           std::string(65, 'A'), std::string("Tpm\0x", 5)}) {
    EXPECT_THAT(store_->AppendPolicy(Change(bad, "x"), {}, {}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("invalid attestation type")))
        << bad;
  }
  for (const std::string& good : std::vector<std::string>{
           "Tpm", "VbsEnclave", "SevSnpVm", "a.b-c_d9", std::string(64, 'A')}) {
    EXPECT_OK(store_->AppendPolicy(Change(good, "x"), {}, {}).status()) << good;
  }
  EXPECT_THAT(store_->Generation(), Holds(int64_t{5}));
}

TEST_P(StoreConformanceTest, ExpectedVersionGuardsTheAppend) {
  // 0: "no policy yet".
  ASSERT_OK_AND_ASSIGN(PolicyVersion v1,
                       store_->AppendPolicy(Change("Tpm", "a"), 0, {}));
  EXPECT_EQ(v1.version, 1);
  EXPECT_THAT(store_->AppendPolicy(Change("Tpm", "b"), 0, {}),
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("policy Tpm: expected version 0, but the "
                                 "current version is 1")));
  ASSERT_OK_AND_ASSIGN(PolicyVersion v2,
                       store_->AppendPolicy(Change("Tpm", "b"), 1, {}));
  EXPECT_EQ(v2.version, 2);
  // A stale writer loses, and leaves no trace: no version, no generation, no
  // audit event.
  EXPECT_THAT(
      store_->AppendPolicy(Change("Tpm", "stale"), 1,
                           Audit(AuditAction::kPolicySet, "stale-writer")),
      StatusIs(absl::StatusCode::kAborted, HasSubstr("expected version 1")));
  ASSERT_OK_AND_ASSIGN(PolicyVersion current, store_->CurrentPolicy("Tpm"));
  EXPECT_EQ(current.change.policy_text, "b");
  EXPECT_THAT(store_->Generation(), Holds(int64_t{2}));
  ASSERT_OK_AND_ASSIGN(auto audit, store_->QueryAudit({}));
  EXPECT_TRUE(audit.empty());
}

TEST_P(StoreConformanceTest, PolicyAndItsAuditEventLandTogether) {
  AuditEvent event = Audit(AuditAction::kPolicySet, "cn=operator");
  event.policy_hash = "ph-a";
  ASSERT_OK(store_->AppendPolicy(Change("Tpm", "a"), {}, event).status());
  ASSERT_OK_AND_ASSIGN(auto audit, store_->QueryAudit({}));
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].event.action, AuditAction::kPolicySet);
  EXPECT_EQ(audit[0].event.policy_hash, "ph-a");
  // A failing audit insert (the table is gone) rolls the policy back too.
  ASSERT_OK(db_->Exec("DROP TABLE audit_events"));
  EXPECT_THAT(store_->AppendPolicy(Change("Tpm", "b"), {}, event),
              ::testing::Not(vigil::testing::IsOk()));
  EXPECT_THAT(std::string(store_->AppendPolicy(Change("Tpm", "b"), {}, event)
                              .status()
                              .message()),
              StartsWith(GetParam().error_prefix));
  ASSERT_OK_AND_ASSIGN(PolicyVersion current, store_->CurrentPolicy("Tpm"));
  EXPECT_EQ(current.version, 1);
  EXPECT_THAT(store_->Generation(), Holds(int64_t{1}));
}

TEST_P(StoreConformanceTest, BatchLandsWhole) {
  ASSERT_OK(store_->AppendPolicy(Change("Tpm", "a"), {}, {}).status());
  ASSERT_OK(
      store_->AddCertificate(Der("kept"), {"cn=x", Role::kSystem}, kT0, {})
          .status());
  ChangeBatch batch;
  batch.policies.push_back({Change("Tpm", "b"), int64_t{1}});
  PolicyChange reset = Change("VbsEnclave", "");
  reset.policy_text.reset();
  batch.policies.push_back({reset, std::nullopt});
  batch.certificates.push_back(
      {Der("new"), {"cn=importer", Role::kContributor}, kT0});
  batch.certificates.push_back(
      {Der("kept"), {"cn=importer", Role::kContributor}, kT0});
  batch.audit.push_back(Audit(AuditAction::kPolicyImport, "cn=importer"));
  ASSERT_OK_AND_ASSIGN(std::vector<PolicyVersion> applied,
                       store_->ApplyBatch(batch));
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(applied[0].version, 2);
  EXPECT_EQ(applied[1].version, 1);
  EXPECT_TRUE(applied[1].change.is_reset());
  ASSERT_OK_AND_ASSIGN(PolicyVersion tpm, store_->CurrentPolicy("Tpm"));
  EXPECT_EQ(tpm.change.policy_text, "b");
  ASSERT_OK_AND_ASSIGN(auto certs, store_->ListCertificates());
  ASSERT_EQ(certs.size(), 2u);
  const PolicyCertificate& kept =
      certs[0].der == Der("kept") ? certs[0] : certs[1];
  EXPECT_EQ(kept.added_by.identity, "cn=x");  // present: left as it was
  AuditQuery q;
  q.action = AuditAction::kPolicyImport;
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEntry> audit, store_->QueryAudit(q));
  EXPECT_EQ(audit.size(), 1u);
}

TEST_P(StoreConformanceTest, FailingBatchChangesNothing) {
  ASSERT_OK(store_->AppendPolicy(Change("Tpm", "a"), {}, {}).status());
  ASSERT_OK_AND_ASSIGN(int64_t generation, store_->Generation());
  // The second policy's expected version is stale: the first, already
  // appended inside the transaction, is rolled back with it.
  ChangeBatch stale;
  stale.policies.push_back({Change("Other", "x"), std::nullopt});
  stale.policies.push_back({Change("Tpm", "b"), int64_t{0}});
  stale.certificates.push_back({Der("c"), {"cn=i", Role::kContributor}, kT0});
  stale.audit.push_back(Audit(AuditAction::kPolicyImport, "cn=i"));
  EXPECT_THAT(store_->ApplyBatch(stale),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("policy Tpm")));
  // An empty certificate after the policies: the same.
  ChangeBatch empty_cert;
  empty_cert.policies.push_back({Change("Other", "x"), std::nullopt});
  empty_cert.certificates.push_back({{}, {"cn=i", Role::kContributor}, kT0});
  EXPECT_THAT(store_->ApplyBatch(empty_cert),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(store_->Generation(), Holds(generation));
  EXPECT_THAT(store_->CurrentPolicy("Other"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  ASSERT_OK_AND_ASSIGN(PolicyVersion tpm, store_->CurrentPolicy("Tpm"));
  EXPECT_EQ(tpm.version, 1);
  ASSERT_OK_AND_ASSIGN(auto certs, store_->ListCertificates());
  EXPECT_TRUE(certs.empty());
  ASSERT_OK_AND_ASSIGN(auto audit, store_->QueryAudit({}));
  EXPECT_TRUE(audit.empty());
}

TEST_P(StoreConformanceTest, ErrorsNameBackendAndStep) {
  ASSERT_OK(db_->Exec("DROP TABLE audit_events"));
  absl::StatusOr<int64_t> id =
      store_->AppendAudit(Audit(AuditAction::kAttestation, "a"));
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(std::string(id.status().message()),
              StartsWith(GetParam().error_prefix));
  EXPECT_THAT(std::string(id.status().message()),
              HasSubstr(": append audit event: "));
  EXPECT_THAT(std::string(id.status().message()),
              ::testing::Not(HasSubstr("\n")));
}

TEST_P(StoreConformanceTest, ConcurrentAppendsGetUniqueContiguousVersions) {
  constexpr int kThreads = 4;
  constexpr int kEach = 8;
  std::vector<std::unique_ptr<Store>> replicas;
  for (int t = 0; t < kThreads; ++t) replicas.push_back(OpenAnother());
  absl::Notification go;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      go.WaitForNotification();
      for (int i = 0; i < kEach; ++i) {
        if (!replicas[t]
                 ->AppendPolicy(Change("Tpm", absl::StrCat("t", t, "-", i)), {},
                                {})
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  go.Notify();
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_OK_AND_ASSIGN(auto history, store_->PolicyHistory("Tpm", 1000, {}));
  ASSERT_EQ(history.size(), size_t{kThreads * kEach});
  std::set<std::string> texts;
  for (size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history[i].version, int64_t(history.size() - i));
    texts.insert(*history[i].change.policy_text);
  }
  EXPECT_EQ(texts.size(), history.size());  // nothing lost or duplicated
  ASSERT_OK_AND_ASSIGN(PolicyVersion current, store_->CurrentPolicy("Tpm"));
  EXPECT_EQ(current.version, kThreads * kEach);
  EXPECT_EQ(current.change.policy_text, history[0].change.policy_text);
  EXPECT_THAT(store_->Generation(), Holds(int64_t{kThreads * kEach}));
}

TEST_P(StoreConformanceTest, ConcurrentConditionedAppendsAdmitExactlyOne) {
  for (int round = 0; round < 5; ++round) {
    constexpr int kThreads = 4;
    std::vector<std::unique_ptr<Store>> replicas;
    for (int t = 0; t < kThreads; ++t) replicas.push_back(OpenAnother());
    absl::Notification go;
    std::atomic<int> won{0};
    std::atomic<int> aborted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        go.WaitForNotification();
        auto r = replicas[t]->AppendPolicy(
            Change("Tpm", absl::StrCat("r", round, "t", t)), round, {});
        if (r.ok()) ++won;
        if (r.status().code() == absl::StatusCode::kAborted) ++aborted;
      });
    }
    go.Notify();
    for (auto& t : threads) t.join();
    ASSERT_EQ(won.load(), 1) << "round " << round;
    ASSERT_EQ(aborted.load(), kThreads - 1) << "round " << round;
  }
}

// --- change feed / replicas ------------------------------------------------

TEST_P(StoreConformanceTest, AnotherInstanceSeesChangesAndGeneration) {
  std::unique_ptr<Store> replica = OpenAnother();
  ASSERT_NE(replica, nullptr);
  ASSERT_OK(store_->AppendPolicy(Change("Tpm", "from-a"), {}, {}).status());
  ASSERT_OK_AND_ASSIGN(PolicyVersion seen, replica->CurrentPolicy("Tpm"));
  EXPECT_EQ(seen.change.policy_text, "from-a");
  EXPECT_THAT(replica->Generation(), Holds(int64_t{1}));
  ASSERT_OK(
      replica->AddCertificate(Der("c1"), {"b", Role::kContributor}, kT0, {})
          .status());
  EXPECT_THAT(store_->Generation(), Holds(int64_t{2}));
}

TEST_P(StoreConformanceTest, WaitForGenerationWakesOnAnotherInstancesChange) {
  std::unique_ptr<Store> replica = OpenAnother();
  ASSERT_NE(replica, nullptr);
  // Nothing happens: it times out with the generation it was given.
  const absl::Time t0 = absl::Now();
  EXPECT_THAT(replica->WaitForGeneration(0, absl::Milliseconds(150)),
              Holds(int64_t{0}));
  EXPECT_GE(absl::Now() - t0, absl::Milliseconds(150));

  absl::StatusOr<int64_t> woke;
  absl::Duration waited;
  std::thread waiter([&] {
    const absl::Time start = absl::Now();
    woke = replica->WaitForGeneration(0, absl::Seconds(30));
    waited = absl::Now() - start;
  });
  absl::SleepFor(absl::Milliseconds(100));
  const absl::Time changed = absl::Now();
  ASSERT_OK(store_->AppendPolicy(Change("Tpm", "x"), {}, {}).status());
  waiter.join();
  EXPECT_THAT(woke, Holds(int64_t{1}));
  EXPECT_LT(absl::Now() - changed, GetParam().change_bound)
      << "waited " << waited;
  // Already newer: returns at once.
  EXPECT_THAT(replica->WaitForGeneration(0, absl::Seconds(30)),
              Holds(int64_t{1}));
}

// --- certificates ------------------------------------------------------------

TEST_P(StoreConformanceTest, CertificatesAddListRemove) {
  const Actor admin{"cn=admin", Role::kContributor};
  // SHA-1("abc"), FIPS 180-2 appendix A.1.
  const std::string abc = "A9993E364706816ABA3E25717850C26C9CD0D89D";
  EXPECT_EQ(CertificateThumbprint(Der("abc")), abc);
  EXPECT_THAT(store_->AddCertificate(Der("abc"), admin, kT0, {}),
              Holds(CertificateChange::kAdded));
  EXPECT_THAT(store_->AddCertificate(Der("other"), admin, kT0, {}),
              Holds(CertificateChange::kAdded));
  ASSERT_OK_AND_ASSIGN(auto certs, store_->ListCertificates());
  ASSERT_EQ(certs.size(), 2u);
  const PolicyCertificate& c = certs[0].thumbprint == abc ? certs[0] : certs[1];
  EXPECT_EQ(c.der, Der("abc"));
  EXPECT_EQ(c.added_by.identity, "cn=admin");
  EXPECT_EQ(c.added_by.role, Role::kContributor);
  EXPECT_EQ(c.added_at, kT0);
  EXPECT_LT(certs[0].thumbprint, certs[1].thumbprint);
  // Removal by thumbprint in either case.
  EXPECT_THAT(store_->RemoveCertificate(absl::AsciiStrToLower(abc), {}),
              Holds(CertificateChange::kRemoved));
  ASSERT_OK_AND_ASSIGN(certs, store_->ListCertificates());
  ASSERT_EQ(certs.size(), 1u);
  EXPECT_EQ(certs[0].der, Der("other"));
  EXPECT_THAT(store_->AddCertificate({}, admin, kT0, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST_P(StoreConformanceTest, CertificateNoOpsReportAndDoNotBump) {
  const Actor admin{"cn=admin", Role::kContributor};
  ASSERT_OK(store_->AddCertificate(Der("c1"), admin, kT0, {}).status());
  ASSERT_OK(store_->AddCertificate(Der("c2"), admin, kT0, {}).status());
  EXPECT_THAT(store_->Generation(), Holds(int64_t{2}));
  EXPECT_THAT(store_->AddCertificate(Der("c1"), admin, kT0,
                                     Audit(AuditAction::kCertAdd, "x")),
              Holds(CertificateChange::kAlreadyPresent));
  EXPECT_THAT(store_->RemoveCertificate(CertificateThumbprint(Der("nope")), {}),
              Holds(CertificateChange::kAlreadyAbsent));
  EXPECT_THAT(store_->Generation(), Holds(int64_t{2}));
  ASSERT_OK_AND_ASSIGN(auto audit, store_->QueryAudit({}));
  EXPECT_TRUE(audit.empty());
  // A real removal bumps and records its event.
  EXPECT_THAT(store_->RemoveCertificate(CertificateThumbprint(Der("c1")),
                                        Audit(AuditAction::kCertRemove, "x")),
              Holds(CertificateChange::kRemoved));
  EXPECT_THAT(store_->Generation(), Holds(int64_t{3}));
  ASSERT_OK_AND_ASSIGN(audit, store_->QueryAudit({}));
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].event.action, AuditAction::kCertRemove);
}

TEST_P(StoreConformanceTest, LastCertificateCannotBeRemoved) {
  const Actor admin{"cn=admin", Role::kContributor};
  ASSERT_OK(store_->AddCertificate(Der("only"), admin, kT0, {}).status());
  EXPECT_THAT(store_->RemoveCertificate(CertificateThumbprint(Der("only")), {}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot remove the last policy-management "
                                 "certificate")));
  ASSERT_OK_AND_ASSIGN(auto certs, store_->ListCertificates());
  EXPECT_EQ(certs.size(), 1u);
  EXPECT_THAT(store_->Generation(), Holds(int64_t{1}));
}

TEST_P(StoreConformanceTest, ConcurrentRemovalOfTheLastTwoLeavesOne) {
  const Actor admin{"cn=admin", Role::kContributor};
  std::unique_ptr<Store> a = OpenAnother();
  std::unique_ptr<Store> b = OpenAnother();
  for (int round = 0; round < 10; ++round) {
    // Exactly two certificates, x and y, then both removed at once.
    const std::string x = CertificateThumbprint(Der(absl::StrCat("x", round)));
    const std::string y = CertificateThumbprint(Der(absl::StrCat("y", round)));
    ASSERT_OK(
        store_->AddCertificate(Der(absl::StrCat("x", round)), admin, kT0, {})
            .status());
    ASSERT_OK(
        store_->AddCertificate(Der(absl::StrCat("y", round)), admin, kT0, {})
            .status());
    ASSERT_OK_AND_ASSIGN(auto before, store_->ListCertificates());
    for (const PolicyCertificate& c : before) {
      if (c.thumbprint != x && c.thumbprint != y) {
        ASSERT_OK(store_->RemoveCertificate(c.thumbprint, {}).status());
      }
    }
    absl::Notification go;
    absl::StatusOr<CertificateChange> ra, rb;
    std::thread ta([&] {
      go.WaitForNotification();
      ra = a->RemoveCertificate(x, {});
    });
    std::thread tb([&] {
      go.WaitForNotification();
      rb = b->RemoveCertificate(y, {});
    });
    go.Notify();
    ta.join();
    tb.join();
    ASSERT_NE(ra.ok(), rb.ok()) << ra.status() << " / " << rb.status();
    EXPECT_THAT(
        ra.ok() ? rb : ra,
        StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("last")));
    ASSERT_OK_AND_ASSIGN(auto after, store_->ListCertificates());
    ASSERT_EQ(after.size(), 1u) << "round " << round;
    EXPECT_EQ(after[0].thumbprint, ra.ok() ? y : x);
  }
}

// --- devices
// -------------------------------------------------------------------

TEST_P(StoreConformanceTest, UnknownDeviceIsNotFound) {
  EXPECT_THAT(store_->FindDevice("abc"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("device abc is not enrolled")));
  EXPECT_THAT(store_->RecordDeviceClock("abc", Clock(1, 1)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("abc")));
  EXPECT_THAT(store_->FindDevice(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST_P(StoreConformanceTest, EnrolledDeviceRoundTrips) {
  const EnrolledDevice d = Device("d1");
  ASSERT_OK(store_->EnrollDevice(d));
  ASSERT_OK_AND_ASSIGN(EnrolledDevice got, store_->FindDevice("d1"));
  EXPECT_EQ(got.device_id, "d1");
  EXPECT_EQ(got.ek.marshalled, d.ek.marshalled);
  EXPECT_EQ(got.ak.marshalled, d.ak.marshalled);
  EXPECT_EQ(got.ak.tpmt.type, TPM2_ALG_ECC);  // parsed again, not just bytes
  EXPECT_NE(got.ak.marshalled, got.ek.marshalled);
  EXPECT_EQ(got.ak_name, d.ak_name);
  EXPECT_TRUE(got.aik_validated);
  EXPECT_EQ(got.ek_issuer, d.ek_issuer);
  EXPECT_EQ(got.hostname, "host-d1");
  EXPECT_EQ(got.enrolled_at, d.enrolled_at);
}

// RecordDeviceClock applies CheckClockAdvance (device_registry_test.cc) to
// the stored clock, and remembers only what it accepts.
TEST_P(StoreConformanceTest, RecordClockFollowsCheckClockAdvance) {
  ASSERT_OK(store_->EnrollDevice(Device("d1")));
  EXPECT_THAT(store_->RecordDeviceClock("d1", Clock(5000, 3)),
              Holds(ClockTransition::kFirst));
  EXPECT_THAT(store_->RecordDeviceClock("d1", Clock(5001, 3)),
              Holds(ClockTransition::kSameBoot));
  EXPECT_THAT(store_->RecordDeviceClock("d1", Clock(9000, 3, 1)),
              Holds(ClockTransition::kSameBoot));
  EXPECT_THAT(store_->RecordDeviceClock("d1", Clock(9000, 3, 1)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("TPM clock did not advance: 9000 ms <= 9000 "
                                 "ms at resetCount 3")));
  EXPECT_THAT(store_->RecordDeviceClock("d1", Clock(8000, 3)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("8000 ms <= 9000 ms")));
  EXPECT_THAT(store_->RecordDeviceClock("d1", Clock(100, 4)),
              Holds(ClockTransition::kNewBoot));
  EXPECT_THAT(store_->RecordDeviceClock("d1", Clock(900000, 3)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("TPM resetCount went backwards: 3 < 4")));
  // Refusals were not remembered: 100 at resetCount 4 is still the last.
  EXPECT_THAT(store_->RecordDeviceClock("d1", Clock(101, 4)),
              Holds(ClockTransition::kSameBoot));
  // Large values survive the round trip (64-bit clock, 32-bit counters).
  EXPECT_THAT(
      store_->RecordDeviceClock("d1", Clock(uint64_t{1} << 40, 0xfffffff0u)),
      Holds(ClockTransition::kNewBoot));
  EXPECT_THAT(
      store_->RecordDeviceClock("d1", Clock(uint64_t{1} << 40, 0xfffffff0u)),
      StatusIs(absl::StatusCode::kUnauthenticated,
               HasSubstr("1099511627776 ms <= 1099511627776 ms")));
}

TEST_P(StoreConformanceTest, ReEnrolmentKeepsTheClockHistory) {
  ASSERT_OK(store_->EnrollDevice(Device("d1")));
  ASSERT_OK(store_->RecordDeviceClock("d1", Clock(500, 2)).status());
  EnrolledDevice again = Device("d1");
  again.hostname = "renamed";
  again.ak = Area();
  ASSERT_OK(store_->EnrollDevice(again));
  ASSERT_OK_AND_ASSIGN(EnrolledDevice got, store_->FindDevice("d1"));
  EXPECT_EQ(got.hostname, "renamed");
  EXPECT_EQ(got.ak.marshalled, again.ak.marshalled);
  EXPECT_THAT(store_->RecordDeviceClock("d1", Clock(500, 2)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("clock")));
}

TEST_P(StoreConformanceTest,
       ConcurrentRecordClockWithOneClockAdmitsExactlyOne) {
  constexpr int kThreads = 4;
  std::vector<std::unique_ptr<Store>> replicas;
  for (int t = 0; t < kThreads; ++t) replicas.push_back(OpenAnother());
  ASSERT_OK(store_->EnrollDevice(Device("d1")));
  for (int round = 0; round < 10; ++round) {
    absl::Notification go;
    std::atomic<int> accepted{0};
    std::atomic<int> refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        go.WaitForNotification();
        auto r = replicas[t]->RecordDeviceClock(
            "d1", Clock(1000 + static_cast<uint64_t>(round), 1));
        if (r.ok()) ++accepted;
        if (r.status().code() == absl::StatusCode::kUnauthenticated) ++refused;
      });
    }
    go.Notify();
    for (auto& t : threads) t.join();
    ASSERT_EQ(accepted.load(), 1) << "round " << round;
    ASSERT_EQ(refused.load(), kThreads - 1) << "round " << round;
  }
}

// One transaction for many devices: each update is checked as if alone, in
// order (a device's second update sees its first), with its own result.
TEST_P(StoreConformanceTest, RecordDeviceClocksGivesEachUpdateItsOwnResult) {
  ASSERT_OK(store_->EnrollDevice(Device("d1")));
  ASSERT_OK(store_->EnrollDevice(Device("d2")));
  ASSERT_OK(store_->RecordDeviceClock("d2", Clock(700, 5)).status());
  const std::vector<ClockUpdate> batch = {
      {"d2", Clock(800, 5)},  // advances
      {"d1", Clock(100, 1)},  // first
      {"zz", Clock(1, 1)},    // not enrolled
      {"d1", Clock(100, 1)},  // the same clock again: refused
      {"d2", Clock(600, 5)},  // behind the 800 just accepted
      {"", Clock(1, 1)},      // malformed id
      {"d1", Clock(50, 2)},   // a new boot after the first update
  };
  ASSERT_OK_AND_ASSIGN(auto results, store_->RecordDeviceClocks(batch));
  ASSERT_EQ(results.size(), batch.size());
  EXPECT_THAT(results[0], Holds(ClockTransition::kSameBoot));
  EXPECT_THAT(results[1], Holds(ClockTransition::kFirst));
  EXPECT_THAT(results[2],
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("zz")));
  EXPECT_THAT(results[3], StatusIs(absl::StatusCode::kUnauthenticated,
                                   HasSubstr("100 ms <= 100 ms")));
  EXPECT_THAT(results[4], StatusIs(absl::StatusCode::kUnauthenticated,
                                   HasSubstr("600 ms <= 800 ms")));
  EXPECT_THAT(results[5],
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(results[6], Holds(ClockTransition::kNewBoot));
  // What was accepted is what is stored, on another connection too.
  std::unique_ptr<Store> replica = OpenAnother();
  EXPECT_THAT(replica->RecordDeviceClock("d2", Clock(800, 5)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("800 ms <= 800 ms")));
  EXPECT_THAT(replica->RecordDeviceClock("d1", Clock(50, 2)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("50 ms <= 50 ms")));
  ASSERT_OK_AND_ASSIGN(auto none, store_->RecordDeviceClocks({}));
  EXPECT_TRUE(none.empty());
}

// A DeviceStore that holds the first RecordDeviceClocks call until told to
// go on, so a test can line callers up behind a commit in progress. The
// store beneath is the real one.
class HeldClockStore final : public DeviceStore {
 public:
  explicit HeldClockStore(Store* store) : store_(store) {}
  absl::Status EnrollDevice(const EnrolledDevice& d) override {
    return store_->EnrollDevice(d);
  }
  absl::StatusOr<EnrolledDevice> FindDevice(absl::string_view id) override {
    return store_->FindDevice(id);
  }
  absl::StatusOr<ClockTransition> RecordDeviceClock(
      absl::string_view id, const tpm::ClockInfo& clock) override {
    return store_->RecordDeviceClock(id, clock);
  }
  absl::StatusOr<std::vector<absl::StatusOr<ClockTransition>>>
  RecordDeviceClocks(absl::Span<const ClockUpdate> updates) override {
    {
      absl::MutexLock lock(&mu_);
      batch_sizes_.push_back(updates.size());
      if (batch_sizes_.size() == 1) {
        entered_.Notify();
        go_.WaitForNotification();
      }
    }
    return store_->RecordDeviceClocks(updates);
  }
  absl::Notification entered_, go_;
  std::vector<size_t> batch_sizes() {
    absl::MutexLock lock(&mu_);
    return batch_sizes_;
  }

 private:
  Store* store_;
  absl::Mutex mu_;
  std::vector<size_t> batch_sizes_;
};

// StoreDeviceRegistry::RecordClock is a group commit: callers that arrive
// while a commit runs share the next one, and each gets its own result.
TEST_P(StoreConformanceTest, RegistryGroupsConcurrentClocksIntoOneCommit) {
  constexpr int kWaiting = 8;
  for (int i = 0; i <= kWaiting; ++i) {
    ASSERT_OK(store_->EnrollDevice(Device(absl::StrCat("g", i))));
  }
  HeldClockStore held(store_.get());
  StoreDeviceRegistry registry(&held);
  std::vector<absl::StatusOr<ClockTransition>> results(
      kWaiting + 1, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  threads.emplace_back(
      [&] { results[0] = registry.RecordClock("g0", Clock(5, 1)); });
  // g0's commit is in progress (a registry that did not group would never
  // get here: it would not call RecordDeviceClocks).
  if (!held.entered_.WaitForNotificationWithTimeout(absl::Seconds(30))) {
    held.go_.Notify();
    for (auto& t : threads) t.join();
    FAIL() << "RecordClock did not commit through RecordDeviceClocks";
  }
  for (int i = 1; i <= kWaiting; ++i) {
    threads.emplace_back([&, i] {
      // g1 twice over: the second copy (same clock) must be refused even
      // though both ride in one transaction.
      const std::string id = i == kWaiting ? "g1" : absl::StrCat("g", i);
      results[i] = registry.RecordClock(id, Clock(10, 1));
    });
  }
  for (int spins = 0; registry.clocks_waiting() < kWaiting && spins < 20000;
       ++spins) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(registry.clocks_waiting(), static_cast<size_t>(kWaiting));
  held.go_.Notify();
  for (auto& t : threads) t.join();
  EXPECT_EQ(registry.clock_commits(), 2);
  EXPECT_THAT(held.batch_sizes(),
              ElementsAre(1u, static_cast<size_t>(kWaiting)));
  EXPECT_THAT(results[0], Holds(ClockTransition::kFirst));
  int first = 0, refused = 0;
  for (int i = 1; i <= kWaiting; ++i) {
    if (results[i].ok() && *results[i] == ClockTransition::kFirst) ++first;
    if (results[i].status().code() == absl::StatusCode::kUnauthenticated) {
      ++refused;
    }
  }
  EXPECT_EQ(first, kWaiting - 1);  // g1..g7 once each
  EXPECT_EQ(refused, 1);           // g1's second copy
  // A lone caller commits at once.
  EXPECT_THAT(registry.RecordClock("g0", Clock(6, 1)),
              Holds(ClockTransition::kSameBoot));
  EXPECT_EQ(registry.clock_commits(), 3);
}

TEST_P(StoreConformanceTest, AdapterServesAsTheVerifiersDeviceRegistry) {
  StoreDeviceRegistry adapter(store_.get());
  DeviceRegistry& registry = adapter;
  ASSERT_OK(registry.Enroll(Device("d9")));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const EnrolledDevice> d,
                       registry.Find("d9"));
  EXPECT_EQ(d->hostname, "host-d9");
  EXPECT_THAT(registry.RecordClock("d9", Clock(10, 1)),
              Holds(ClockTransition::kFirst));
  // Another replica's registry sees the same clock: a replayed quote sent to
  // it is refused.
  std::unique_ptr<Store> replica = OpenAnother();
  StoreDeviceRegistry other(replica.get());
  EXPECT_THAT(other.RecordClock("d9", Clock(10, 1)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("did not advance")));
  EXPECT_THAT(registry.Find("zz"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("not enrolled")));
  // Its callers wait for a commit: the attestation service sizes its worker
  // pool for that (DefaultWorkerThreads).
  EXPECT_TRUE(registry.RecordClockWaitsForCommit());
}

// --- latest attestation ------------------------------------------------------

// `device`'s attestation at kT0 + `minute` minutes, decided by policy hash
// "ph<minute>", with its audit event.
Store::AttestationWrite AttestationAt(const std::string& device, int minute,
                                      bool permitted) {
  Store::AttestationWrite w;
  w.record = {device,
              kT0 + absl::Minutes(minute),
              permitted,
              "Tpm",
              absl::StrCat("ph", minute),
              permitted ? "jti" : "",
              "[]",
              ""};
  w.audit = Audit(AuditAction::kAttestation, device);
  w.audit.time = w.record.time;
  return w;
}

TEST_P(StoreConformanceTest, LatestAttestationUpserts) {
  EXPECT_THAT(store_->LatestAttestation("d1"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("d1")));
  AttestationRecord r{"d1", kT0, true, "Tpm", "ph1", "jti-1", R"(["ok"])", ""};
  EXPECT_THAT(store_->PutLatestAttestation(r),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("device d1 is not enrolled")));
  ASSERT_OK(store_->EnrollDevice(Device("d1")));
  ASSERT_OK(store_->PutLatestAttestation(r));
  ASSERT_OK_AND_ASSIGN(AttestationRecord got, store_->LatestAttestation("d1"));
  EXPECT_EQ(got.time, kT0);
  EXPECT_TRUE(got.permitted);
  EXPECT_EQ(got.attestation_type, "Tpm");
  EXPECT_EQ(got.policy_hash, "ph1");
  EXPECT_EQ(got.token_id, "jti-1");
  EXPECT_EQ(got.reasons_json, R"(["ok"])");
  AttestationRecord later{"d1",
                          kT0 + absl::Minutes(1),
                          false,
                          "Tpm",
                          "ph2",
                          "",
                          R"([{"reason":"pcr7 mismatch"}])",
                          ""};
  ASSERT_OK(store_->PutLatestAttestation(later));
  ASSERT_OK_AND_ASSIGN(got, store_->LatestAttestation("d1"));
  EXPECT_FALSE(got.permitted);
  EXPECT_EQ(got.time, later.time);
  EXPECT_EQ(got.policy_hash, "ph2");
  EXPECT_EQ(got.token_id, "");
  EXPECT_EQ(got.reasons_json, later.reasons_json);
}

TEST_P(StoreConformanceTest, AttestationsRecordedInABatchLandInOrder) {
  ASSERT_OK(store_->EnrollDevice(Device("d1")));
  ASSERT_OK(store_->EnrollDevice(Device("d2")));
  std::vector<Store::AttestationWrite> writes;
  auto add = [&](const std::string& device, int minute, bool permitted) {
    writes.push_back(AttestationAt(device, minute, permitted));
  };
  add("d1", 1, true);
  add("d2", 2, false);
  add("gone", 3, true);  // not enrolled: skipped, its audit event kept
  add("d1", 4, false);   // the later record of d1 wins
  ASSERT_OK_AND_ASSIGN(int64_t skipped, store_->RecordAttestations(writes));
  EXPECT_EQ(skipped, 1);
  ASSERT_OK_AND_ASSIGN(AttestationRecord d1, store_->LatestAttestation("d1"));
  EXPECT_EQ(d1.time, kT0 + absl::Minutes(4));
  EXPECT_FALSE(d1.permitted);
  EXPECT_EQ(d1.policy_hash, "ph4");
  ASSERT_OK_AND_ASSIGN(AttestationRecord d2, store_->LatestAttestation("d2"));
  EXPECT_EQ(d2.policy_hash, "ph2");
  EXPECT_THAT(store_->LatestAttestation("gone"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  AuditQuery q;
  q.action = AuditAction::kAttestation;
  q.order = AuditOrder::kOldestFirst;
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEntry> events, store_->QueryAudit(q));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].event.actor.identity, "d1");
  EXPECT_EQ(events[2].event.actor.identity, "gone");
  EXPECT_EQ(events[3].event.time, kT0 + absl::Minutes(4));

  // One malformed device id refuses the whole batch before anything lands.
  writes.clear();
  add("d2", 5, true);
  add("", 6, true);
  EXPECT_THAT(store_->RecordAttestations(writes),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  ASSERT_OK_AND_ASSIGN(d2, store_->LatestAttestation("d2"));
  EXPECT_EQ(d2.policy_hash, "ph2");
  ASSERT_OK_AND_ASSIGN(events, store_->QueryAudit(q));
  EXPECT_EQ(events.size(), 4u);
}

TEST_P(StoreConformanceTest, DeviceClaimsAreRewrittenOnlyWhenTheyChange) {
  ASSERT_OK(store_->EnrollDevice(Device("d1")));
  EXPECT_THAT(store_->LatestClaims("d1"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("no claims recorded for device d1")));
  const DeviceClaims first{
      R"([{"type":"a","value":1}])", {"events"}, "aa11", "bb22"};
  DeviceClaims second = first;
  second.claims_json = R"([{"type":"a","value":2}])";
  auto write = [&](int minute, bool permitted,
                   std::optional<DeviceClaims> claims,
                   const std::string& device = "d1") {
    Store::AttestationWrite w = AttestationAt(device, minute, permitted);
    w.claims = std::move(claims);
    return store_->RecordAttestations({w});
  };

  ASSERT_OK(write(1, true, first).status());
  ASSERT_OK_AND_ASSIGN(StoredDeviceClaims kept, store_->LatestClaims("d1"));
  EXPECT_EQ(kept.device_id, "d1");
  EXPECT_EQ(kept.claims.claims_json, first.claims_json);
  EXPECT_THAT(kept.claims.omitted, ElementsAre("events"));
  EXPECT_EQ(kept.claims.event_log_sha256, "aa11");
  EXPECT_EQ(kept.claims.event_log_pcrs, "bb22");
  EXPECT_EQ(kept.sha256, ClaimsDigest(first));
  EXPECT_EQ(kept.time, kT0 + absl::Minutes(1));
  EXPECT_TRUE(kept.permitted);
  EXPECT_EQ(kept.policy_hash, "ph1");
  ASSERT_OK_AND_ASSIGN(AttestationRecord latest,
                       store_->LatestAttestation("d1"));
  EXPECT_EQ(latest.claims_sha256, kept.sha256);

  // The same claims again: the latest attestation moves, the kept claims
  // (and the attestation they are attributed to) are not rewritten.
  ASSERT_OK(write(2, false, first).status());
  ASSERT_OK_AND_ASSIGN(kept, store_->LatestClaims("d1"));
  EXPECT_EQ(kept.time, kT0 + absl::Minutes(1));
  EXPECT_EQ(kept.policy_hash, "ph1");
  ASSERT_OK_AND_ASSIGN(latest, store_->LatestAttestation("d1"));
  EXPECT_EQ(latest.time, kT0 + absl::Minutes(2));
  EXPECT_EQ(latest.claims_sha256, kept.sha256);

  // An attestation without claims (refused before they were built) keeps
  // the old ones, and says it carried none.
  ASSERT_OK(write(3, false, std::nullopt).status());
  ASSERT_OK_AND_ASSIGN(kept, store_->LatestClaims("d1"));
  EXPECT_EQ(kept.claims.claims_json, first.claims_json);
  ASSERT_OK_AND_ASSIGN(latest, store_->LatestAttestation("d1"));
  EXPECT_EQ(latest.claims_sha256, "");

  // Changed claims replace them; so does a change of the log alone.
  ASSERT_OK(write(4, false, second).status());
  ASSERT_OK_AND_ASSIGN(kept, store_->LatestClaims("d1"));
  EXPECT_EQ(kept.claims.claims_json, second.claims_json);
  EXPECT_EQ(kept.time, kT0 + absl::Minutes(4));
  EXPECT_FALSE(kept.permitted);
  second.event_log_sha256 = "cc33";
  second.omitted.clear();
  ASSERT_OK(write(5, true, second).status());
  ASSERT_OK_AND_ASSIGN(kept, store_->LatestClaims("d1"));
  EXPECT_EQ(kept.time, kT0 + absl::Minutes(5));
  EXPECT_TRUE(kept.claims.omitted.empty());

  // Not enrolled: skipped like its record. A bad omitted type refuses the
  // batch before anything lands.
  EXPECT_THAT(write(6, true, first, "gone"), Holds(int64_t{1}));
  EXPECT_THAT(store_->LatestClaims("gone"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("gone")));
  DeviceClaims bad = first;
  bad.omitted = {"ev\nents"};
  EXPECT_THAT(write(7, true, bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("claims.omitted")));
  ASSERT_OK_AND_ASSIGN(latest, store_->LatestAttestation("d1"));
  EXPECT_EQ(latest.time, kT0 + absl::Minutes(5));
}

TEST_P(StoreConformanceTest, KeptClaimsDigestsLetAWriterSkipSerialising) {
  // 40 devices: more than one chunk of the digest query's placeholders.
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    ids.push_back(absl::StrCat("d", i));
    ASSERT_OK(store_->EnrollDevice(Device(ids.back())));
  }
  ASSERT_OK_AND_ASSIGN(auto none, store_->KeptClaimsDigests(ids));
  EXPECT_TRUE(none.empty());
  std::vector<Store::AttestationWrite> writes;
  for (int i = 0; i < 40; i += 3) {  // every third device keeps claims
    Store::AttestationWrite w = AttestationAt(ids[i], 1, true);
    w.claims = DeviceClaims{
        absl::StrCat(R"([{"type":"n","value":)", i, "}]"), {}, "aa", "bb"};
    writes.push_back(std::move(w));
  }
  ASSERT_OK(store_->RecordAttestations(writes).status());
  std::vector<std::string> asked = ids;
  asked.push_back("never-enrolled");
  ASSERT_OK_AND_ASSIGN(auto digests, store_->KeptClaimsDigests(asked));
  EXPECT_EQ(digests.size(), 14u);
  for (const Store::AttestationWrite& w : writes) {
    EXPECT_EQ(digests[w.record.device_id], ClaimsDigest(*w.claims))
        << w.record.device_id;
  }
  EXPECT_FALSE(digests.contains("d1"));

  // A write naming the kept digest instead of the claims: the latest
  // attestation says it carried them, the kept ones stay as they were.
  const std::string d0 = digests["d0"];
  Store::AttestationWrite same = AttestationAt("d0", 2, false);
  same.kept_claims_sha256 = d0;
  ASSERT_OK(store_->RecordAttestations({same}).status());
  ASSERT_OK_AND_ASSIGN(AttestationRecord latest,
                       store_->LatestAttestation("d0"));
  EXPECT_EQ(latest.time, kT0 + absl::Minutes(2));
  EXPECT_EQ(latest.claims_sha256, d0);
  ASSERT_OK_AND_ASSIGN(StoredDeviceClaims kept, store_->LatestClaims("d0"));
  EXPECT_EQ(kept.sha256, d0);
  EXPECT_EQ(kept.time, kT0 + absl::Minutes(1));

  // Given claims win over a stale digest; a malformed digest refuses the
  // batch before anything lands; an empty id is refused by the read.
  Store::AttestationWrite changed = AttestationAt("d0", 3, true);
  changed.claims = DeviceClaims{R"([{"type":"n","value":-1}])", {}, "", ""};
  changed.kept_claims_sha256 = d0;
  ASSERT_OK(store_->RecordAttestations({changed}).status());
  ASSERT_OK_AND_ASSIGN(digests, store_->KeptClaimsDigests({"d0"}));
  EXPECT_EQ(digests["d0"], ClaimsDigest(*changed.claims));
  Store::AttestationWrite bad = AttestationAt("d3", 4, true);
  bad.kept_claims_sha256 = absl::AsciiStrToUpper(d0);
  EXPECT_THAT(store_->RecordAttestations({bad}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("kept_claims_sha256")));
  ASSERT_OK_AND_ASSIGN(latest, store_->LatestAttestation("d3"));
  EXPECT_EQ(latest.time, kT0 + absl::Minutes(1));
  EXPECT_THAT(store_->KeptClaimsDigests({"d0", ""}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("empty device id")));
}

TEST_P(StoreConformanceTest, KeptClaimsMemoSerialisesOnlyWhatTheStoreLacks) {
  ASSERT_OK(store_->EnrollDevice(Device("d1")));
  ASSERT_OK(store_->EnrollDevice(Device("d2")));
  std::unique_ptr<Store> replica = OpenAnother();
  ASSERT_NE(replica, nullptr);
  int renders = 0;
  auto source = [&](const std::string& key, int value) {
    ClaimsSource s;
    s.source_key = key;
    s.render = [&renders, value] {
      ++renders;
      return DeviceClaims{absl::StrCat(R"([{"type":"v","value":)", value, "}]"),
                          {"events"},
                          "aa",
                          "bb"};
    };
    return s;
  };
  KeptClaimsMemo memo;
  // Records one attestation per (device, source); returns the writes.
  auto round = [&](int minute,
                   std::vector<std::pair<std::string, ClaimsSource>> batch) {
    std::vector<Store::AttestationWrite> writes;
    std::vector<ClaimsSource> sources;
    for (auto& [device, s] : batch) {
      writes.push_back(AttestationAt(device, minute, true));
      sources.push_back(std::move(s));
    }
    memo.Fill(*store_, absl::MakeSpan(writes), sources);
    EXPECT_OK(store_->RecordAttestations(writes).status());
    return writes;
  };
  auto kept_value = [&](const std::string& device) -> std::string {
    absl::StatusOr<StoredDeviceClaims> kept = store_->LatestClaims(device);
    return kept.ok() ? kept->claims.claims_json : kept.status().ToString();
  };

  // First sight: serialised.
  round(1, {{"d1", source("k1", 1)}, {"d2", source("k2", 2)}});
  EXPECT_EQ(renders, 2);
  EXPECT_THAT(kept_value("d1"), HasSubstr(R"("value":1)"));

  // The same sources: not serialised; the latest records name the kept
  // claims' digest.
  std::vector<Store::AttestationWrite> w =
      round(2, {{"d1", source("k1", 1)}, {"d2", source("k2", 2)}});
  EXPECT_EQ(renders, 2);
  EXPECT_EQ(memo.skipped(), 2);
  EXPECT_FALSE(w[0].claims.has_value());
  ASSERT_OK_AND_ASSIGN(StoredDeviceClaims kept1, store_->LatestClaims("d1"));
  EXPECT_EQ(w[0].kept_claims_sha256, kept1.sha256);
  ASSERT_OK_AND_ASSIGN(AttestationRecord latest,
                       store_->LatestAttestation("d1"));
  EXPECT_EQ(latest.time, kT0 + absl::Minutes(2));
  EXPECT_EQ(latest.claims_sha256, kept1.sha256);

  // A new source key (a new boot): serialised and kept.
  round(3, {{"d1", source("k1b", 10)}, {"d2", source("k2", 2)}});
  EXPECT_EQ(renders, 3);
  EXPECT_THAT(kept_value("d1"), HasSubstr(R"("value":10)"));

  // Another replica keeps other claims for d2: the store, not the memo,
  // decides; d2's own claims are serialised and kept again.
  Store::AttestationWrite other = AttestationAt("d2", 4, true);
  other.claims = DeviceClaims{R"([{"type":"v","value":99}])", {}, "", ""};
  ASSERT_OK(replica->RecordAttestations({other}).status());
  round(5, {{"d2", source("k2", 2)}});
  EXPECT_EQ(renders, 4);
  EXPECT_THAT(kept_value("d2"), HasSubstr(R"("value":2)"));

  // No key: always serialised. No claims: neither claims nor a digest.
  round(6, {{"d1", source("", 10)}});
  EXPECT_EQ(renders, 5);
  w = round(7, {{"d1", ClaimsSource{"k1b", nullptr}}});
  EXPECT_FALSE(w[0].claims.has_value());
  EXPECT_EQ(w[0].kept_claims_sha256, "");
  ASSERT_OK_AND_ASSIGN(latest, store_->LatestAttestation("d1"));
  EXPECT_EQ(latest.claims_sha256, "");
  EXPECT_EQ(memo.serialised(), renders);

  // A memo of one device starts over when a second comes.
  KeptClaimsMemo small(1);
  std::vector<Store::AttestationWrite> one = {AttestationAt("d1", 8, true)};
  std::vector<ClaimsSource> s1 = {source("k1b", 10)};
  small.Fill(*store_, absl::MakeSpan(one), s1);  // d1 remembered
  std::vector<Store::AttestationWrite> two = {AttestationAt("d2", 8, true)};
  std::vector<ClaimsSource> s2 = {source("k2", 2)};
  small.Fill(*store_, absl::MakeSpan(two), s2);  // d1 forgotten
  one = {AttestationAt("d1", 9, true)};
  small.Fill(*store_, absl::MakeSpan(one), s1);
  EXPECT_EQ(small.serialised(), 3);
  EXPECT_TRUE(one[0].claims.has_value());
}

// --- audit -------------------------------------------------------------------

TEST_P(StoreConformanceTest, AuditEventRoundTripsEveryField) {
  AuditEvent e =
      Audit(AuditAction::kAuthDenied, "CN=mallory",
            kT0 + absl::Microseconds(42), AuditResult::kDenied, "VbsEnclave");
  e.actor.role = Role::kNone;
  e.source_address = "[::1]:5000";
  e.policy_hash = "";
  e.detail_json = R"({"reason":"no client certificate","n":1})";
  ASSERT_OK_AND_ASSIGN(int64_t id, store_->AppendAudit(e));
  ASSERT_OK_AND_ASSIGN(auto got, store_->QueryAudit({}));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, id);
  const AuditEvent& g = got[0].event;
  EXPECT_EQ(g.time, e.time);
  EXPECT_EQ(g.actor.identity, "CN=mallory");
  EXPECT_EQ(g.actor.role, Role::kNone);
  EXPECT_EQ(g.source_address, "[::1]:5000");
  EXPECT_EQ(g.action, AuditAction::kAuthDenied);
  EXPECT_EQ(g.attestation_type, "VbsEnclave");
  EXPECT_EQ(g.policy_hash, "");
  EXPECT_EQ(g.result, AuditResult::kDenied);
  EXPECT_EQ(g.detail_json, e.detail_json);
}

class AuditFilterTest : public StoreConformanceTest {
 protected:
  void SetUp() override {
    StoreConformanceTest::SetUp();
    if (HasFatalFailure()) return;
    // id order = time order here: 10 events, one second apart.
    for (int i = 0; i < 10; ++i) {
      AuditEvent e = Audit(
          i % 2 == 0 ? AuditAction::kAttestation : AuditAction::kPolicySet,
          i < 5 ? "alice" : "bob", kT0 + absl::Seconds(i),
          i % 3 == 0 ? AuditResult::kDenied : AuditResult::kSuccess,
          i == 9 ? "VbsEnclave" : "Tpm");
      ASSERT_OK_AND_ASSIGN(int64_t id, store_->AppendAudit(e));
      ids_.push_back(id);
    }
  }
  std::vector<int64_t> IdsAt(std::initializer_list<int> indices) {
    std::vector<int64_t> out;
    for (int i : indices) out.push_back(ids_[i]);
    return out;
  }
  std::vector<int64_t> ids_;
};

TEST_P(AuditFilterTest, IdsIncrease) {
  for (size_t i = 1; i < ids_.size(); ++i) EXPECT_GT(ids_[i], ids_[i - 1]);
}

TEST_P(AuditFilterTest, EachFilterAndTheirCombination) {
  AuditQuery q;
  q.order = AuditOrder::kOldestFirst;
  q.since = kT0 + absl::Seconds(3);
  q.until = kT0 + absl::Seconds(6);  // exclusive
  EXPECT_THAT(Ids(*store_->QueryAudit(q)), ::testing::Eq(IdsAt({3, 4, 5})));
  q = {};
  q.order = AuditOrder::kOldestFirst;
  q.actor_identity = "bob";
  EXPECT_THAT(Ids(*store_->QueryAudit(q)),
              ::testing::Eq(IdsAt({5, 6, 7, 8, 9})));
  q.actor_identity.reset();
  q.action = AuditAction::kPolicySet;
  EXPECT_THAT(Ids(*store_->QueryAudit(q)),
              ::testing::Eq(IdsAt({1, 3, 5, 7, 9})));
  q.action.reset();
  q.result = AuditResult::kDenied;
  EXPECT_THAT(Ids(*store_->QueryAudit(q)), ::testing::Eq(IdsAt({0, 3, 6, 9})));
  q.result.reset();
  q.attestation_type = "VbsEnclave";
  EXPECT_THAT(Ids(*store_->QueryAudit(q)), ::testing::Eq(IdsAt({9})));
  // All together.
  q = {};
  q.order = AuditOrder::kOldestFirst;
  q.since = kT0 + absl::Seconds(1);
  q.actor_identity = "bob";
  q.action = AuditAction::kPolicySet;
  q.result = AuditResult::kDenied;
  q.attestation_type = "VbsEnclave";
  EXPECT_THAT(Ids(*store_->QueryAudit(q)), ::testing::Eq(IdsAt({9})));
  q.attestation_type = "Tpm";  // bob's one denied policy_set is VbsEnclave
  EXPECT_THAT(Ids(*store_->QueryAudit(q)), ::testing::IsEmpty());
}

TEST_P(AuditFilterTest, PagingInBothOrdersVisitsEveryEventOnce) {
  for (AuditOrder order :
       {AuditOrder::kNewestFirst, AuditOrder::kOldestFirst}) {
    AuditQuery q;
    q.order = order;
    q.limit = 3;
    std::vector<int64_t> seen;
    for (int page = 0; page < 10; ++page) {
      ASSERT_OK_AND_ASSIGN(auto entries, store_->QueryAudit(q));
      if (entries.empty()) break;
      EXPECT_LE(entries.size(), 3u);
      for (const AuditEntry& e : entries) seen.push_back(e.id);
      q.after_id = entries.back().id;
    }
    std::vector<int64_t> want = ids_;
    if (order == AuditOrder::kNewestFirst)
      std::reverse(want.begin(), want.end());
    EXPECT_EQ(seen, want);
  }
}

TEST_P(AuditFilterTest, LimitMustBeInRange) {
  AuditQuery q;
  q.limit = 0;
  EXPECT_THAT(store_->QueryAudit(q),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  q.limit = kMaxAuditLimit + 1;
  EXPECT_THAT(store_->QueryAudit(q),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  q.limit = 1;
  EXPECT_THAT(Ids(*store_->QueryAudit(q)), ::testing::Eq(IdsAt({9})));
}

TEST_P(AuditFilterTest, PruneDeletesOlderThanTheCutoffOnly) {
  EXPECT_THAT(store_->PruneAudit(kT0 + absl::Seconds(4)), Holds(int64_t{4}));
  AuditQuery q;
  q.order = AuditOrder::kOldestFirst;
  EXPECT_THAT(Ids(*store_->QueryAudit(q)),
              ::testing::Eq(IdsAt({4, 5, 6, 7, 8, 9})));
  EXPECT_THAT(store_->PruneAudit(kT0 + absl::Seconds(4)), Holds(int64_t{0}));
  // Ids are never reused, even after the newest were pruned.
  EXPECT_THAT(store_->PruneAudit(kT0 + absl::Hours(1)), Holds(int64_t{6}));
  ASSERT_OK_AND_ASSIGN(int64_t next,
                       store_->AppendAudit(Audit(AuditAction::kEnroll, "c")));
  EXPECT_GT(next, ids_.back());
}

// --- schema ----------------------------------------------------------------

TEST_P(StoreConformanceTest, ReopeningKeepsEverything) {
  ASSERT_OK(store_->AppendPolicy(Change("Tpm", "kept"), {}, {}).status());
  ASSERT_OK(store_->EnrollDevice(Device("d1")));
  store_.reset();
  store_ = OpenAnother();
  ASSERT_NE(store_, nullptr);
  ASSERT_OK_AND_ASSIGN(PolicyVersion p, store_->CurrentPolicy("Tpm"));
  EXPECT_EQ(p.change.policy_text, "kept");
  EXPECT_OK(store_->FindDevice("d1").status());
  EXPECT_THAT(store_->Generation(), Holds(int64_t{1}));
}

TEST_P(StoreConformanceTest, NewerSchemaIsRefused) {
  ASSERT_OK(
      db_->Exec("INSERT INTO schema_version (version, description, applied_us) "
                "VALUES (999, 'from the future', 0)"));
  absl::StatusOr<std::unique_ptr<Store>> opened = db_->Open();
  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kFailedPrecondition,
                               HasSubstr("store schema version 999 is newer "
                                         "than this vigil-verifier knows")));
  EXPECT_THAT(std::string(opened.status().message()),
              StartsWith(GetParam().error_prefix));
}

INSTANTIATE_TEST_SUITE_P(Store, StoreConformanceTest,
                         ::testing::Values(TestedBackend()), StoreBackendName);
INSTANTIATE_TEST_SUITE_P(Store, AuditFilterTest,
                         ::testing::Values(TestedBackend()), StoreBackendName);

}  // namespace
}  // namespace vigil::service::store::testing
