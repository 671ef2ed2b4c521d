#include "service/verifier/budgeted_cache.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace vigil::service {
namespace {

std::shared_ptr<const std::string> Value(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

// The index views each entry's own key: keys built on the fly (freed as
// soon as Put returns) must still be found after entries change slots, and
// an eviction must remove exactly the entry it drops (ASan reports a
// dangling view).
TEST(BudgetedCache, KeysOutliveTheCallersStringsAndEvictionsKeepTheBudget) {
  BudgetedCache<std::string> cache(10 * 100);
  for (int i = 0; i < 25; ++i) {
    cache.Put(absl::StrCat("device-", i), Value(absl::StrCat("decision ", i)),
              100);
  }
  EXPECT_EQ(cache.size(), 10u);
  EXPECT_EQ(cache.charged_bytes(), 1000u);
  int found = 0;
  for (int i = 0; i < 25; ++i) {
    std::shared_ptr<const std::string> v =
        cache.Find(absl::StrCat("device-", i));
    if (v == nullptr) continue;
    ++found;
    EXPECT_EQ(*v, absl::StrCat("decision ", i));
  }
  EXPECT_EQ(found, 10);
  EXPECT_NE(cache.Find("device-24"), nullptr);  // the last one put stays
}

TEST(BudgetedCache, AReplacementRechargesTheEntry) {
  BudgetedCache<std::string> cache(300);
  cache.Put("a", Value("1"), 100);
  cache.Put("b", Value("2"), 100);
  cache.Put("a", Value("1 again"), 150);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.charged_bytes(), 250u);
  ASSERT_NE(cache.Find("a"), nullptr);
  EXPECT_EQ(*cache.Find("a"), "1 again");
}

// Agents re-attest in rotation. With a rotation 10% longer than the cache
// holds, least-recently-used eviction would drop every entry just before
// its use (0 hits); random eviction keeps most.
TEST(BudgetedCache, KeepsMostOfARotationLongerThanItHolds) {
  BudgetedCache<std::string> cache(100);
  int hits = 0, uses = 0;
  for (int round = 0; round < 30; ++round) {
    for (int device = 0; device < 110; ++device) {
      const std::string key = absl::StrCat(device);
      const bool hit = cache.Find(key) != nullptr;
      if (!hit) cache.Put(key, Value(key), 1);
      if (round >= 5) {
        ++uses;
        hits += hit;
      }
    }
  }
  EXPECT_GT(hits, uses * 6 / 10) << hits << " of " << uses;
  EXPECT_EQ(cache.size(), 100u);
}

// Entries nobody uses (a rebooted device's old log, decisions under a
// replaced policy) go before entries in use, so a cache large enough for
// the live entries keeps them: here half of what is held goes unused while
// the other half is used in rotation, and 50 new entries then displace
// (nearly) only unused ones. Random eviction alone would keep ~30 of the
// 50 in use.
TEST(BudgetedCache, EntriesNobodyUsesGoFirst) {
  BudgetedCache<std::string> cache(100);
  for (int i = 0; i < 50; ++i) {
    cache.Put(absl::StrCat("dead-", i), Value("old"), 1);
    cache.Put(absl::StrCat("live-", i), Value("in use"), 1);
  }
  for (int round = 0; round < 12; ++round) {  // 600 lookups > 4 x 100
    for (int i = 0; i < 50; ++i) {
      ASSERT_NE(cache.Find(absl::StrCat("live-", i)), nullptr);
    }
  }
  for (int i = 0; i < 50; ++i) {
    cache.Put(absl::StrCat("new-", i), Value("new"), 1);
  }
  int live = 0;
  for (int i = 0; i < 50; ++i) {
    live += cache.Find(absl::StrCat("live-", i)) != nullptr;
  }
  EXPECT_GE(live, 45);
  EXPECT_EQ(cache.size(), 100u);
}

// A value charged more than the budget is not kept, and the key's older
// value goes with it: it is out of date, and must not be found.
TEST(BudgetedCache, AReplacementOverTheBudgetDropsTheOldValueToo) {
  BudgetedCache<std::string> cache(100);
  cache.Put("a", Value("small"), 50);
  cache.Put("a", Value("huge"), 101);
  EXPECT_EQ(cache.Find("a"), nullptr);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.charged_bytes(), 0u);
  BudgetedCache<std::string> off(0);
  off.Put("a", Value("x"), 0);  // even charged nothing
  EXPECT_EQ(off.Find("a"), nullptr);
  EXPECT_EQ(off.size(), 0u);
}

// A value handed out lives on while its holder keeps it, evicted or not.
TEST(BudgetedCache, AnEvictedValueStaysValidForItsHolder) {
  BudgetedCache<std::string> cache(100);
  cache.Put("a", Value("held"), 100);
  std::shared_ptr<const std::string> held = cache.Find("a");
  cache.Put("b", Value("newer"), 100);
  EXPECT_EQ(cache.Find("a"), nullptr);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(*held, "held");
}

// Evicted values are released after the lock is dropped: a value whose
// destructor uses the cache (here: reads its size) must not deadlock.
TEST(BudgetedCache, EvictedValuesAreReleasedOutsideTheLock) {
  BudgetedCache<std::string> cache(100);
  size_t seen = 999;
  {
    std::shared_ptr<const std::string> v(new std::string("first"),
                                         [&cache, &seen](const std::string* p) {
                                           seen = cache.size();
                                           delete p;
                                         });
    cache.Put("a", std::move(v), 100);
  }
  cache.Put("b", Value("second"), 100);  // evicts "a", the last reference
  EXPECT_EQ(seen, 1u);
}

}  // namespace
}  // namespace vigil::service
