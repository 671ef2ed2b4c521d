// The example configurations shipped in systemd/ parse and validate, so the
// files operators copy are never stale.
#include <fstream>
#include <sstream>
#include <string>

#include "agent/daemon/agent_config.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "gtest/gtest.h"
#include "service/config/server_config.h"

namespace vigil::testing {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

TEST(ExampleConfigs, VerifierExampleIsValid) {
  const std::string path = SourcePath("systemd/vigil-verifier.conf.example");
  const std::string text = Read(path);
  ASSERT_FALSE(text.empty());
  ASSERT_OK_AND_ASSIGN(service::ServerConfig c,
                       service::ParseServerConfig(text, path));
  EXPECT_EQ(c.listen, "0.0.0.0:8443");
  EXPECT_FALSE(c.insecure);
  EXPECT_EQ(c.verifier.core.issuer, "https://verifier.example.com:8444");
  EXPECT_EQ(c.metrics_listen, "0.0.0.0:9464");
}

TEST(ExampleConfigs, AgentExampleIsValid) {
  const std::string path = SourcePath("systemd/vigil-agent.conf.example");
  const std::string text = Read(path);
  ASSERT_FALSE(text.empty());
  ASSERT_OK_AND_ASSIGN(agent::AgentConfig c,
                       agent::ParseAgentConfig(text, path));
  EXPECT_EQ(c.verifier, "verifier.example.com:8443");
  EXPECT_FALSE(c.insecure);
}

}  // namespace
}  // namespace vigil::testing
