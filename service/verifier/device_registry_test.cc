#include "service/verifier/device_registry.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::service {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

MATCHER_P(Holds, transition, "is OK and holds the transition") {
  if (!arg.ok()) *result_listener << "status is " << arg.status();
  return arg.ok() && *arg == transition;
}

tpm::ClockInfo Clock(uint64_t clock, uint32_t reset, uint32_t restart = 0) {
  tpm::ClockInfo c;
  c.clock = clock;
  c.reset_count = reset;
  c.restart_count = restart;
  c.safe = true;
  return c;
}

EnrolledDevice Device(const std::string& id) {
  EnrolledDevice d;
  d.device_id = id;
  d.hostname = "host-" + id;
  return d;
}

TEST(CheckClockAdvance, FirstAttestationHasNoPrevious) {
  EXPECT_THAT(CheckClockAdvance(std::nullopt, Clock(5000, 3)),
              Holds(ClockTransition::kFirst));
}

TEST(CheckClockAdvance, SameBootWithAdvancingClockIsAccepted) {
  EXPECT_THAT(CheckClockAdvance(Clock(5000, 3), Clock(5001, 3)),
              Holds(ClockTransition::kSameBoot));
  // restartCount (TPM2_Startup(STATE), e.g. resume) does not make a new
  // boot; the clock still has to advance.
  EXPECT_THAT(CheckClockAdvance(Clock(5000, 3, 0), Clock(9000, 3, 1)),
              Holds(ClockTransition::kSameBoot));
}

TEST(CheckClockAdvance, EqualClockIsRefusedAsAReplay) {
  EXPECT_THAT(
      CheckClockAdvance(Clock(7000, 3), Clock(7000, 3)),
      StatusIs(absl::StatusCode::kUnauthenticated,
               HasSubstr("TPM clock did not advance: 7000 ms <= 7000 ms at "
                         "resetCount 3")));
}

TEST(CheckClockAdvance, ClockGoingBackIsRefused) {
  EXPECT_THAT(CheckClockAdvance(Clock(7000, 3), Clock(5000, 3)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("5000 ms <= 7000 ms")));
  EXPECT_THAT(CheckClockAdvance(Clock(7000, 3, 2), Clock(5000, 3, 3)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("did not advance")));
}

TEST(CheckClockAdvance, NewBootIsAcceptedWithALowerClock) {
  EXPECT_THAT(CheckClockAdvance(Clock(900000, 3), Clock(100, 4)),
              Holds(ClockTransition::kNewBoot));
}

TEST(CheckClockAdvance, ResetCountGoingBackIsRefused) {
  EXPECT_THAT(CheckClockAdvance(Clock(100, 4), Clock(900000, 3)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("TPM resetCount went backwards: 3 < 4")));
}

TEST(InMemoryDeviceRegistry, FindUnknownDeviceIsNotFound) {
  InMemoryDeviceRegistry r;
  EXPECT_THAT(r.Find("abc"), StatusIs(absl::StatusCode::kNotFound,
                                      HasSubstr("device abc is not enrolled")));
  EXPECT_THAT(r.RecordClock("abc", Clock(1, 1)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("abc")));
  EXPECT_EQ(r.size(), 0u);
}

TEST(InMemoryDeviceRegistry, EnrolFindAndRecordClock) {
  InMemoryDeviceRegistry r;
  ASSERT_OK(r.Enroll(Device("d1")));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const EnrolledDevice> d, r.Find("d1"));
  EXPECT_EQ(d->hostname, "host-d1");
  EXPECT_THAT(r.RecordClock("d1", Clock(10, 1)),
              Holds(ClockTransition::kFirst));
  EXPECT_THAT(r.RecordClock("d1", Clock(20, 1)),
              Holds(ClockTransition::kSameBoot));
  // A refused clock is not remembered: 20 stays the last accepted one.
  EXPECT_FALSE(r.RecordClock("d1", Clock(15, 1)).ok());
  EXPECT_THAT(r.RecordClock("d1", Clock(21, 1)),
              Holds(ClockTransition::kSameBoot));
}

// It records clocks in memory: the attestation service's default pool
// (DefaultWorkerThreads) needs no extra threads for commits.
TEST(InMemoryDeviceRegistry, RecordClockWaitsForNoCommit) {
  InMemoryDeviceRegistry r;
  EXPECT_FALSE(static_cast<DeviceRegistry&>(r).RecordClockWaitsForCommit());
}

// Connected streams share the registry's record instead of each holding a
// copy of it.
TEST(InMemoryDeviceRegistry, FindHandsOutTheRecordItHolds) {
  InMemoryDeviceRegistry r;
  ASSERT_OK(r.Enroll(Device("d1")));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const EnrolledDevice> a, r.Find("d1"));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const EnrolledDevice> b, r.Find("d1"));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a.get(), b.get());
}

TEST(InMemoryDeviceRegistry, ReEnrolmentKeepsTheClockHistory) {
  InMemoryDeviceRegistry r;
  ASSERT_OK(r.Enroll(Device("d1")));
  ASSERT_OK(r.RecordClock("d1", Clock(500, 2)).status());
  EnrolledDevice again = Device("d1");
  again.hostname = "renamed";
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const EnrolledDevice> before,
                       r.Find("d1"));
  ASSERT_OK(r.Enroll(again));
  EXPECT_EQ(r.size(), 1u);
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const EnrolledDevice> after,
                       r.Find("d1"));
  EXPECT_EQ(after->hostname, "renamed");
  // A record handed out earlier (a connected stream's) is not changed.
  EXPECT_EQ(before->hostname, "host-d1");
  // The TPM's clock history belongs to the TPM, not the AK: an old quote
  // is still a replay after re-enrolment.
  EXPECT_THAT(r.RecordClock("d1", Clock(500, 2)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("clock")));
}

TEST(InMemoryDeviceRegistry,
     ConcurrentRecordClockWithOneClockAdmitsExactlyOne) {
  for (int round = 0; round < 20; ++round) {
    InMemoryDeviceRegistry r;
    ASSERT_OK(r.Enroll(Device("d1")));
    ASSERT_OK(r.RecordClock("d1", Clock(1000, 1)).status());
    absl::Notification go;
    std::atomic<int> accepted{0};
    std::atomic<int> refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&] {
        go.WaitForNotification();
        absl::StatusOr<ClockTransition> t = r.RecordClock("d1", Clock(2000, 1));
        if (t.ok()) {
          ++accepted;
        } else if (t.status().code() == absl::StatusCode::kUnauthenticated) {
          ++refused;
        }
      });
    }
    go.Notify();
    for (auto& t : threads) t.join();
    ASSERT_EQ(accepted.load(), 1) << "round " << round;
    ASSERT_EQ(refused.load(), 7) << "round " << round;
  }
}

}  // namespace
}  // namespace vigil::service
