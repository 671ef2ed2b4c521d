#include "agent/client/verifier_client.h"

#include "common/testing/status_matchers.h"
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

}  // namespace
}  // namespace vigil::agent
