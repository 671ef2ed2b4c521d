#include "agent/daemon/agent_config.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::agent {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

constexpr char kGood[] = R"(# a production agent
verifier     = verifier.example.com:8443
tls_ca       = /etc/vigil/ca.pem
tls_cert     = /etc/vigil/agent.pem
tls_key      = /etc/vigil/agent.key

tcti         = swtpm:path=/run/swtpm/tpm.sock
event_log    = /var/lib/vigil/log.bin
ak_handle    = 0x81010003
ak_alg       = rsa2048
ek           = ecc-p384
token_file   = /run/vigil/token
interval     = 30m
backoff_min  = 2s
backoff_max  = 10m
step_timeout = 45s
keepalive    = 2m
user         = nobody
group        = nogroup
)";

TEST(AgentConfig, GoodFileSetsEveryKey) {
  ASSERT_OK_AND_ASSIGN(AgentConfig c, ParseAgentConfig(kGood, "agent.conf"));
  EXPECT_EQ(c.verifier, "verifier.example.com:8443");
  EXPECT_EQ(c.tls_ca, "/etc/vigil/ca.pem");
  EXPECT_EQ(c.tls_cert, "/etc/vigil/agent.pem");
  EXPECT_EQ(c.tls_key, "/etc/vigil/agent.key");
  EXPECT_FALSE(c.insecure);
  EXPECT_EQ(c.tcti, "swtpm:path=/run/swtpm/tpm.sock");
  EXPECT_EQ(c.event_log, "/var/lib/vigil/log.bin");
  EXPECT_EQ(c.ak_handle, 0x81010003u);
  EXPECT_EQ(c.ak_alg, tpm::AkAlg::kRsa2048);
  EXPECT_EQ(c.ek, tpm::EkKind::kEccNistP384);
  EXPECT_EQ(c.interval, absl::Minutes(30));
  EXPECT_EQ(c.backoff_min, absl::Seconds(2));
  EXPECT_EQ(c.backoff_max, absl::Minutes(10));
  EXPECT_EQ(c.step_timeout, absl::Seconds(45));
  EXPECT_EQ(c.keepalive, absl::Minutes(2));
  EXPECT_EQ(c.user, "nobody");
  EXPECT_EQ(c.group, "nogroup");
}

TEST(AgentConfig, DefaultsAreTheSafeOnes) {
  ASSERT_OK_AND_ASSIGN(
      AgentConfig c,
      ParseAgentConfig("verifier = v:1\ntls_ca = /ca.pem\n", "a.conf"));
  EXPECT_EQ(c.tcti, "device:/dev/tpmrm0");
  EXPECT_EQ(c.event_log, "/sys/kernel/security/tpm0/binary_bios_measurements");
  EXPECT_EQ(c.ak_handle, tpm::kDefaultAkHandle);
  EXPECT_EQ(c.token_file, "/run/vigil/token");
  EXPECT_EQ(c.user, "vigil");
  EXPECT_FALSE(c.insecure);
}

TEST(AgentConfig, InsecureIsAcceptedForUnixAndLoopbackOnly) {
  EXPECT_OK(ParseAgentConfig("verifier = unix:/run/v.sock\ninsecure = true\n",
                             "a.conf"));
  EXPECT_OK(
      ParseAgentConfig("verifier = 127.0.0.1:99\ninsecure = yes\n", "a.conf"));
  EXPECT_OK(
      ParseAgentConfig("verifier = [::1]:99\ninsecure = true\n", "a.conf"));
  EXPECT_THAT(
      ParseAgentConfig("verifier = 10.0.0.1:99\n\ninsecure = true\n", "a.conf"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("a.conf:3: insecure: plaintext is allowed only")));
}

struct BadCase {
  const char* text;
  const char* error;
};

class AgentConfigError : public ::testing::TestWithParam<BadCase> {};

TEST_P(AgentConfigError, NamesFileLineAndKey) {
  EXPECT_THAT(ParseAgentConfig(GetParam().text, "agent.conf"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::StrEq(GetParam().error)));
}

INSTANTIATE_TEST_SUITE_P(
    EveryError, AgentConfigError,
    ::testing::Values(
        BadCase{"verifier = v:1\ntls_ca = /c\njust words\n",
                "agent.conf:3: want `key = value`, got \"just words\""},
        BadCase{"# c\nverifer = v:1\n",
                "agent.conf:2: unknown key \"verifer\" (known: verifier, "
                "tls_ca, tls_cert, tls_key, insecure, tcti, event_log, "
                "ak_handle, ak_alg, ek, token_file, interval, backoff_min, "
                "backoff_max, step_timeout, keepalive, user, group)"},
        BadCase{"= x\n", "agent.conf:1: empty key"},
        BadCase{"verifier = a:1\nverifier = b:1\n",
                "agent.conf:2: verifier: given twice (first on line 1)"},
        BadCase{"tls_ca = ca.pem\n",
                "agent.conf:1: tls_ca: want an absolute path, got \"ca.pem\""},
        BadCase{"insecure = maybe\n",
                "agent.conf:1: insecure: want true or false, got \"maybe\""},
        BadCase{"tcti = mssim:\n",
                "agent.conf:1: tcti: got \"mssim:\", want device:<path>, "
                "tabrmd[:<conf>], swtpm:path=<socket> or "
                "swtpm:host=<h>,port=<p>"},
        BadCase{"tcti = swtpm:port=0\n",
                "agent.conf:1: tcti: swtpm: port: got \"0\", want 1-65534"},
        BadCase{"ak_handle = 0x01c00002\n",
                "agent.conf:1: ak_handle: want a persistent handle "
                "0x81000000-0x81ffffff, got \"0x01c00002\""},
        BadCase{"ak_handle = 81010002\n",
                "agent.conf:1: ak_handle: want a persistent handle "
                "0x81000000-0x81ffffff, got \"81010002\""},
        BadCase{"ak_alg = rsa4096\n",
                "agent.conf:1: ak_alg: want one of ecc-p256, rsa2048, got "
                "\"rsa4096\""},
        BadCase{"ek = ecc\n",
                "agent.conf:1: ek: want one of rsa2048, ecc-p256, ecc-p384, "
                "got \"ecc\""},
        BadCase{"\ninterval = soon\n",
                "agent.conf:2: interval: want a duration such as 30s, 5m or "
                "1h between 10s and 720h, got \"soon\""},
        BadCase{"interval = 1s\n",
                "agent.conf:1: interval: want a duration such as 30s, 5m or "
                "1h between 10s and 720h, got \"1s\""},
        BadCase{"backoff_min = -1s\n",
                "agent.conf:1: backoff_min: want a duration such as 30s, 5m "
                "or 1h between 100ms and 1h, got \"-1s\""},
        BadCase{"step_timeout = 0s\n",
                "agent.conf:1: step_timeout: want a duration such as 30s, 5m "
                "or 1h between 1s and 1h, got \"0s\""},
        BadCase{"tls_ca = /c\n", "agent.conf: verifier: required (host:port)"},
        BadCase{"verifier = v:1\n",
                "agent.conf: tls_ca: required unless insecure = true"},
        BadCase{"verifier = v:1\ntls_ca = /c\ntls_cert = /a.pem\n",
                "agent.conf:3: tls_cert: tls_cert and tls_key go together "
                "(mutual TLS)"},
        BadCase{"verifier = v:1\ntls_ca = /c\ntls_key = /a.key\n",
                "agent.conf:3: tls_key: tls_cert and tls_key go together "
                "(mutual TLS)"},
        BadCase{"verifier = v:1\ntls_ca = /c\nbackoff_min = 10m\n"
                "backoff_max = 1m\n",
                "agent.conf:3: backoff_min: greater than backoff_max"},
        BadCase{"verifier = v:1\ntls_ca = /c\ntoken_file =\n",
                "agent.conf:3: token_file: empty"},
        BadCase{"verifier = v:1\ntls_ca = /c\nuser =\n",
                "agent.conf:3: user: empty"}));

TEST(AgentConfig, LoadNamesAMissingFile) {
  EXPECT_THAT(LoadAgentConfig("/nonexistent/agent.conf"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("/nonexistent/agent.conf")));
}

}  // namespace
}  // namespace vigil::agent
