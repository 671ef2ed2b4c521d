#include "service/verifier/claims_builder.h"

#include <atomic>

#include "gtest/gtest.h"
#include "policy/claim.h"
#include "policy/value.h"

namespace vigil::service {
namespace {

TEST(ScalarClaimsJson, KeepsTheScalarsInOrderAndRendersNothingLazy) {
  std::atomic<int> rendered{0};
  policy::ClaimSet set;
  set.Add("aikValidated", policy::Value::Bool(true));
  set.Add("tpmVersion", policy::Value::Int(2));
  set.Add("events", policy::Value::LazyJsonDocument([&rendered] {
            ++rendered;
            return jmespath::Json();
          }));
  set.Add("pcrs", policy::Value::LazyJsonDocument(
                      [&rendered] {
                        ++rendered;
                        return jmespath::Json();
                      },
                      policy::Value::WhenKept::kRender));
  set.Add("osName", policy::Value::String("Linux"));
  set.Add("modules", policy::Value::Set({policy::Value::String("a"),
                                         policy::Value::String("b")}));

  const nlohmann::ordered_json got = ScalarClaimsJson(set);
  EXPECT_EQ(got.dump(),
            R"({"aikValidated":true,"tpmVersion":2,"osName":"Linux"})");
  EXPECT_EQ(rendered.load(), 0);
}

TEST(ScalarClaimsJson, AnEmptySetIsAnEmptyObject) {
  EXPECT_EQ(ScalarClaimsJson(policy::ClaimSet()).dump(), "{}");
}

}  // namespace
}  // namespace vigil::service
