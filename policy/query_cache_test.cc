#include "policy/query_cache.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/jmespath/jmespath.h"

namespace vigil::policy::internal {
namespace {

using ::vigil::testing::IsOk;
using Json = jmespath::Json;

Json Evaluate(const absl::StatusOr<jmespath::Expression>& query,
              const Json& document) {
  EXPECT_THAT(query, IsOk());
  if (!query.ok()) return Json();
  absl::StatusOr<Json> result = query->Evaluate(document);
  EXPECT_THAT(result, IsOk());
  return result.ok() ? *result : Json();
}

TEST(QueryCache, HitGivesWhatAFreshCompileGives) {
  QueryCache cache;
  const Json doc = Json::parse(R"({"a": [1, 2, 3], "b": "x"})");
  for (const char* text : {"a[?@ > `1`]", "b", "length(a)"}) {
    absl::StatusOr<jmespath::Expression> fresh = jmespath::Compile(text);
    ASSERT_THAT(fresh, IsOk());
    for (int round = 0; round < 2; ++round) {  // miss, then hit
      absl::StatusOr<jmespath::Expression> cached = cache.Compile(text);
      ASSERT_THAT(cached, IsOk());
      EXPECT_EQ(cached->text(), text);
      EXPECT_EQ(cached->DebugString(), fresh->DebugString());
      EXPECT_EQ(Evaluate(cached, doc), Evaluate(fresh, doc)) << text;
    }
  }
  EXPECT_EQ(cache.size(), 3u);
}

TEST(QueryCache, HitSharesTheCompiledQuery) {
  QueryCache cache;
  absl::StatusOr<jmespath::Expression> first = cache.Compile("a.b");
  absl::StatusOr<jmespath::Expression> second = cache.Compile("a.b");
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(&first->text(), &second->text());
}

TEST(QueryCache, ErrorsAreTheCompileErrors) {
  QueryCache cache;
  const std::string bad = "Events[? EventSeq < `12`";
  absl::Status fresh = jmespath::Compile(bad).status();
  ASSERT_FALSE(fresh.ok());
  EXPECT_EQ(cache.Compile(bad).status(), fresh);
  EXPECT_EQ(cache.Compile(bad).status(), fresh);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(QueryCache, EvictsLeastRecentlyUsedPastMaxEntries) {
  QueryCache cache(/*max_entries=*/2);
  absl::StatusOr<jmespath::Expression> a = cache.Compile("a");
  absl::StatusOr<jmespath::Expression> b = cache.Compile("b");
  ASSERT_THAT(cache.Compile("a"), IsOk());  // a is now the most recent
  absl::StatusOr<jmespath::Expression> c = cache.Compile("c");  // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(&cache.Compile("a")->text(), &a->text());
  EXPECT_EQ(&cache.Compile("c")->text(), &c->text());
  absl::StatusOr<jmespath::Expression> b2 = cache.Compile("b");  // recompiled
  EXPECT_NE(&b2->text(), &b->text());
  // The evicted query stays usable by whoever holds it.
  EXPECT_EQ(Evaluate(b, Json::parse(R"({"b": 7})")), Json(7));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(QueryCache, BoundsTheTextBytes) {
  QueryCache cache(/*max_entries=*/100, /*max_text_bytes=*/10);
  ASSERT_THAT(cache.Compile("aaaa"), IsOk());
  ASSERT_THAT(cache.Compile("bbbb"), IsOk());
  EXPECT_EQ(cache.text_bytes(), 8u);
  ASSERT_THAT(cache.Compile("cccc"), IsOk());  // 12 bytes: drops aaaa
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.text_bytes(), 8u);
  // Longer than the whole budget: compiled, returned, not kept.
  absl::StatusOr<jmespath::Expression> long_query =
      cache.Compile("abcdefghijkl");
  EXPECT_EQ(Evaluate(long_query, Json::parse(R"({"abcdefghijkl": 1})")),
            Json(1));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.text_bytes(), 8u);
}

TEST(QueryCache, ConcurrentCompilesAgree) {
  QueryCache cache(/*max_entries=*/8);
  const Json doc = Json::parse(R"({"n": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]})");
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 400; ++i) {
        const int k = (i * 7 + t) % 12;  // more texts than entries: evicts
        absl::StatusOr<jmespath::Expression> q =
            cache.Compile(absl::StrCat("n[?@ < `", k, "`] | length(@)"));
        absl::StatusOr<Json> r =
            q.ok() ? q->Evaluate(doc) : absl::StatusOr<Json>(q.status());
        if (!r.ok() || *r != Json(std::min(k, 10))) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
  EXPECT_LE(cache.size(), 8u);
}

}  // namespace
}  // namespace vigil::policy::internal
