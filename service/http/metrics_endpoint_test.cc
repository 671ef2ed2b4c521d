// The metrics endpoint over real TLS (certificates made by the openssl CLI):
// a scraper with a certificate from metrics_client_ca reads the registry; one
// without, or with a certificate from another CA, never completes the
// handshake; other paths are 404. And HttpListener's set-up errors name the
// setting at fault.
#include "service/http/metrics_endpoint.h"

#include <memory>
#include <optional>
#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/swtpm/subprocess.h"
#include "tests/swtpm/tls_files.h"

namespace vigil::service {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;
using ::vigil::testing::TempDir;

class MetricsEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(TempDir d, TempDir::Create("vigil-metrics"));
    dir_.emplace(std::move(d));
    ASSERT_OK(::vigil::testing::MakeCaFiles(*dir_, "ca"));
    ASSERT_OK(::vigil::testing::MakeCaFiles(*dir_, "other-ca"));
    ASSERT_OK(::vigil::testing::IssueFiles(*dir_, "ca", "server",
                                           ::vigil::testing::kLoopbackSan));
    ASSERT_OK(::vigil::testing::IssueFiles(*dir_, "ca", "scraper"));
    ASSERT_OK(::vigil::testing::IssueFiles(*dir_, "other-ca", "stranger"));
    registry_.AddCounter("vigil_test_total", "A test counter.").Increment(42);
  }

  HttpListenerOptions Options() {
    HttpListenerOptions o;
    o.setting = "metrics_listen";
    o.address = "127.0.0.1:0";
    o.tls_cert_file = dir_->Join("server.pem");
    o.tls_key_file = dir_->Join("server.key");
    o.client_ca_file = dir_->Join("ca.pem");
    o.client_ca_setting = "metrics_client_ca";
    o.require_client_certificate = true;
    return o;
  }

  // GET `path` as `who` (a certificate name, or "" for none).
  httplib::Result Get(int port, const std::string& who,
                      const std::string& path = "/metrics") {
    auto c = who.empty()
                 ? std::make_unique<httplib::SSLClient>("127.0.0.1", port)
                 : std::make_unique<httplib::SSLClient>(
                       "127.0.0.1", port, dir_->Join(who + ".pem"),
                       dir_->Join(who + ".key"));
    c->set_ca_cert_path(dir_->Join("ca.pem"));
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(5, 0);
    return c->Get(path);
  }

  std::optional<TempDir> dir_;
  metrics::Registry registry_;
};

TEST_F(MetricsEndpointTest, OnlyAScraperFromTheClientCaIsServed) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpListener> l,
                       StartMetricsEndpoint(&registry_, Options()));
  EXPECT_THAT(l->url(), ::testing::StartsWith("https://127.0.0.1:"));

  httplib::Result ok = Get(l->port(), "scraper");
  ASSERT_TRUE(ok) << httplib::to_string(ok.error());
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->get_header_value("Content-Type"),
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(ok->body, HasSubstr("\nvigil_test_total 42\n"));
  // Rendered at each scrape.
  registry_.AddGauge("vigil_late", "Registered after start.");
  EXPECT_THAT(Get(l->port(), "scraper")->body, HasSubstr("vigil_late 0\n"));

  httplib::Result other = Get(l->port(), "scraper", "/certs");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);

  EXPECT_FALSE(Get(l->port(), ""));          // no certificate
  EXPECT_FALSE(Get(l->port(), "stranger"));  // another CA's
}

TEST_F(MetricsEndpointTest, WithoutAClientCaAnyTlsClientIsServed) {
  HttpListenerOptions o = Options();
  o.client_ca_file.clear();
  o.require_client_certificate = false;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpListener> l,
                       StartMetricsEndpoint(&registry_, o));
  httplib::Result ok = Get(l->port(), "");
  ASSERT_TRUE(ok) << httplib::to_string(ok.error());
  EXPECT_EQ(ok->status, 200);
}

// cpp-httplib's stop() does nothing until its thread is inside listen: a
// listener destroyed right after Start must still stop (it used to join a
// thread blocked in accept()).
TEST_F(MetricsEndpointTest, DestroyedRightAfterStartItStops) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpListener> l,
                         StartMetricsEndpoint(&registry_, Options()));
  }
}

TEST_F(MetricsEndpointTest, SetUpErrorsNameTheSetting) {
  HttpListenerOptions o = Options();
  o.address = "127.0.0.1";
  EXPECT_THAT(StartMetricsEndpoint(&registry_, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "metrics_listen: want host:port, got \"127.0.0.1\""));
  o = Options();
  o.client_ca_file = dir_->Join("missing.pem");
  EXPECT_THAT(StartMetricsEndpoint(&registry_, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("metrics_client_ca " +
                                 dir_->Join("missing.pem") + ": cannot load")));
  o = Options();
  o.tls_key_file = dir_->Join("scraper.key");  // not the certificate's key
  EXPECT_THAT(StartMetricsEndpoint(&registry_, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("metrics_listen: cannot load tls_cert")));
  o = Options();
  o.insecure = true;
  EXPECT_THAT(StartMetricsEndpoint(&registry_, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("client certificates need TLS")));
  // A port in use: kUnavailable, not a half-started endpoint.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpListener> first,
                       StartMetricsEndpoint(&registry_, Options()));
  o = Options();
  o.address = "127.0.0.1:" + std::to_string(first->port());
  EXPECT_THAT(StartMetricsEndpoint(&registry_, o),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("metrics_listen: cannot bind")));
}

}  // namespace
}  // namespace vigil::service
