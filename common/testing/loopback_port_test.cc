#include "common/testing/loopback_port.h"

#include <set>

#include "gtest/gtest.h"

namespace vigil::testing {
namespace {

// The ports handed out lie below the kernel's ephemeral range, where no
// outgoing connection or bind to port 0 can take them before the server
// binds them; each is free to bind.
TEST(FreeLoopbackPort, PicksFreePortsBelowTheEphemeralRange) {
  const int low = loopback_port_internal::EphemeralLow();
  if (low < 21000) GTEST_SKIP() << "ephemeral range starts at " << low;
  std::set<int> seen;
  for (int i = 0; i < 20; ++i) {
    const int port = FreeLoopbackPort();
    ASSERT_GE(port, 20000);
    ASSERT_LT(port, low);
    EXPECT_EQ(loopback_port_internal::BindAndRelease(port), port);
    seen.insert(port);
  }
  // At random, not one port for everyone.
  EXPECT_GT(seen.size(), 10u);
}

}  // namespace
}  // namespace vigil::testing
