#include "service/verifier/budgeted_lru.h"

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
// soon as Put returns) must still be found, and evictions must remove
// exactly the entry they drop (ASan reports a dangling view).
TEST(BudgetedLru, KeysOutliveTheCallersStringsAndEvictionsDropTheOldest) {
  BudgetedLru<std::string> lru(10 * 100);
  for (int i = 0; i < 25; ++i) {
    lru.Put(absl::StrCat("device-", i), Value(absl::StrCat("decision ", i)),
            100);
  }
  EXPECT_EQ(lru.size(), 10u);
  EXPECT_EQ(lru.charged_bytes(), 1000u);
  for (int i = 0; i < 15; ++i) {
    EXPECT_EQ(lru.Find(absl::StrCat("device-", i)), nullptr) << i;
  }
  for (int i = 15; i < 25; ++i) {
    std::shared_ptr<const std::string> v = lru.Find(absl::StrCat("device-", i));
    ASSERT_NE(v, nullptr) << i;
    EXPECT_EQ(*v, absl::StrCat("decision ", i));
  }
}

TEST(BudgetedLru, AUseKeepsAnEntryAndAReplacementRechargesIt) {
  BudgetedLru<std::string> lru(300);
  lru.Put("a", Value("1"), 100);
  lru.Put("b", Value("2"), 100);
  ASSERT_NE(lru.Find("a"), nullptr);  // "b" is now the least recent
  lru.Put("a", Value("1 again"), 150);
  EXPECT_EQ(lru.size(), 2u);
  EXPECT_EQ(lru.charged_bytes(), 250u);
  lru.Put("c", Value("3"), 100);  // 350 > 300: "b" goes, not "a"
  EXPECT_EQ(lru.Find("b"), nullptr);
  ASSERT_NE(lru.Find("a"), nullptr);
  EXPECT_EQ(*lru.Find("a"), "1 again");
  EXPECT_EQ(lru.charged_bytes(), 250u);
}

// A value charged more than the budget is not kept, and the key's older
// value goes with it: it is out of date, and must not be found.
TEST(BudgetedLru, AReplacementOverTheBudgetDropsTheOldValueToo) {
  BudgetedLru<std::string> lru(100);
  lru.Put("a", Value("small"), 50);
  lru.Put("a", Value("huge"), 101);
  EXPECT_EQ(lru.Find("a"), nullptr);
  EXPECT_EQ(lru.size(), 0u);
  EXPECT_EQ(lru.charged_bytes(), 0u);
  BudgetedLru<std::string> off(0);
  off.Put("a", Value("x"), 0);  // even charged nothing
  EXPECT_EQ(off.Find("a"), nullptr);
  EXPECT_EQ(off.size(), 0u);
}

// A value handed out lives on while its holder keeps it, evicted or not.
TEST(BudgetedLru, AnEvictedValueStaysValidForItsHolder) {
  BudgetedLru<std::string> lru(100);
  lru.Put("a", Value("held"), 100);
  std::shared_ptr<const std::string> held = lru.Find("a");
  lru.Put("b", Value("newer"), 100);
  EXPECT_EQ(lru.Find("a"), nullptr);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(*held, "held");
}

// Evicted values are released after the lock is dropped: a value whose
// destructor uses the cache (here: reads its size) must not deadlock.
TEST(BudgetedLru, EvictedValuesAreReleasedOutsideTheLock) {
  BudgetedLru<std::string> lru(100);
  size_t seen = 999;
  {
    std::shared_ptr<const std::string> v(new std::string("first"),
                                         [&lru, &seen](const std::string* p) {
                                           seen = lru.size();
                                           delete p;
                                         });
    lru.Put("a", std::move(v), 100);
  }
  lru.Put("b", Value("second"), 100);  // evicts "a", the last reference
  EXPECT_EQ(seen, 1u);
}

}  // namespace
}  // namespace vigil::service
