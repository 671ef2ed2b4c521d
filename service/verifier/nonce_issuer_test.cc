#include "service/verifier/nonce_issuer.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::service {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::FakeClock;
using ::vigil::testing::StatusIs;

constexpr char kDevice[] = "device-a";
constexpr char kOtherDevice[] = "device-b";

class FailingRandom final : public tpm::RandomSource {
 public:
  absl::Status Fill(absl::Span<uint8_t>) override {
    return absl::InternalError("no entropy");
  }
};

class NonceIssuerTest : public ::testing::Test {
 protected:
  NonceIssuerTest()
      : key_(*HmacKey::Generate()),
        clock_(absl::FromUnixSeconds(1700000000)),
        issuer_(&key_, &clock_, &rng_, absl::Minutes(2)) {}

  IssuedNonce Issue(absl::string_view device = kDevice) {
    absl::StatusOr<IssuedNonce> n = issuer_.Issue(device);
    EXPECT_OK(n.status());
    return n.ok() ? *std::move(n) : IssuedNonce{};
  }

  HmacKey key_;
  FakeClock clock_;
  tpm::OpenSslRandomSource rng_;
  NonceIssuer issuer_;
};

TEST_F(NonceIssuerTest, FreshNonceIsAcceptedOnceThenAlreadyUsed) {
  IssuedNonce n = Issue();
  EXPECT_EQ(n.bytes.size(), NonceIssuer::kNonceSize);
  EXPECT_LE(n.bytes.size(), 64u);  // fits TPM2B_DATA (qualifyingData)
  EXPECT_EQ(n.expires_at, clock_.Now() + absl::Minutes(2));
  EXPECT_OK(issuer_.Consume(n.bytes, kDevice));
  EXPECT_THAT(issuer_.Consume(n.bytes, kDevice),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("nonce: already used")));
}

TEST_F(NonceIssuerTest, TwoNoncesForTheSameDeviceDiffer) {
  IssuedNonce a = Issue();
  IssuedNonce b = Issue();
  EXPECT_NE(a.bytes, b.bytes);
  EXPECT_OK(issuer_.Consume(b.bytes, kDevice));
  EXPECT_OK(issuer_.Consume(a.bytes, kDevice));
}

TEST_F(NonceIssuerTest, NonceForAnotherDeviceIsRefused) {
  IssuedNonce n = Issue(kOtherDevice);
  EXPECT_THAT(issuer_.Consume(n.bytes, kDevice),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("issued for another device")));
  // The refusal did not spend it: its own device may still use it.
  EXPECT_OK(issuer_.Consume(n.bytes, kOtherDevice));
}

TEST_F(NonceIssuerTest, ExpiredNonceIsRefusedSayingHowLongAgo) {
  IssuedNonce n = Issue();
  clock_.Advance(absl::Minutes(2) + absl::Seconds(35));
  EXPECT_THAT(issuer_.Consume(n.bytes, kDevice),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("nonce: expired 35s ago")));
}

TEST_F(NonceIssuerTest, NonceIsValidUpToItsExpiryInclusive) {
  IssuedNonce n = Issue();
  clock_.Advance(absl::Minutes(2));
  EXPECT_OK(issuer_.Consume(n.bytes, kDevice));
  IssuedNonce late = Issue();
  clock_.Advance(absl::Minutes(2) + absl::Milliseconds(1));
  EXPECT_THAT(
      issuer_.Consume(late.bytes, kDevice),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
}

TEST_F(NonceIssuerTest, NonceIssuedInTheFutureIsRefusedBeyondTheSkew) {
  // Another replica (same key) whose clock runs ahead.
  FakeClock ahead(clock_.Now() + absl::Seconds(31));
  NonceIssuer replica(&key_, &ahead, &rng_, absl::Minutes(2));
  absl::StatusOr<IssuedNonce> far = replica.Issue(kDevice);
  ASSERT_OK(far.status());
  EXPECT_THAT(issuer_.Consume(far->bytes, kDevice),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("nonce: issued in the future")));
  // Within the 30 s skew a replica's nonce is accepted here.
  ahead.Set(clock_.Now() + absl::Seconds(29));
  absl::StatusOr<IssuedNonce> near = replica.Issue(kDevice);
  ASSERT_OK(near.status());
  EXPECT_OK(issuer_.Consume(near->bytes, kDevice));
}

TEST_F(NonceIssuerTest, MalformedSizesAndVersionsAreRefusedNamingTheSize) {
  IssuedNonce n = Issue();
  for (size_t size : {size_t{0}, size_t{1}, NonceIssuer::kNonceSize - 1,
                      NonceIssuer::kNonceSize + 1, size_t{64}}) {
    std::vector<uint8_t> b = n.bytes;
    b.resize(size);
    EXPECT_THAT(issuer_.Consume(b, kDevice),
                StatusIs(absl::StatusCode::kUnauthenticated,
                         HasSubstr(absl::StrCat("nonce: malformed (", size,
                                                " bytes)"))))
        << size;
  }
  std::vector<uint8_t> v2 = n.bytes;
  v2[0] = 2;
  EXPECT_THAT(issuer_.Consume(v2, kDevice),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("malformed (41 bytes)")));
  // None of the refusals spent the real one.
  EXPECT_OK(issuer_.Consume(n.bytes, kDevice));
}

TEST_F(NonceIssuerTest, AlteredNonceIsRefused) {
  IssuedNonce n = Issue();
  for (size_t i : {size_t{1}, size_t{8}, size_t{9}, size_t{24}, size_t{25},
                   NonceIssuer::kNonceSize - 1}) {
    std::vector<uint8_t> b = n.bytes;
    b[i] ^= 0x01;
    EXPECT_THAT(issuer_.Consume(b, kDevice),
                StatusIs(absl::StatusCode::kUnauthenticated,
                         HasSubstr("not issued by this verifier")))
        << "byte " << i;
  }
}

TEST_F(NonceIssuerTest, NonceFromAnotherKeyIsRefused) {
  HmacKey other = *HmacKey::Generate();
  NonceIssuer stranger(&other, &clock_, &rng_);
  absl::StatusOr<IssuedNonce> n = stranger.Issue(kDevice);
  ASSERT_OK(n.status());
  EXPECT_THAT(issuer_.Consume(n->bytes, kDevice),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("not issued by this verifier")));
}

TEST_F(NonceIssuerTest, ReplicaWithTheSameKeyAcceptsTheNonce) {
  FakeClock same(clock_.Now());
  NonceIssuer replica(&key_, &same, &rng_);
  absl::StatusOr<IssuedNonce> n = replica.Issue(kDevice);
  ASSERT_OK(n.status());
  EXPECT_OK(issuer_.Consume(n->bytes, kDevice));
}

TEST_F(NonceIssuerTest, RememberedSetIsPrunedAfterExpiry) {
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK(issuer_.Consume(Issue().bytes, kDevice));
  }
  EXPECT_EQ(issuer_.remembered(), 100u);
  // Still within the lifetime: nothing may be forgotten (a replay would
  // pass).
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(issuer_.Consume(Issue().bytes, kDevice));
  EXPECT_EQ(issuer_.remembered(), 101u);
  // Past the first hundred's expiry: they go at the next Consume.
  clock_.Advance(absl::Minutes(1) + absl::Seconds(1));
  ASSERT_OK(issuer_.Consume(Issue().bytes, kDevice));
  EXPECT_EQ(issuer_.remembered(), 2u);
  clock_.Advance(absl::Minutes(3));
  ASSERT_OK(issuer_.Consume(Issue().bytes, kDevice));
  EXPECT_EQ(issuer_.remembered(), 1u);
}

// Nonces are forgotten by when they expire, whatever the order they were
// consumed in: never early, and one that expires later does not hold back
// the others.
TEST_F(NonceIssuerTest, NoncesConsumedOutOfIssueOrderAreNeverForgottenEarly) {
  const IssuedNonce b = Issue();  // t0: expires t0 + 2m
  clock_.Advance(absl::Seconds(30));
  const IssuedNonce a = Issue();  // t0 + 30s: expires t0 + 2m30s
  ASSERT_OK(issuer_.Consume(a.bytes, kDevice));
  ASSERT_OK(issuer_.Consume(b.bytes, kDevice));
  clock_.Advance(absl::Minutes(1) + absl::Seconds(40));  // t0 + 2m10s
  ASSERT_OK(issuer_.Consume(Issue().bytes, kDevice));
  EXPECT_EQ(issuer_.remembered(), 2u);  // a and the new one; b forgotten
  EXPECT_THAT(
      issuer_.Consume(a.bytes, kDevice),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("already used")));
  EXPECT_THAT(
      issuer_.Consume(b.bytes, kDevice),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
  clock_.Advance(absl::Seconds(21));  // t0 + 2m31s: a and b both expired
  ASSERT_OK(issuer_.Consume(Issue().bytes, kDevice));
  EXPECT_EQ(issuer_.remembered(), 2u);
}

// Remembered by the second its validity ends in: up to and including the
// expiry a replay is refused as used, not forgotten; at most a second
// later it is forgotten (and refused as expired).
TEST_F(NonceIssuerTest, ReplayIsRefusedUpToTheExpiryAndForgottenWithinASecond) {
  clock_.Advance(absl::Milliseconds(250));  // expiry inside a second
  const IssuedNonce n = Issue();
  ASSERT_OK(issuer_.Consume(n.bytes, kDevice));
  clock_.Advance(absl::Minutes(2));  // now == expiry
  EXPECT_THAT(
      issuer_.Consume(n.bytes, kDevice),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("already used")));
  EXPECT_EQ(issuer_.remembered(), 1u);
  clock_.Advance(absl::Milliseconds(700));  // same second, expired
  EXPECT_THAT(
      issuer_.Consume(n.bytes, kDevice),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
  ASSERT_OK(issuer_.Consume(Issue().bytes, kDevice));
  EXPECT_EQ(issuer_.remembered(), 2u) << "its second is not over yet";
  clock_.Advance(absl::Milliseconds(100));  // the next second
  ASSERT_OK(issuer_.Consume(Issue().bytes, kDevice));
  EXPECT_EQ(issuer_.remembered(), 2u) << "the first one forgotten";
}

TEST_F(NonceIssuerTest, BeyondItsBoundConsumeIsExhaustedUntilNoncesExpire) {
  NonceIssuer small(&key_, &clock_, &rng_, absl::Minutes(2), 3);
  auto issue = [&] { return *small.Issue(kDevice); };
  for (int i = 0; i < 3; ++i) ASSERT_OK(small.Consume(issue().bytes, kDevice));
  const IssuedNonce waiting = issue();
  EXPECT_THAT(small.Consume(waiting.bytes, kDevice),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("too many outstanding attestations")));
  EXPECT_EQ(small.remembered(), 3u);
  // Refused, not spent: once the three expire, a fresh nonce is accepted.
  clock_.Advance(absl::Minutes(2) + absl::Seconds(1));
  EXPECT_OK(small.Consume(issue().bytes, kDevice));
  EXPECT_EQ(small.remembered(), 1u);
}

// The bound scales with the rate the machine can attest at over the
// lifetime, so a bigger verifier is not refused at full rate.
TEST(NonceIssuerBound, IsRateTimesLifetimeAndNeverBelowTheMinimum) {
  EXPECT_EQ(NonceIssuer::RememberedFor(16, absl::Minutes(2)),
            16u * NonceIssuer::kRatePerCore * 120);
  EXPECT_EQ(NonceIssuer::RememberedFor(2, absl::Minutes(2)), 1200000u);
  EXPECT_EQ(NonceIssuer::RememberedFor(1, absl::Seconds(5)),
            NonceIssuer::kMinRemembered);
  // hardware_concurrency() may say 0 (unknown): one core.
  EXPECT_EQ(NonceIssuer::RememberedFor(0, absl::Hours(1)),
            1u * NonceIssuer::kRatePerCore * 3600);
}

TEST_F(NonceIssuerTest, ConcurrentConsumesOfOneNonceAdmitExactlyOne) {
  IssuedNonce n = Issue();
  std::atomic<int> accepted{0};
  std::atomic<int> reused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      absl::Status s = issuer_.Consume(n.bytes, kDevice);
      if (s.ok()) ++accepted;
      if (absl::StrContains(s.message(), "already used")) ++reused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(reused.load(), 7);
}

TEST_F(NonceIssuerTest, IssueFailsWhenRandomnessFails) {
  FailingRandom bad;
  NonceIssuer broken(&key_, &clock_, &bad);
  EXPECT_THAT(broken.Issue(kDevice),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("entropy")));
}

}  // namespace
}  // namespace vigil::service
