#include "agent/client/verifier_client.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/status/statusor.h"
#include "common/grpc_flow_control.h"
#include "common/testing/http2_settings.h"
#include "common/testing/status_matchers.h"
#include "common/testing/unix_socket.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::agent {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

TEST(IsLoopbackTarget, AcceptsUnixSocketsAndLoopbackAddressesOnly) {
  for (const char* t :
       {"unix:/run/vigil/verifier.sock", "unix-abstract:v", "localhost:8443",
        "127.0.0.1:1", "127.9.8.7:2", "ipv4:127.0.0.1:3", "dns:///localhost:4",
        "[::1]:5", "ipv6:[::1]:6"}) {
    EXPECT_TRUE(IsLoopbackTarget(t)) << t;
  }
  for (const char* t :
       {"verifier.example.com:8443", "10.0.0.1:1", "128.0.0.1:1", "[::2]:5",
        "localhost.evil.com:1", "dns:///127.0.0.1.nip.io:1", "", "[::1"}) {
    EXPECT_FALSE(IsLoopbackTarget(t)) << t;
  }
}

TEST(VerifierClient, RefusesPlaintextToANetworkAddress) {
  VerifierClientOptions o;
  o.target = "verifier.example.com:8443";
  o.insecure = true;
  EXPECT_THAT(VerifierClient::Create(o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("plaintext is allowed only")));
}

TEST(VerifierClient, TlsNeedsACaBundleAndWholeKeyPairs) {
  VerifierClientOptions o;
  o.target = "verifier.example.com:8443";
  EXPECT_THAT(VerifierClient::Create(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("CA")));
  o.ca_bundle_pem = "-----BEGIN CERTIFICATE-----\n";
  o.client_cert_pem = "cert";
  EXPECT_THAT(VerifierClient::Create(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key")));
  o.client_key_pem = "key";
  EXPECT_OK(VerifierClient::Create(o));
}

TEST(VerifierClient, UnreachableVerifierIsUnavailableWithinTheTimeout) {
  VerifierClientOptions o;
  o.target = "unix:/nonexistent/vigil-verifier.sock";
  o.insecure = true;
  o.connect_timeout = absl::Milliseconds(300);
  ASSERT_OK_AND_ASSIGN(auto client, VerifierClient::Create(o));
  const absl::Time start = absl::Now();
  EXPECT_THAT(client->Connect(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("reachable")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

// The agent announces the verifier's fixed stream window
// (common/grpc_flow_control.h) for what it receives: read from its SETTINGS
// by a raw unix-socket listener that never answers.
TEST(VerifierClient, AnnouncesTheFixedAttestationStreamWindow) {
  char dir[] = "/tmp/vigil-client-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/verifier.sock";
  absl::Cleanup remove_dir = [&] {
    unlink(path.c_str());
    rmdir(dir);
  };
  ASSERT_OK_AND_ASSIGN(const int listener, ::vigil::testing::ListenUnix(path));
  absl::Cleanup close_listener = [listener] { close(listener); };

  VerifierClientOptions o;
  o.target = "unix:" + path;
  o.insecure = true;
  o.connect_timeout = absl::Seconds(3);
  ASSERT_OK_AND_ASSIGN(auto client, VerifierClient::Create(o));
  // Connect gives up after connect_timeout (this listener never answers).
  std::thread connecting([&] { (void)client->Connect(); });
  absl::Cleanup join = [&] { connecting.join(); };
  ASSERT_OK_AND_ASSIGN(const int fd, ::vigil::testing::AcceptWithin(listener));
  absl::StatusOr<uint32_t> window =
      ::vigil::testing::ReadPeerInitialWindowSize(fd, /*peer_is_client=*/true);
  close(fd);
  ASSERT_OK(window.status());
  EXPECT_EQ(*window, static_cast<uint32_t>(kAttestationStreamWindowBytes));
}

}  // namespace
}  // namespace vigil::agent
