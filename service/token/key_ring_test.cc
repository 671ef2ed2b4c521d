#include "service/token/key_ring.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/token/jwt_verifier.h"

namespace vigil::token {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::vigil::testing::FakeClock;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;

constexpr char kIssuer[] = "https://vigil.example";
const absl::Time kStart = absl::FromUnixSeconds(1738120398);

KeyRingOptions Options(absl::Duration lifetime,
                       absl::Duration slack = absl::Minutes(5)) {
  KeyRingOptions options;
  options.max_token_lifetime = lifetime;
  options.retention_slack = slack;
  return options;
}

RawJwt Token(absl::Time now, absl::Duration lifetime) {
  return *RawJwtBuilder()
              .SetIssuer(kIssuer)
              .SetIssuedAt(now)
              .SetExpiration(now + lifetime)
              .Build();
}

// Verifies `token` against the ring's JWKS as a relying party would.
absl::Status VerifyWithRing(const KeyRing& ring, const std::string& token,
                            const Clock& clock) {
  absl::StatusOr<Jwks> jwks = Jwks::Parse(ring.JwksJson());
  if (!jwks.ok()) return jwks.status();
  absl::StatusOr<JwtVerifier> verifier = JwtVerifierBuilder()
                                             .SetJwks(*jwks)
                                             .ExpectIssuer(kIssuer)
                                             .SetClock(clock)
                                             .SetClockSkew(absl::ZeroDuration())
                                             .Build();
  if (!verifier.ok()) return verifier.status();
  return verifier->Verify(token).status();
}

TEST(KeyRing, SignsWithTheCurrentKey) {
  FakeClock clock(kStart);
  ASSERT_OK_AND_ASSIGN(SigningKey key, SigningKey::Generate());
  ASSERT_OK_AND_ASSIGN(auto ring, KeyRing::Create(key, clock));
  EXPECT_EQ(ring->current_kid(), key.kid());
  ASSERT_OK_AND_ASSIGN(std::string token,
                       ring->SignAndEncode(Token(kStart, absl::Hours(1))));
  EXPECT_THAT(VerifyWithRing(*ring, token, clock), IsOk());
}

TEST(KeyRing, RefusesExpiryBeyondMaxTokenLifetime) {
  FakeClock clock(kStart);
  ASSERT_OK_AND_ASSIGN(
      auto ring,
      KeyRing::Create(*SigningKey::Generate(), clock, Options(absl::Hours(1))));
  EXPECT_THAT(ring->SignAndEncode(Token(kStart, absl::Hours(1))), IsOk());
  EXPECT_THAT(
      ring->SignAndEncode(Token(kStart, absl::Hours(1) + absl::Seconds(1))),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("max_token_lifetime")));
}

TEST(KeyRing, RetiredKeyStaysUntilItsTokensExpireThenIsDropped) {
  FakeClock clock(kStart);
  const KeyRingOptions options = Options(absl::Hours(1), absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(SigningKey a, SigningKey::Generate());
  ASSERT_OK_AND_ASSIGN(SigningKey b,
                       SigningKey::Generate(JwsAlgorithm::kRs256));
  ASSERT_OK_AND_ASSIGN(auto ring, KeyRing::Create(a, clock, options));

  clock.Advance(absl::Minutes(10));
  // The longest-lived token key A can sign: expires at retire time + 1h.
  ASSERT_OK_AND_ASSIGN(std::string old_token,
                       ring->SignAndEncode(Token(clock.Now(), absl::Hours(1))));
  ASSERT_THAT(ring->Rotate(b), IsOk());
  const absl::Time retired_at = clock.Now();
  EXPECT_EQ(ring->current_kid(), b.kid());
  EXPECT_THAT(ring->PublishedKids(), ElementsAre(b.kid(), a.kid()));

  ASSERT_OK_AND_ASSIGN(std::string new_token,
                       ring->SignAndEncode(Token(clock.Now(), absl::Hours(1))));
  EXPECT_THAT(VerifyWithRing(*ring, new_token, clock), IsOk());
  EXPECT_THAT(VerifyWithRing(*ring, old_token, clock), IsOk());

  // Just before the old token expires, it still verifies.
  clock.Set(retired_at + absl::Hours(1) - absl::Seconds(1));
  EXPECT_THAT(VerifyWithRing(*ring, old_token, clock), IsOk());
  // Past expiry the key is kept for the slack, then dropped.
  clock.Set(retired_at + absl::Hours(1) + absl::Minutes(5) - absl::Seconds(1));
  EXPECT_THAT(ring->PublishedKids(), ElementsAre(b.kid(), a.kid()));
  clock.Set(retired_at + absl::Hours(1) + absl::Minutes(5));
  EXPECT_THAT(ring->PublishedKids(), ElementsAre(b.kid()));
  EXPECT_THAT(ring->JwksJson(), Not(HasSubstr(a.kid())));
}

TEST(KeyRing, RotatingToAKeyAlreadyInTheRingIsRefused) {
  FakeClock clock(kStart);
  ASSERT_OK_AND_ASSIGN(SigningKey a, SigningKey::Generate());
  ASSERT_OK_AND_ASSIGN(SigningKey b, SigningKey::Generate());
  ASSERT_OK_AND_ASSIGN(auto ring, KeyRing::Create(a, clock));
  EXPECT_THAT(ring->Rotate(a), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("already in the key ring")));
  ASSERT_THAT(ring->Rotate(b), IsOk());
  EXPECT_THAT(ring->Rotate(a), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("already in the key ring")));
  EXPECT_EQ(ring->current_kid(), b.kid());
}

TEST(KeyRing, OutOfRangeOptionsAreRefused) {
  FakeClock clock(kStart);
  ASSERT_OK_AND_ASSIGN(SigningKey a, SigningKey::Generate());
  EXPECT_THAT(KeyRing::Create(a, clock, Options(absl::ZeroDuration())),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("max_token_lifetime")));
  EXPECT_THAT(
      KeyRing::Create(a, clock, Options(absl::Hours(1), absl::Seconds(-1))),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("retention_slack")));
  KeyRingOptions x5c;
  x5c.signer.certificate_header = CertificateHeader::kX5c;
  EXPECT_THAT(KeyRing::Create(a, clock, x5c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("certificate chain")));
}

TEST(KeyRing, ConcurrentSigningDuringRotationYieldsOnlyVerifiableTokens) {
  FakeClock clock(kStart);
  ASSERT_OK_AND_ASSIGN(auto ring,
                       KeyRing::Create(*SigningKey::Generate(), clock));
  constexpr int kThreads = 4;
  constexpr int kTokensPerThread = 60;
  constexpr int kRotations = 6;
  std::vector<SigningKey> next;
  for (int i = 0; i < kRotations; ++i) {
    next.push_back(*SigningKey::Generate(i % 2 ? JwsAlgorithm::kRs256
                                               : JwsAlgorithm::kEs256));
  }
  std::vector<std::vector<std::string>> tokens(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTokensPerThread; ++i) {
        absl::StatusOr<std::string> token =
            ring->SignAndEncode(Token(kStart, absl::Minutes(30)));
        if (!token.ok()) {
          ++failures;
          continue;
        }
        tokens[static_cast<size_t>(t)].push_back(*std::move(token));
      }
    });
  }
  for (SigningKey& key : next) EXPECT_THAT(ring->Rotate(key), IsOk());
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ring->PublishedKids().size(), static_cast<size_t>(kRotations + 1));
  ASSERT_OK_AND_ASSIGN(Jwks jwks, Jwks::Parse(ring->JwksJson()));
  ASSERT_OK_AND_ASSIGN(JwtVerifier verifier, JwtVerifierBuilder()
                                                 .SetJwks(jwks)
                                                 .ExpectIssuer(kIssuer)
                                                 .SetClock(clock)
                                                 .Build());
  for (const auto& per_thread : tokens) {
    EXPECT_THAT(per_thread, ::testing::SizeIs(kTokensPerThread));
    for (const std::string& token : per_thread) {
      EXPECT_THAT(verifier.Verify(token), IsOk());
    }
  }
}

}  // namespace
}  // namespace vigil::token
