#include "service/verifier/replay_cache.h"

#include <malloc.h>

#include <memory>
#include <string>
#include <vector>

#include "common/testing/sanitizers.h"
#include "common/testing/testdata.h"
#include "eventlog/parser.h"
#include "eventlog/replay.h"
#include "gtest/gtest.h"
#include "service/verifier/claims_builder.h"

namespace vigil::service {
namespace {

// One real replayed log (the corpus's Ubuntu boot), shared by the entries:
// the cache never looks inside it.
std::shared_ptr<const eventlog::ReplayedLog> SomeReplay() {
  static const auto* replayed = [] {
    std::vector<uint8_t> bytes = testing::ReadFileBytes(
        testing::SourcePath("eventlog/testdata/corpus/google-go-tpm-tools/"
                            "ubuntu-2404-amd-sevsnp.bin"));
    absl::StatusOr<eventlog::EventLog> log = eventlog::Parse(bytes);
    absl::StatusOr<eventlog::ReplayedLog> r =
        eventlog::InsecureReplayWithoutQuote(*std::move(log));
    return new std::shared_ptr<const eventlog::ReplayedLog>(
        std::make_shared<const eventlog::ReplayedLog>(*std::move(r)));
  }();
  return *replayed;
}

std::shared_ptr<const CachedReplay> Entry(const std::string& digest,
                                          size_t charge,
                                          const std::string& pcrs = "p") {
  auto e = std::make_shared<CachedReplay>();
  e->log_digest = digest;
  e->pcrs_key = pcrs;
  e->charge = charge;
  return e;
}

std::shared_ptr<const HeldLog> Log(const std::string& digest, size_t charge) {
  auto e = std::make_shared<HeldLog>();
  e->log_digest = digest;
  e->pcrs_key = "p";
  e->replayed = SomeReplay();
  e->charge = charge;
  return e;
}

// Budgets below are twice the verdicts' share (kVerdictShareDivisor).
static_assert(kVerdictShareDivisor == 2);

TEST(ReplayCache, FindsWhatWasPutAndEvictsOneEntryToStayWithinTheBudget) {
  ReplayCache cache(600);  // 300 for verdicts, 300 for logs
  cache.Put(Entry("a", 100), nullptr);
  cache.Put(Entry("b", 100), nullptr);
  cache.Put(Entry("c", 100), nullptr);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.charged_bytes(), 300u);
  cache.Put(Entry("d", 100), nullptr);  // over budget: one of the others goes
  EXPECT_NE(cache.FindVerdict("d"), nullptr);
  int kept = 0;
  for (const char* k : {"a", "b", "c"}) kept += cache.FindVerdict(k) != nullptr;
  EXPECT_EQ(kept, 2);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.charged_bytes(), 300u);
}

// Verdicts and logs have their own shares: logs filling theirs evict only
// logs, so a fleet's verdicts stay while its logs come and go.
TEST(ReplayCache, LogsAndVerdictsAreEvictedEachWithinTheirOwnShare) {
  ReplayCache cache(600);
  cache.Put(Entry("a", 100), Log("a", 300));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.logs(), 1u);
  EXPECT_EQ(cache.charged_bytes(), 400u);
  for (const char* k : {"b", "c"}) cache.Put(Entry(k, 100), Log(k, 300));
  // Each log took the whole share: only the last is held; every verdict is.
  EXPECT_EQ(cache.logs(), 1u);
  EXPECT_NE(cache.FindHeldLog("c"), nullptr);
  EXPECT_EQ(cache.FindHeldLog("a"), nullptr);
  EXPECT_EQ(cache.size(), 3u);
  for (const char* k : {"a", "b", "c"}) {
    EXPECT_NE(cache.FindVerdict(k), nullptr) << k;
  }
  EXPECT_EQ(cache.charged_bytes(), 600u);
  EXPECT_EQ(cache.budget_bytes(), 600u);
}

TEST(ReplayCache, ANewerReplayOfTheSameLogReplacesTheOlder) {
  ReplayCache cache(2000);
  cache.Put(Entry("a", 100, "old pcrs"), nullptr);
  cache.Put(Entry("a", 150, "new pcrs"), nullptr);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.charged_bytes(), 150u);
  ASSERT_NE(cache.FindVerdict("a"), nullptr);
  EXPECT_EQ(cache.FindVerdict("a")->pcrs_key, "new pcrs");
}

TEST(ReplayCache, AnEntryOverItsShareOrAZeroBudgetKeepsNothing) {
  ReplayCache small(198);  // 99 each
  small.Put(Entry("a", 100), Log("a", 100));
  EXPECT_EQ(small.FindVerdict("a"), nullptr);
  EXPECT_EQ(small.FindHeldLog("a"), nullptr);
  EXPECT_EQ(small.size(), 0u);
  EXPECT_EQ(small.logs(), 0u);
  // A verdict within its share is kept when its log is not.
  small.Put(Entry("b", 99), Log("b", 100));
  EXPECT_NE(small.FindVerdict("b"), nullptr);
  EXPECT_EQ(small.FindHeldLog("b"), nullptr);
  ReplayCache off(0);
  off.Put(Entry("a", 0), Log("a", 0));
  EXPECT_EQ(off.FindVerdict("a"), nullptr);
  EXPECT_EQ(off.FindHeldLog("a"), nullptr);
  EXPECT_EQ(off.size(), 0u);
}

// The charge per log byte covers what a held replay really costs: the
// parsed events and the replay's records, measured on the heap.
TEST(ReplayCache, ChargePerLogByteCoversTheHeapOfAParsedReplay) {
  if (::vigil::testing::kAddressSanitizer) {
    GTEST_SKIP() << "ASan's allocator does not report through mallinfo2";
  }
  std::vector<uint8_t> bytes = testing::ReadFileBytes(
      testing::SourcePath("eventlog/testdata/corpus/google-go-tpm-tools/"
                          "ubuntu-2404-amd-sevsnp.bin"));
  ASSERT_GT(bytes.size(), 40000u);
  const size_t before = mallinfo2().uordblks;
  absl::StatusOr<eventlog::EventLog> log = eventlog::Parse(bytes);
  ASSERT_TRUE(log.ok());
  absl::StatusOr<eventlog::ReplayedLog> r =
      eventlog::InsecureReplayWithoutQuote(*std::move(log));
  ASSERT_TRUE(r.ok());
  auto held = std::make_shared<const eventlog::ReplayedLog>(*std::move(r));
  const size_t used = mallinfo2().uordblks - before;
  EXPECT_GT(used, bytes.size());  // it does hold the events
  EXPECT_LE(used, bytes.size() * kChargePerLogByte)
      << used << " heap bytes for a " << bytes.size() << "-byte log";
}

// kVerdictCharge covers a verdict with the claims it memoizes, measured on
// the heap for a Windows log (the most claims) and a Linux one.
TEST(ReplayCache, VerdictChargeCoversAVerdictAndItsLogClaims) {
  if (::vigil::testing::kAddressSanitizer) {
    GTEST_SKIP() << "ASan's allocator does not report through mallinfo2";
  }
  for (const char* path :
       {"eventlog/testdata/corpus/immune-gmbh-guard-oss/derived/"
        "x1carbon.eventlog.bin",
        "eventlog/testdata/corpus/google-go-tpm-tools/"
        "ubuntu-2404-amd-sevsnp.bin"}) {
    SCOPED_TRACE(path);
    std::vector<uint8_t> bytes =
        testing::ReadFileBytes(testing::SourcePath(path));
    absl::StatusOr<eventlog::EventLog> log = eventlog::Parse(bytes);
    ASSERT_TRUE(log.ok());
    absl::StatusOr<eventlog::ReplayedLog> r =
        eventlog::InsecureReplayWithoutQuote(*std::move(log));
    ASSERT_TRUE(r.ok());
    MakeLogClaims(*r);  // once first: derivation's own first-use statics
    // Many kept at once, the heap's growth divided among them: a single
    // one is within malloc's noise (chunks freed to its per-thread cache
    // still count as in use).
    constexpr int kKept = 64;
    std::vector<std::shared_ptr<CachedReplay>> kept;
    kept.reserve(kKept);
    const size_t before = mallinfo2().uordblks;
    for (int i = 0; i < kKept; ++i) {
      auto verdict = std::make_shared<CachedReplay>();
      verdict->log_digest = std::string(32, 'd');
      verdict->pcrs_key = std::string(32, 'k');
      absl::MutexLock lock(&verdict->memo_mu);
      verdict->memo = MakeLogClaims(*r);
      kept.push_back(std::move(verdict));
    }
    const size_t used = (mallinfo2().uordblks - before) / kKept;
    {
      absl::MutexLock lock(&kept[0]->memo_mu);
      EXPECT_GE(kept[0]->memo->claims.size(), 10u);  // it does hold claims
    }
    EXPECT_LE(used, VerdictCharge(*kept[0])) << used << " heap bytes each";
  }
}

TEST(PcrValuesKey, DependsOnEveryValueAndTheBankOrder) {
  tpm::PcrBank sha1{tpm::HashAlg::kSha1, {{0, tpm::Digest(20, 1)}}};
  tpm::PcrBank sha256{tpm::HashAlg::kSha256,
                      {{0, tpm::Digest(32, 2)}, {7, tpm::Digest(32, 3)}}};
  const std::string key = PcrValuesKey({sha1, sha256});
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(PcrValuesKey({sha1, sha256}), key);
  // The order is part of what the pcrs claim shows.
  EXPECT_NE(PcrValuesKey({sha256, sha1}), key);
  tpm::PcrBank changed = sha256;
  changed.values[7][31] ^= 1;
  EXPECT_NE(PcrValuesKey({sha1, changed}), key);
  tpm::PcrBank fewer = sha256;
  fewer.values.erase(7);
  EXPECT_NE(PcrValuesKey({sha1, fewer}), key);
  // The same value under another PCR index is another key.
  tpm::PcrBank moved{tpm::HashAlg::kSha256,
                     {{0, tpm::Digest(32, 2)}, {8, tpm::Digest(32, 3)}}};
  EXPECT_NE(PcrValuesKey({sha1, moved}), key);
}

// ReplayKey keys a PCR the log never extends (the Ubuntu log never touches
// PCR 10 or 23) by whether it moved from its initial value, not by the
// value: IMA extending PCR 10 between rounds keeps the key. Every PCR the
// log extends, and PCR 0, still counts by value; a bank the log does not
// carry counts every value.
TEST(ReplayKey, CountsAPcrTheLogNeverExtendsOnlyByWhetherItMoved) {
  const ValueKeyedBanks keyed(SomeReplay()->log());
  const uint32_t sha256 = keyed.For(tpm::HashAlg::kSha256);
  ASSERT_TRUE(sha256 & (1u << 0));
  ASSERT_TRUE(sha256 & (1u << 7));
  ASSERT_FALSE(sha256 & (1u << 10));
  ASSERT_FALSE(sha256 & (1u << 23));
  // A bank the log does not carry is not replayed: none of its values.
  EXPECT_EQ(keyed.For(tpm::HashAlg::kSha512), 0u);

  tpm::PcrBank bank{tpm::HashAlg::kSha256, {}};
  for (uint32_t p = 0; p < tpm::kNumPcrs; ++p) {
    bank.values[p] = tpm::InitialPcrValue(tpm::HashAlg::kSha256, p);
  }
  bank.values[7] = tpm::Digest(32, 7);
  const std::string initial = ReplayKey({bank}, keyed);
  EXPECT_EQ(initial.size(), 32u);

  tpm::PcrBank ima = bank;
  ima.values[10] = tpm::Digest(32, 0x10);
  const std::string moved = ReplayKey({ima}, keyed);
  EXPECT_NE(moved, initial);  // initial -> moved: the replay differs
  ima.values[10] = tpm::Digest(32, 0x11);
  EXPECT_EQ(ReplayKey({ima}, keyed), moved);  // moved again: the same
  EXPECT_NE(PcrValuesKey({ima}), PcrValuesKey({bank}));

  tpm::PcrBank pcr7 = ima;
  pcr7.values[7][0] ^= 1;
  EXPECT_NE(ReplayKey({pcr7}, keyed), moved);
  // PCR 23 moving is another key than PCR 10 moving.
  tpm::PcrBank other = bank;
  other.values[23] = tpm::Digest(32, 0x10);
  EXPECT_NE(ReplayKey({other}, keyed), moved);
  // With every PCR keyed by value it is PcrValuesKey.
  EXPECT_EQ(ReplayKey({ima}, ValueKeyedBanks()), PcrValuesKey({ima}));
  // In a bank the log does not carry, even PCR 7 counts only as moved.
  tpm::PcrBank sha512{tpm::HashAlg::kSha512, {{7, tpm::Digest(64, 1)}}};
  const std::string with512 = ReplayKey({bank, sha512}, keyed);
  sha512.values[7] = tpm::Digest(64, 2);
  EXPECT_EQ(ReplayKey({bank, sha512}, keyed), with512);
}

}  // namespace
}  // namespace vigil::service
