// Runs every case of the official JMESPath compliance suite
// (testdata/compliance/, see PROVENANCE.md): `result` cases must evaluate to
// the expected JSON (compared with JMESPath equality, so 0 == 0.0 and member
// order is ignored), `error` cases must fail at compile or evaluation time
// with the named error kind, and `bench` cases must compile ("parse") and
// evaluate ("full") without error.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/jmespath/jmespath.h"

namespace vigil::jmespath {
namespace {

constexpr const char* kFiles[] = {
    "basic.json",     "benchmarks.json", "boolean.json",    "current.json",
    "escape.json",    "filters.json",    "functions.json",  "identifiers.json",
    "indices.json",   "literal.json",    "multiselect.json", "pipe.json",
    "slice.json",     "syntax.json",     "unicode.json",    "wildcard.json",
};

// Cases in the suite (testdata/compliance/PROVENANCE.md, "Files").
constexpr int kTotalCases = 908;

struct FileResult {
  int total = 0;
  int passed = 0;
  std::vector<std::string> failures;
};

std::string Describe(const Json& value) {
  absl::StatusOr<std::string> text = SerializeJson(value);
  return text.ok() ? *text : std::string(text.status().message());
}

// EvaluateShared() must agree with Evaluate(): same error, or a Result
// whose copy and text are those of Evaluate()'s value. Returns "" if so.
std::string SharedParity(const Expression& compiled, const Json& given,
                         const absl::StatusOr<Json>& want) {
  absl::StatusOr<Result> got =
      compiled.EvaluateShared(Result::Of(std::make_shared<const Json>(given)));
  if (got.ok() != want.ok()) {
    return absl::StrCat("EvaluateShared: ",
                        got.ok() ? "OK" : got.status().ToString(),
                        ", Evaluate: ",
                        want.ok() ? "OK" : want.status().ToString());
  }
  if (!want.ok()) {
    return got.status() == want.status()
               ? ""
               : absl::StrCat("EvaluateShared error ", got.status().ToString(),
                              " != ", want.status().ToString());
  }
  if (got->ToJson() != *want) {
    return absl::StrCat("EvaluateShared gave ", Describe(got->ToJson()));
  }
  absl::StatusOr<std::string> text = got->Serialize();
  absl::StatusOr<std::string> want_text = SerializeJson(*want);
  if (!text.ok() || !want_text.ok() || *text != *want_text) {
    return absl::StrCat("EvaluateShared text ",
                        text.ok() ? *text : text.status().ToString());
  }
  return "";
}

// Returns "" if the case passes, else why it failed.
std::string RunCase(const Json& given, const Json& test_case) {
  const std::string* expression =
      test_case["expression"].get_ptr<const std::string*>();
  if (expression == nullptr) return "case has no expression";
  absl::StatusOr<Expression> compiled = Compile(*expression);
  absl::StatusOr<Json> result =
      compiled.ok() ? compiled->Evaluate(given)
                    : absl::StatusOr<Json>(compiled.status());
  if (compiled.ok()) {
    std::string shared = SharedParity(*compiled, given, result);
    if (!shared.empty()) return shared;
  }
  if (auto error = test_case.find("error"); error != test_case.end()) {
    if (result.ok()) {
      return absl::StrCat("expected error ", Describe(*error), ", got ",
                          Describe(*result));
    }
    std::optional<ErrorInfo> info = GetErrorInfo(result.status());
    const std::string* want = error->get_ptr<const std::string*>();
    if (!info.has_value() || want == nullptr ||
        ErrorKindName(info->kind) != *want) {
      return absl::StrCat("expected error ", Describe(*error), ", got ",
                          result.status().ToString());
    }
    return "";
  }
  if (!result.ok()) {
    return absl::StrCat("unexpected error ", result.status().ToString());
  }
  if (auto bench = test_case.find("bench"); bench != test_case.end()) {
    return "";
  }
  auto expected = test_case.find("result");
  if (expected == test_case.end()) return "case has no result/error/bench";
  if (!JsonEqual(*result, *expected)) {
    return absl::StrCat("expected ", Describe(*expected), ", got ",
                        Describe(*result));
  }
  return "";
}

FileResult RunFile(const std::string& name) {
  FileResult out;
  const std::string text = testing::ReadFileText(
      testing::SourcePath("policy/jmespath/testdata/compliance/" + name));
  absl::StatusOr<Json> suites = ParseJson(text);
  if (text.empty() || !suites.ok() || !suites->is_array()) {
    out.failures.push_back("cannot read " + name);
    return out;
  }
  for (const Json& suite : *suites) {
    const Json& given = suite["given"];
    for (const Json& test_case : suite["cases"]) {
      ++out.total;
      std::string failure = RunCase(given, test_case);
      if (failure.empty()) {
        ++out.passed;
      } else {
        out.failures.push_back(absl::StrCat(
            name, ": ", Describe(test_case["expression"]), ": ", failure));
      }
    }
  }
  return out;
}

class ComplianceFileTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ComplianceFileTest, EveryCasePasses) {
  FileResult result = RunFile(GetParam());
  EXPECT_GT(result.total, 0);
  EXPECT_THAT(result.failures, ::testing::IsEmpty());
  EXPECT_EQ(result.passed, result.total);
}

INSTANTIATE_TEST_SUITE_P(Suite, ComplianceFileTest,
                         ::testing::ValuesIn(kFiles),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           std::string name = p.param;
                           return name.substr(0, name.find('.'));
                         });

TEST(Compliance, AllCasesOfAllFilesPass) {
  int total = 0;
  int passed = 0;
  for (const char* file : kFiles) {
    FileResult result = RunFile(file);
    total += result.total;
    passed += result.passed;
  }
  std::printf("JMESPath compliance: %d/%d cases passed\n", passed, total);
  EXPECT_EQ(total, kTotalCases);
  EXPECT_EQ(passed, total);
}

}  // namespace
}  // namespace vigil::jmespath
