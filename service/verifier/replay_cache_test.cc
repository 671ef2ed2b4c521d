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
  e->replayed = SomeReplay();
  e->charge = charge;
  return e;
}

TEST(ReplayCache, FindsWhatWasPutAndEvictsOneEntryToStayWithinTheBudget) {
  ReplayCache cache(300);
  cache.Put(Entry("a", 100));
  cache.Put(Entry("b", 100));
  cache.Put(Entry("c", 100));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.charged_bytes(), 300u);
  cache.Put(Entry("d", 100));  // over budget: one of the others goes
  EXPECT_NE(cache.Find("d"), nullptr);
  int kept = 0;
  for (const char* k : {"a", "b", "c"}) kept += cache.Find(k) != nullptr;
  EXPECT_EQ(kept, 2);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.charged_bytes(), 300u);
}

TEST(ReplayCache, ANewerReplayOfTheSameLogReplacesTheOlder) {
  ReplayCache cache(1000);
  cache.Put(Entry("a", 100, "old pcrs"));
  cache.Put(Entry("a", 150, "new pcrs"));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.charged_bytes(), 150u);
  ASSERT_NE(cache.Find("a"), nullptr);
  EXPECT_EQ(cache.Find("a")->pcrs_key, "new pcrs");
}

TEST(ReplayCache, AnEntryOverTheBudgetOrAZeroBudgetKeepsNothing) {
  ReplayCache small(99);
  small.Put(Entry("a", 100));
  EXPECT_EQ(small.Find("a"), nullptr);
  EXPECT_EQ(small.size(), 0u);
  ReplayCache off(0);
  off.Put(Entry("a", 0));
  EXPECT_EQ(off.Find("a"), nullptr);
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

}  // namespace
}  // namespace vigil::service
