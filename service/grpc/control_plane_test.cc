// ControlPlane's OIDC key refresh (issue #6 §2): the verifier discovers its
// identity provider's keys over verified HTTPS at start (ControlPlane::
// RefreshOidcKeys through http::FetchProviderJwks), and bearer tokens the
// provider signs are accepted once they arrive — here through the REST
// mirror on the HTTPS endpoint, as vigil-verifier wires it. A provider
// whose metadata names another issuer is refused: its keys are never
// fetched, and bearer calls stay refused. And the recorder: its records are
// counted in the verifier's metrics.
#include "service/grpc/control_plane.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "service/auth/testing/test_bearer.h"
#include "service/control/jws_writer.h"
#include "service/http/relying_party_endpoint.h"
#include "service/http/testing/local_oidc_provider.h"
#include "service/token/key_ring.h"
#include "service/token/signing_key.h"
#include "tests/swtpm/subprocess.h"
#include "tests/swtpm/tls_files.h"

namespace vigil::service {
namespace {

using ::testing::HasSubstr;
using ::vigil::http::testing::LocalOidcProvider;
using ::vigil::testing::TempDir;

constexpr char kAudience[] = "api://vigil-admin";
constexpr char kDenyAll[] =
    "version=1.0; authorizationrules { => deny(); }; issuancerules {};";

class ControlPlaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(TempDir d, TempDir::Create("vigil-cp"));
    dir_.emplace(std::move(d));
    ASSERT_OK(::vigil::testing::MakeCaFiles(*dir_, "ca"));
    ASSERT_OK(::vigil::testing::IssueFiles(*dir_, "ca", "idp",
                                           ::vigil::testing::kLoopbackSan));
    ASSERT_OK_AND_ASSIGN(token::SigningKey key, token::SigningKey::Generate());
    ASSERT_OK_AND_ASSIGN(
        idp_keys_, token::KeyRing::Create(std::move(key), SystemClock::Get()));
    VerifierOptions vo;
    absl::StatusOr<::vigil::testing::CommandResult> root =
        ::vigil::testing::RunCommand(
            {"cat", ::vigil::testing::SourcePath(
                        "service/verifier/testdata/unrelated-root.pem")});
    ASSERT_OK(root.status());
    vo.ek_trust_pem = root->output;
    vo.core.issuer = "https://verifier.example";
    ASSERT_OK_AND_ASSIGN(verifier_, Verifier::Create(vo, &SystemClock::Get()));
  }

  void TearDown() override {
    endpoint_.reset();
    if (control_ != nullptr) control_->Shutdown();
  }

  // The control plane trusting `idp` (by its URL) and the REST mirror.
  absl::Status Start(const LocalOidcProvider& idp) {
    ControlPlaneConfig c;
    c.store = "sqlite:" + dir_->Join("store.db");
    c.admin_listen = "unix:" + dir_->Join("admin.sock");
    c.oidc.issuer = idp.url();
    c.oidc.audience = kAudience;
    c.oidc_ca = dir_->Join("ca.pem");
    ASSIGN_OR_RETURN(control_, ControlPlane::Open(c, SystemClock::Get()));
    RETURN_IF_ERROR(control_->Start(verifier_.get(), "", ""));
    ASSIGN_OR_RETURN(
        endpoint_,
        RelyingPartyEndpoint::Start(
            verifier_.get(), "127.0.0.1:0", "", "", /*insecure=*/true,
            AdminApi{control_->manager(), control_->authenticator()}));
    return absl::OkStatus();
  }

  // A contributor's token from the provider at `issuer`.
  std::string Bearer(const std::string& issuer) {
    return auth::testing::TestBearer(
        *idp_keys_,
        {issuer, kAudience, "ops", "vigil.contributor", absl::Now()});
  }

  httplib::Result Put(const std::string& authorization) {
    httplib::ClientImpl client("127.0.0.1", endpoint_->port());
    return client.Put("/policies/Tpm", {{"Authorization", authorization}},
                      *control::MakeUnsignedPolicyJws(kDenyAll), "text/plain");
  }

  std::optional<TempDir> dir_;
  std::unique_ptr<token::KeyRing> idp_keys_;
  std::unique_ptr<Verifier> verifier_;
  std::unique_ptr<ControlPlane> control_;
  std::unique_ptr<RelyingPartyEndpoint> endpoint_;
};

// Every attestation outcome becomes a record in the store, counted in the
// verifier's metrics once written (here: refused evidence from a device the
// store does not know, kept in the audit trail); one decided after the
// control plane stopped is counted as dropped.
TEST_F(ControlPlaneTest, RecordsAreCountedInTheVerifiersMetrics) {
  ControlPlaneConfig c;
  c.store = "sqlite:" + dir_->Join("store.db");
  c.admin_listen = "unix:" + dir_->Join("admin.sock");
  ASSERT_OK_AND_ASSIGN(control_, ControlPlane::Open(c, SystemClock::Get()));
  ASSERT_OK(control_->Start(verifier_.get(), "", ""));
  EnrolledDevice device;
  device.device_id = std::string(64, 'a');
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(verifier_->core().Attest(device, v1::Evidence()).permitted);
  }
  control_->Shutdown();  // flushes the queue
  // Decided after the recorder stopped: not stored, counted as dropped.
  EXPECT_FALSE(verifier_->core().Attest(device, v1::Evidence()).permitted);
  const std::string text = verifier_->metrics().registry().Render();
  EXPECT_THAT(text, HasSubstr("vigil_attestations_total{result=\"denied\"} 4"));
  EXPECT_THAT(text, HasSubstr("vigil_attestation_records_total{result="
                              "\"stored\"} 3"));
  EXPECT_THAT(text, HasSubstr("vigil_attestation_records_total{result="
                              "\"dropped\"} 1"));
  EXPECT_THAT(text, HasSubstr("vigil_attestation_records_queued 0"));
  control_.reset();
}

TEST_F(ControlPlaneTest, FetchesTheProvidersKeysAndAcceptsItsTokens) {
  auto idp = LocalOidcProvider::Start(
      dir_->Join("idp.pem"), dir_->Join("idp.key"), idp_keys_->JwksJson());
  ASSERT_NE(idp, nullptr);
  ASSERT_OK(Start(*idp));
  const std::string bearer = Bearer(idp->url());
  // The first fetch runs in the background as the control plane starts.
  httplib::Result r = Put(bearer);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (r && r->status == 401 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
    r = Put(bearer);
  }
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(verifier_->policies().Get("Tpm")->text, kDenyAll);
  EXPECT_GE(idp->metadata_hits(), 1);
  EXPECT_GE(idp->jwks_hits(), 1);
}

TEST_F(ControlPlaneTest, RefusesAProviderWhoseMetadataNamesAnotherIssuer) {
  auto idp = LocalOidcProvider::Start(
      dir_->Join("idp.pem"), dir_->Join("idp.key"), idp_keys_->JwksJson(),
      "https://login.attacker.example");
  ASSERT_NE(idp, nullptr);
  ASSERT_OK(Start(*idp));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (idp->metadata_hits() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_GE(idp->metadata_hits(), 1);
  absl::SleepFor(absl::Milliseconds(500));  // the refusal is processed
  EXPECT_EQ(idp->jwks_hits(), 0);
  // Tokens claiming either issuer stay refused: no keys were installed.
  for (const std::string& issuer :
       {idp->url(), std::string("https://login.attacker.example")}) {
    httplib::Result r = Put(Bearer(issuer));
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 401) << r->body;
    EXPECT_THAT(r->body, HasSubstr("no keys from the identity provider yet"));
  }
}

}  // namespace
}  // namespace vigil::service
