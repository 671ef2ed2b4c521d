// The real vigilctl and vigilctl-admin executables against a minimal fake
// vigil.v1.PolicyAdmin on a Unix socket in a temporary directory. The fake
// only records what arrives and answers as told, so these tests check the
// client: the request fields and metadata it sends (the bearer token goes
// out and is never printed), that `audit --all` follows the paging cursor,
// and that each gRPC status becomes its exit code. The real service is
// tested end to end against the same executables (tests/).
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "service/admin/policy_archive.h"
#include "service/control/certificate_jwk.h"
#include "service/control/management_jws.h"
#include "service/control/policy_document.h"
#include "service/control/testing/test_pki.h"
#include "service/token/json.h"
#include "tools/vigilctl/testing/vigilctl_runner.h"
#include "vigil/v1/admin_service.grpc.pb.h"

namespace vigil::vigilctl {
namespace {

using control::testing::TestSigner;
using testing::CommandOutput;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunProgram;
using testing::ScratchDir;
using vigil::testing::IsOk;

constexpr char kVigilctl[] = VIGIL_BINARY_DIR "/bin/vigilctl";
constexpr char kPolicy[] =
    "version=1.0;\nauthorizationrules { => permit(); };\nissuancerules {};\n";
constexpr char kToken[] = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LWJlYXJlcg.c2ln";

class FakePolicyAdmin final : public v1::PolicyAdmin::Service {
 public:
  absl::Mutex mu;
  // What arrived.
  std::vector<std::string> authorization ABSL_GUARDED_BY(mu);
  std::vector<v1::SetPolicyRequest> sets ABSL_GUARDED_BY(mu);
  std::vector<v1::AuditQuery> audit_queries ABSL_GUARDED_BY(mu);
  std::vector<v1::ImportPoliciesRequest> imports ABSL_GUARDED_BY(mu);
  std::vector<v1::DryRunRequest> dry_runs ABSL_GUARDED_BY(mu);
  std::string archive ABSL_GUARDED_BY(mu);  // what ExportPolicies answers
  // How GetPolicy answers.
  grpc::Status get_status ABSL_GUARDED_BY(mu);
  absl::Duration get_delay ABSL_GUARDED_BY(mu);

  grpc::Status GetPolicy(grpc::ServerContext* context,
                         const v1::GetPolicyRequest* request,
                         v1::PolicyDocument* response) override {
    absl::Duration delay;
    grpc::Status status;
    {
      absl::MutexLock lock(&mu);
      Record(*context);
      delay = get_delay;
      status = get_status;
    }
    absl::SleepFor(delay);
    response->set_attestation_type(request->attestation_type());
    response->set_policy_text(kPolicy);
    return status;
  }

  grpc::Status SetPolicy(grpc::ServerContext* context,
                         const v1::SetPolicyRequest* request,
                         v1::PolicyChange* response) override {
    absl::MutexLock lock(&mu);
    Record(*context);
    sets.push_back(*request);
    response->set_attestation_type(request->attestation_type());
    response->set_result("Updated");
    response->set_version(4);
    response->set_token_hash(control::PolicyTokenHash(request->policy_jws()));
    absl::StatusOr<control::PolicyDocument> doc =
        control::DecodePolicyDocument(request->policy_jws());
    if (doc.ok() && doc->is_signed()) {
      response->set_signer_jwk_json(token::DumpJson(control::CertificateJwk(
          doc->signer()->algorithm(), doc->signer()->certificates())));
    }
    return grpc::Status::OK;
  }

  // Five events, ids 1..5; pages of request->limit() after after_id.
  grpc::Status QueryAudit(grpc::ServerContext* context,
                          const v1::AuditQuery* request,
                          v1::AuditEvents* response) override {
    absl::MutexLock lock(&mu);
    Record(*context);
    audit_queries.push_back(*request);
    const int64_t limit = request->limit() == 0 ? 100 : request->limit();
    for (int64_t id = request->after_id() + 1; id <= 5; ++id) {
      if (response->events_size() == limit) {
        response->set_next_after_id(id - 1);
        break;
      }
      v1::AuditEvent* e = response->add_events();
      e->set_id(id);
      e->set_time_unix(1793491200 + id);
      e->set_action("policy_set");
      e->set_detail_json(R"({"version":1})");
    }
    return grpc::Status::OK;
  }

  grpc::Status ExportPolicies(grpc::ServerContext*,
                              const v1::ExportPoliciesRequest*,
                              v1::PolicyArchive* response) override {
    absl::MutexLock lock(&mu);
    response->set_archive(archive);
    response->set_sha256("abc");
    response->set_policies(1);
    return grpc::Status::OK;
  }

  grpc::Status ImportPolicies(grpc::ServerContext*,
                              const v1::ImportPoliciesRequest* request,
                              v1::PolicyImport* response) override {
    absl::MutexLock lock(&mu);
    imports.push_back(*request);
    response->set_applied(!request->dry_run());
    v1::PolicyImportItem* p = response->add_policies();
    p->set_attestation_type("Tpm");
    p->set_action("set");
    return grpc::Status::OK;
  }

  // A device's dry run: denied now, permitted when it attested.
  grpc::Status DryRunPolicy(grpc::ServerContext*,
                            const v1::DryRunRequest* request,
                            v1::DryRunResult* response) override {
    absl::MutexLock lock(&mu);
    dry_runs.push_back(*request);
    response->set_reason("deny() at 2:25 fired");
    response->set_compared_json(R"({"permitted":true,"reason":""})");
    v1::DryRunSource* from = response->mutable_source();
    from->set_device_id(request->device_id());
    from->set_attested_unix(1793491200);
    from->set_permitted(true);
    from->set_policy_hash("ph");
    from->set_latest(true);
    from->set_latest_unix(1793491200);
    from->set_claims_since_unix(1793487600);
    from->add_omitted_claims("events");
    from->add_omitted_claims_read("events");
    from->add_omitted_claims_read_by_current("events");
    return grpc::Status::OK;
  }

 private:
  void Record(const grpc::ServerContext& context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto it = context.client_metadata().find("authorization");
    authorization.push_back(
        it == context.client_metadata().end()
            ? ""
            : std::string(it->second.data(), it->second.size()));
  }
};

class AdminCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(target_, grpc::InsecureServerCredentials());
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(); }

  CommandOutput Vigilctl(std::vector<std::string> args) {
    absl::StatusOr<CommandOutput> r = RunProgram(kVigilctl, args);
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : CommandOutput();
  }

  ScratchDir dir_;
  const std::string target_ = "unix:" + dir_.Join("admin.sock");
  FakePolicyAdmin fake_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(AdminCliTest, SetSendsTheTextUnsignedWithTheBearerTokenNeverPrinted) {
  const std::string policy = dir_.Write("tpm.policy", kPolicy);
  const std::string token = dir_.Write("token", absl::StrCat(kToken, "\n"));
  // The address from the environment, as operators set it once.
  ASSERT_EQ(setenv("VIGIL_ADMIN", target_.c_str(), 1), 0);
  CommandOutput r =
      Vigilctl({"policy", "set", policy, "--type", "Tpm", "--bearer-token-file",
                token, "--expected-version", "3", "--format", "json"});
  unsetenv("VIGIL_ADMIN");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(kToken)));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("c2VjcmV0LWJlYXJlcg")));
  const nlohmann::json out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["result"], "Updated");
  EXPECT_EQ(out["version"], 4);
  EXPECT_TRUE(out["signer"].is_null());

  absl::MutexLock lock(&fake_.mu);
  EXPECT_THAT(fake_.authorization,
              ElementsAre(absl::StrCat("Bearer ", kToken)));
  ASSERT_EQ(fake_.sets.size(), 1u);
  const v1::SetPolicyRequest& sent = fake_.sets[0];
  EXPECT_EQ(sent.attestation_type(), "Tpm");
  ASSERT_TRUE(sent.has_expected_version());
  EXPECT_EQ(sent.expected_version(), 3);
  absl::StatusOr<control::PolicyDocument> doc =
      control::DecodePolicyDocument(sent.policy_jws());
  ASSERT_THAT(doc, IsOk());
  EXPECT_FALSE(doc->is_signed());
  EXPECT_EQ(doc->policy_text(), kPolicy);
}

TEST_F(AdminCliTest, SignedSetNamesTheSignerAndLeavesExpectedVersionUnset) {
  TestSigner signer = TestSigner::Make("P-256", "policy signer");
  testing::SignerFiles files = WriteSignerFiles(dir_, signer, "signer");
  const std::string policy = dir_.Write("tpm.policy", kPolicy);
  CommandOutput r = Vigilctl({"policy", "set", policy, "--type", "VbsEnclave",
                              "--key", files.key, "--cert", files.cert,
                              "--format", "json", "--admin", target_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["signer"]["thumbprint"],
            control::CertificateThumbprint(signer.cert));
  EXPECT_EQ(out["signer"]["alg"], "ES256");
  absl::MutexLock lock(&fake_.mu);
  EXPECT_THAT(fake_.authorization, ElementsAre(""));
  ASSERT_EQ(fake_.sets.size(), 1u);
  EXPECT_EQ(fake_.sets[0].attestation_type(), "VbsEnclave");
  EXPECT_FALSE(fake_.sets[0].has_expected_version());
  absl::StatusOr<control::PolicyDocument> doc =
      control::DecodePolicyDocument(fake_.sets[0].policy_jws());
  ASSERT_THAT(doc, IsOk());
  ASSERT_TRUE(doc->is_signed());
  EXPECT_EQ(doc->policy_text(), kPolicy);
}

TEST_F(AdminCliTest, DeviceDryRunSendsTheDeviceAndSaysWhereTheClaimsAreFrom) {
  const std::string policy = dir_.Write("candidate.policy", kPolicy);
  const std::string device(64, 'A');
  CommandOutput r = Vigilctl({"policy", "dry-run", policy, "--device", device,
                              "--format", "json", "--admin", target_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["decision"], "deny");
  EXPECT_EQ(out["current"]["permitted"], true);
  const nlohmann::json& from = out["claims_from"];
  EXPECT_EQ(from["device_id"], std::string(64, 'a'));
  EXPECT_EQ(from["attestation"], "2026-11-01T00:00:00Z");
  EXPECT_EQ(from["decision_then"], "permit");
  EXPECT_EQ(from["claims_since"], "2026-10-31T23:00:00Z");
  EXPECT_FALSE(from.contains("latest_attestation"));
  EXPECT_EQ(from["not_kept"], nlohmann::json::array({"events"}));
  EXPECT_EQ(from["not_kept_read_by_candidate"],
            nlohmann::json::array({"events"}));
  EXPECT_THAT(r.err, HasSubstr("events claim is not kept and the candidate "
                               "reads `events`: it saw none"));
  EXPECT_EQ(from["not_kept_read_by_current"],
            nlohmann::json::array({"events"}));
  EXPECT_THAT(r.err, HasSubstr("the policy in force reads `events` too"));
  absl::MutexLock lock(&fake_.mu);
  ASSERT_EQ(fake_.dry_runs.size(), 1u);
  EXPECT_EQ(fake_.dry_runs[0].device_id(), std::string(64, 'a'));
  EXPECT_EQ(fake_.dry_runs[0].claims_json(), "");
  EXPECT_EQ(fake_.dry_runs[0].attestation_type(), "Tpm");
  EXPECT_EQ(fake_.dry_runs[0].policy_text(), kPolicy);
}

TEST_F(AdminCliTest, AuditAllFollowsTheCursorToTheLastPage) {
  CommandOutput r =
      Vigilctl({"audit", "--all", "--limit", "2", "--since",
                "2026-11-01T00:00:00Z", "--action", "policy_set", "--result",
                "denied", "--type", "Tpm", "--actor", "cert:CN=ops",
                "--oldest-first", "--format", "json", "--admin", target_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json out = nlohmann::json::parse(r.out);
  std::vector<int64_t> ids;
  for (const auto& e : out["events"]) ids.push_back(e["id"].get<int64_t>());
  EXPECT_THAT(ids, ElementsAre(1, 2, 3, 4, 5));
  EXPECT_FALSE(out.contains("next_after_id"));
  EXPECT_EQ(out["events"][0]["detail"]["version"], 1);
  EXPECT_EQ(out["events"][0]["time"], "2026-11-01T00:00:01Z");

  absl::MutexLock lock(&fake_.mu);
  std::vector<int64_t> cursors;
  for (const v1::AuditQuery& q : fake_.audit_queries) {
    cursors.push_back(q.after_id());
    EXPECT_EQ(q.limit(), 2u);
    EXPECT_EQ(q.since_unix(), 1793491200);
    EXPECT_EQ(q.until_unix(), 0);
    EXPECT_EQ(q.action(), "policy_set");
    EXPECT_EQ(q.result(), "denied");
    EXPECT_EQ(q.attestation_type(), "Tpm");
    EXPECT_EQ(q.actor(), "cert:CN=ops");
    EXPECT_TRUE(q.oldest_first());
  }
  EXPECT_THAT(cursors, ElementsAre(0, 2, 4));
}

TEST_F(AdminCliTest, OnePageOfAuditSaysWhereToContinue) {
  CommandOutput r = Vigilctl({"audit", "--limit", "2", "--after-id", "2",
                              "--format", "json", "--admin", target_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["events"].size(), 2u);
  EXPECT_EQ(out["next_after_id"], 4);
}

TEST_F(AdminCliTest, ServiceStatusesBecomeExitCodesWithTheServiceMessage) {
  const std::vector<std::pair<grpc::StatusCode, int>> cases = {
      {grpc::StatusCode::PERMISSION_DENIED, 3},
      {grpc::StatusCode::UNAUTHENTICATED, 3},
      {grpc::StatusCode::INVALID_ARGUMENT, 4},
      {grpc::StatusCode::FAILED_PRECONDITION, 4},
      {grpc::StatusCode::ABORTED, 4},
      {grpc::StatusCode::NOT_FOUND, 4},
      {grpc::StatusCode::INTERNAL, 1},
  };
  for (const auto& [code, exit_code] : cases) {
    const std::string message = absl::StrCat("the fake says no (", code, ")");
    {
      absl::MutexLock lock(&fake_.mu);
      fake_.get_status = grpc::Status(code, message);
    }
    CommandOutput r = Vigilctl({"policy", "get", "--admin", target_});
    EXPECT_EQ(r.exit_code, exit_code) << message;
    EXPECT_THAT(r.err, HasSubstr(message));
    EXPECT_EQ(r.out, "");
  }
}

TEST_F(AdminCliTest, NoAnswerInTimeOrNoServiceIsExit69) {
  {
    absl::MutexLock lock(&fake_.mu);
    fake_.get_delay = absl::Seconds(2);
  }
  CommandOutput slow =
      Vigilctl({"policy", "get", "--timeout", "200ms", "--admin", target_});
  EXPECT_EQ(slow.exit_code, 69) << slow.err;
  EXPECT_THAT(slow.err, HasSubstr("DEADLINE_EXCEEDED"));

  CommandOutput none = Vigilctl(
      {"policy", "get", "--admin", "unix:" + dir_.Join("nobody.sock")});
  EXPECT_EQ(none.exit_code, 69) << none.err;
  EXPECT_THAT(none.err, HasSubstr("nobody.sock"));
}

TEST_F(AdminCliTest, ExportWritesTheArchiveAndImportChecksItBeforeSending) {
  const TestSigner root = TestSigner::Make("P-256", "EK root", {.ca = true});
  service::admin::PolicyArchive a;
  a.exported_at = absl::FromUnixSeconds(1793491200);
  a.mode = "authenticated";
  a.ek_roots.push_back(service::admin::ArchiveCertificate(root.der));
  const std::string archive = service::admin::EncodePolicyArchive(a);
  {
    absl::MutexLock lock(&fake_.mu);
    fake_.archive = archive;
  }
  const std::string file = dir_.Join("backup.json");
  CommandOutput exported = Vigilctl({"policy", "export", "--out", file,
                                     "--admin", target_, "--format", "json"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_THAT(exported.out, HasSubstr("\"sha256\": \"abc\""));
  std::ifstream in(file, std::ios::binary);
  std::stringstream written;
  written << in.rdbuf();
  EXPECT_EQ(written.str(), archive);
  CommandOutput to_stdout = Vigilctl({"policy", "export", "--admin", target_});
  EXPECT_EQ(to_stdout.out, archive);

  // Damaged, or a --trust-dir that is not empty: exit 2, nothing sent.
  std::string damaged = archive;
  damaged.replace(damaged.find("authenticated"), 13, "isolated12345");
  CommandOutput bad =
      Vigilctl({"policy", "import", dir_.Write("damaged.json", damaged),
                "--admin", target_});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("damaged.json: sha256: does not match"));
  CommandOutput busy = Vigilctl({"policy", "import", file, "--trust-dir",
                                 dir_.path(), "--admin", target_});
  EXPECT_EQ(busy.exit_code, 2);
  EXPECT_THAT(busy.err, HasSubstr("want a new or empty directory"));
  {
    absl::MutexLock lock(&fake_.mu);
    EXPECT_TRUE(fake_.imports.empty());
  }

  CommandOutput dry =
      Vigilctl({"policy", "import", file, "--dry-run", "--admin", target_,
                "--format", "json", "--trust-dir", dir_.Join("trust-dry")});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("\"applied\": false"));
  EXPECT_FALSE(std::filesystem::exists(dir_.Join("trust-dry")));
  CommandOutput done = Vigilctl({"policy", "import", file, "--admin", target_,
                                 "--trust-dir", dir_.Join("trust")});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_TRUE(std::filesystem::exists(
      dir_.Join("trust/ek_roots/" + a.ek_roots[0].thumbprint + ".pem")));
  absl::MutexLock lock(&fake_.mu);
  ASSERT_EQ(fake_.imports.size(), 2u);
  EXPECT_TRUE(fake_.imports[0].dry_run());
  EXPECT_FALSE(fake_.imports[1].dry_run());
  EXPECT_EQ(fake_.imports[1].archive(), archive);
}

}  // namespace
}  // namespace vigil::vigilctl
