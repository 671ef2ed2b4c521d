#include "service/verifier/ak_cache.h"

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/verifier/ek_trust.h"
#include "tpm/verify/testing/software_ak.h"
#include "tpm/wire/public_area.h"

namespace vigil::service {
namespace {

using ::vigil::testing::StatusIs;

EnrolledDevice DeviceWith(const tpm::PublicArea& ak) {
  EnrolledDevice d;
  d.device_id = "dev";
  d.ak = ak;
  d.ak_name = *tpm::ComputeName(ak);
  return d;
}

TEST(AkCache, ImportsOnceAndKeepsTheAikPubHash) {
  const tpm::testing::SoftwareAk ak;
  const EnrolledDevice device = DeviceWith(ak.public_area());
  AkCache cache({});
  absl::StatusOr<std::shared_ptr<const TrustedAk>> first = cache.Get(device);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::shared_ptr<const TrustedAk>> second = cache.Get(device);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->get(), second->get());  // the same import, not a new one
  EXPECT_EQ((*first)->verifier.ak_name(), device.ak_name);
  EXPECT_EQ((*first)->pub_hash,
            Base64Encode(*PublicKeySha256(ak.public_area())));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(AkCache, DistinctAksGetDistinctEntriesWithinCapacity) {
  AkCache cache({}, /*capacity=*/2);
  const tpm::testing::SoftwareAk a, b, c;
  const auto ea = cache.Get(DeviceWith(a.public_area()));
  const auto eb = cache.Get(DeviceWith(b.public_area()));
  ASSERT_TRUE(ea.ok() && eb.ok());
  EXPECT_NE(ea->get(), eb->get());
  EXPECT_NE((*ea)->pub_hash, (*eb)->pub_hash);
  EXPECT_EQ(cache.size(), 2u);
  ASSERT_TRUE(cache.Get(DeviceWith(c.public_area())).ok());
  EXPECT_LE(cache.size(), 2u);  // full: started afresh, never above capacity
}

TEST(AkCache, AKeyUnfitToBeAnAkIsRefusedAndNotCached) {
  const tpm::testing::SoftwareAk ak;
  TPMT_PUBLIC unfit = ak.public_area().tpmt;
  unfit.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;  // could sign anything
  const EnrolledDevice device = DeviceWith(*tpm::MakePublicArea(unfit));
  AkCache cache({});
  EXPECT_THAT(cache.Get(device), StatusIs(absl::StatusCode::kUnauthenticated,
                                          ::testing::HasSubstr("restricted")));
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace vigil::service
