#include "policy/value.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/claim.h"
#include "policy/compiler.h"
#include "policy/evaluator.h"

namespace vigil::policy {
namespace {

jmespath::Json EventsDocument() {
  return jmespath::Json::parse(
      R"({"Events":[{"EventTypeString":"EV_SEPARATOR","PCRIndex":7}]})");
}

// A lazy value whose producer counts its calls.
Value CountingLazy(std::atomic<int>* calls) {
  return Value::LazyJsonDocument([calls] {
    calls->fetch_add(1);
    return EventsDocument();
  });
}

CompiledPolicy MustCompile(const std::string& text) {
  CompileResult r = Compile(text, {});
  EXPECT_TRUE(r.ok()) << text;
  return r.policy();
}

TEST(LazyJsonDocument, IsAStringWhoseProducerRunsOnFirstUseOnly) {
  std::atomic<int> calls = 0;
  const Value v = CountingLazy(&calls);
  EXPECT_EQ(v.kind(), Value::Kind::kString);
  EXPECT_EQ(calls.load(), 0);
  const Value copy = v;  // copies share the rep, nothing is made
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(copy.string_value(),
            R"({"Events":[{"EventTypeString":"EV_SEPARATOR","PCRIndex":7}]})");
  ASSERT_NE(v.json(), nullptr);
  EXPECT_EQ((*v.json())["Events"][0]["PCRIndex"], 7);
  EXPECT_EQ(calls.load(), 1);
}

TEST(LazyJsonDocument, EqualsTheEagerValueOfTheSameDocument) {
  std::atomic<int> calls = 0;
  EXPECT_TRUE(CountingLazy(&calls) == Value::JsonDocument(EventsDocument()));
  EXPECT_FALSE(CountingLazy(&calls) ==
               Value::JsonDocument(jmespath::Json::parse(R"({"Events":[]})")));
}

TEST(LazyJsonDocument, ManyReadersMakeItOnce) {
  std::atomic<int> calls = 0;
  const Value v = CountingLazy(&calls);
  std::vector<std::thread> readers;
  std::vector<std::string> seen(8);
  for (size_t i = 0; i < seen.size(); ++i) {
    readers.emplace_back([&v, &seen, i] { seen[i] = v.string_value(); });
  }
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(calls.load(), 1);
  for (const std::string& s : seen) EXPECT_EQ(s, seen[0]);
}

TEST(LazyJsonDocument, TooDeepADocumentBecomesNull) {
  const Value v = Value::LazyJsonDocument([] {
    jmespath::Json deep = 1;
    for (int i = 0; i < 2 * jmespath::kMaxValueDepth; ++i) {
      deep = jmespath::Json::array({std::move(deep)});
    }
    return deep;
  });
  EXPECT_EQ(v.string_value(), "null");
}

// The point of the lazy value: a policy that matches the claim but never
// reads it does not pay for it; one that reads it sees the document.
TEST(LazyJsonDocument, APolicyThatNeverReadsTheValueNeverMakesIt) {
  std::atomic<int> calls = 0;
  ClaimSet claims;
  claims.Add("events", CountingLazy(&calls));
  claims.Add("secureBootEnabled", Value::Bool(true));
  const CompiledPolicy ignores = MustCompile(
      "version=1.2; authorizationrules{"
      " c:[type==\"events\", issuer==\"AttestationService\"] => permit(); };"
      " issuancerules{ c:[type==\"secureBootEnabled\"] => issue(claim=c); };");
  absl::StatusOr<EvaluationResult> r = Evaluate(ignores, claims);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->permitted);
  EXPECT_EQ(calls.load(), 0);

  const CompiledPolicy reads = MustCompile(
      "version=1.2; authorizationrules{ => permit(); }; issuancerules{"
      " c:[type==\"events\", issuer==\"AttestationService\"] =>"
      " issue(type=\"separatorPcr\","
      " value=JsonToClaimValue(JmesPath(c.value, \"Events[0].PCRIndex\")));"
      " };");
  r = Evaluate(reads, claims);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->issued.size(), 1u);
  EXPECT_EQ(r->issued[0].type, "separatorPcr");
  EXPECT_EQ(r->issued[0].value, 7);
  EXPECT_EQ(calls.load(), 1);
}

}  // namespace
}  // namespace vigil::policy
