// Golden tests (style.md rule 19): every file of the Microsoft policy corpus
// (testdata/maa-policies, see PROVENANCE.md) is compiled in strict and compat
// mode and the rendered issues, or the summary and canonical text, must equal
// its `.baseline`. On a mismatch the actual output is printed so it can be
// pasted into the baseline; with VIGIL_UPDATE_BASELINES=1 in the environment
// the baselines are rewritten instead.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/encoding.h"
#include "common/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "policy/claim.h"
#include "policy/compiler.h"
#include "policy/evaluator.h"

namespace vigil::policy {
namespace {

namespace fs = std::filesystem;

const char kDir[] = "policy/testdata/maa-policies";

std::string Render(const std::string& name, const std::string& text, Mode mode) {
  CompileOptions options;
  options.mode = mode;
  options.source_name = name;
  options.form = CompileOptions::Form::kAuto;
  CompileResult r = Compile(text, options);
  std::string out = r.FormatIssues();
  if (r.ok()) {
    absl::StrAppend(&out, "ok\n", r.policy().Summary(), "--- canonical\n",
                    r.policy().Format());
  } else {
    out += "rejected\n";
  }
  return out;
}

std::string RenderPolicyFile(const std::string& name, const std::string& text) {
  std::string strict = Render(name, text, Mode::kStrict);
  std::string compat = Render(name, text, Mode::kCompat);
  std::string out = absl::StrCat("=== strict\n", strict, "=== compat\n");
  out += compat == strict ? "(same as strict)\n" : compat;
  return out;
}

std::string DecodeSegment(absl::string_view segment) {
  absl::StatusOr<std::vector<uint8_t>> bytes = Base64UrlDecode(segment);
  if (!bytes.ok()) return "<not base64url>";
  return std::string(bytes->begin(), bytes->end());
}

// A policy JWS (policy-examples--N.jwt): its header's alg, and whether the
// AttestationPolicy member decodes to the .decoded.policy beside it.
std::string RenderJwtFile(const fs::path& path, const std::string& text) {
  std::string trimmed(absl::StripAsciiWhitespace(text));
  std::vector<std::string> parts = absl::StrSplit(trimmed, '.');
  if (parts.size() != 3) return "not a JWS\n";
  nlohmann::json header = nlohmann::json::parse(DecodeSegment(parts[0]), nullptr, false);
  nlohmann::json payload = nlohmann::json::parse(DecodeSegment(parts[1]), nullptr, false);
  std::string out;
  if (header.is_object() && header.contains("alg") && header["alg"].is_string()) {
    absl::StrAppend(&out, "alg: ", header["alg"].get<std::string>(), "\n");
  }
  absl::StrAppend(&out, "signature: ", parts[2].empty() ? "none" : "present", "\n");
  if (!payload.is_object() || !payload.contains("AttestationPolicy") ||
      !payload["AttestationPolicy"].is_string()) {
    return out + "no AttestationPolicy\n";
  }
  std::string policy = DecodeSegment(payload["AttestationPolicy"].get<std::string>());
  fs::path decoded = path;
  decoded.replace_extension(".decoded.policy");
  std::string expected = testing::ReadFileText(decoded.string());
  absl::StrAppend(&out, "AttestationPolicy: ",
                  policy == expected
                      ? absl::StrCat("equals ", decoded.filename().string())
                      : "DIFFERS from the decoded file",
                  "\n");
  return out;
}

std::vector<fs::path> CorpusFiles() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(testing::SourcePath(kDir))) {
    std::string ext = entry.path().extension().string();
    if (ext == ".policy" || ext == ".jwt") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(PolicyGolden, CorpusHasEveryFile) {
  // 63 policy texts (2 of them decoded from JWS) and the 2 JWS.
  EXPECT_EQ(CorpusFiles().size(), 65u);
}

TEST(PolicyGolden, EveryCorpusFileMatchesItsBaseline) {
  bool update = std::getenv("VIGIL_UPDATE_BASELINES") != nullptr;
  for (const fs::path& path : CorpusFiles()) {
    SCOPED_TRACE(path.filename().string());
    std::string text = testing::ReadFileText(path.string());
    ASSERT_FALSE(text.empty());
    std::string actual = path.extension() == ".jwt"
                             ? RenderJwtFile(path, text)
                             : RenderPolicyFile(path.filename().string(), text);
    fs::path baseline_path = path;
    baseline_path += ".baseline";
    if (update) {
      std::ofstream(baseline_path, std::ios::binary) << actual;
      continue;
    }
    std::string expected = testing::ReadFileText(baseline_path.string());
    EXPECT_EQ(actual, expected)
        << "actual output for " << baseline_path.filename().string()
        << " (paste into the baseline):\n"
        << actual;
  }
}

// Evaluation goldens: testdata/eval/cases.json names a corpus policy and a
// hand-built claims file; <name>.decision.json holds the decision, issued
// claims, properties and the final trace entry (or the evaluation error).
std::string RenderEvaluation(const nlohmann::json& c) {
  std::string policy_file = c["policy"].get<std::string>();
  std::string text = testing::ReadFileText(
      testing::SourcePath(absl::StrCat(kDir, "/", policy_file)));
  CompileOptions options;
  options.form = CompileOptions::Form::kAuto;
  options.source_name = policy_file;
  if (c.contains("mode") && c["mode"] == "compat") options.mode = Mode::kCompat;
  CompileResult compiled = Compile(text, options);
  if (!compiled.ok()) return "compile failed:\n" + compiled.FormatIssues();
  absl::StatusOr<ClaimSet> claims = ParseClaimsJson(testing::ReadFileText(
      testing::SourcePath(absl::StrCat("policy/testdata/eval/",
                                       c["claims"].get<std::string>()))));
  if (!claims.ok()) return "bad claims: " + claims.status().ToString();
  absl::StatusOr<EvaluationResult> result = Evaluate(compiled.policy(), *claims);
  nlohmann::ordered_json out;
  if (!result.ok()) {
    out["error"] = result.status().ToString();
  } else {
    nlohmann::ordered_json full = result->ToJson();
    out["permitted"] = full["permitted"];
    out["issued"] = full["issued"];
    out["properties"] = full["properties"];
    out["decision"] = full["trace"].back();
  }
  return out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

TEST(PolicyGolden, SamplePoliciesEvaluateAsTheirDecisionBaselines) {
  bool update = std::getenv("VIGIL_UPDATE_BASELINES") != nullptr;
  std::string cases_text =
      testing::ReadFileText(testing::SourcePath("policy/testdata/eval/cases.json"));
  nlohmann::json cases = nlohmann::json::parse(cases_text, nullptr, false);
  ASSERT_TRUE(cases.is_array());
  EXPECT_GE(cases.size(), 20u);
  for (const nlohmann::json& c : cases) {
    std::string name = c["name"].get<std::string>();
    SCOPED_TRACE(name);
    std::string actual = RenderEvaluation(c);
    std::string path = testing::SourcePath(
        absl::StrCat("policy/testdata/eval/", name, ".decision.json"));
    if (update) {
      std::ofstream(path, std::ios::binary) << actual;
      continue;
    }
    EXPECT_EQ(actual, testing::ReadFileText(path))
        << "actual output for " << name
        << ".decision.json (paste into the baseline):\n"
        << actual;
  }
}

// CompiledPolicy::MayReadClaimType("events") is what lets the verifier
// decide a round without rendering (or holding) the event log: for every
// evaluation case whose policy says it cannot read `events`, the result,
// trace included, is the same with the `events` claim as without it.
TEST(PolicyGolden, APolicyThatCannotReadEventsDecidesTheSameWithoutThem) {
  nlohmann::json cases = nlohmann::json::parse(
      testing::ReadFileText(
          testing::SourcePath("policy/testdata/eval/cases.json")),
      nullptr, false);
  ASSERT_TRUE(cases.is_array());
  int compared = 0, reading = 0;
  for (const nlohmann::json& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const std::string policy_file = c["policy"].get<std::string>();
    CompileOptions options;
    options.form = CompileOptions::Form::kAuto;
    options.source_name = policy_file;
    if (c.contains("mode") && c["mode"] == "compat")
      options.mode = Mode::kCompat;
    CompileResult compiled = Compile(testing::ReadFileText(testing::SourcePath(
                                         absl::StrCat(kDir, "/", policy_file))),
                                     options);
    if (!compiled.ok()) continue;
    if (compiled.policy().MayReadClaimType("events")) {
      ++reading;
      continue;
    }
    nlohmann::json all = nlohmann::json::parse(
        testing::ReadFileText(testing::SourcePath(absl::StrCat(
            "policy/testdata/eval/", c["claims"].get<std::string>()))));
    nlohmann::json without = nlohmann::json::array();
    for (const nlohmann::json& claim : all) {
      if (claim["type"] != "events") without.push_back(claim);
    }
    nlohmann::json with = without;
    with.push_back(
        {{"type", "events"},
         {"value", {{"Events", nlohmann::json::array({{{"PCR", 7}}})}}}});
    absl::StatusOr<ClaimSet> a = ParseClaimsJson(with.dump());
    absl::StatusOr<ClaimSet> b = ParseClaimsJson(without.dump());
    ASSERT_TRUE(a.ok() && b.ok());
    absl::StatusOr<EvaluationResult> ra = Evaluate(compiled.policy(), *a);
    absl::StatusOr<EvaluationResult> rb = Evaluate(compiled.policy(), *b);
    ASSERT_EQ(ra.ok(), rb.ok());
    if (ra.ok()) {
      EXPECT_EQ(ra->ToJson().dump(), rb->ToJson().dump());
    } else {
      EXPECT_EQ(ra.status(), rb.status());
    }
    ++compared;
  }
  // Both kinds are in the cases: Microsoft's TPM sample policy 1 reads no
  // events; the Windows 1.2 family does.
  EXPECT_GE(compared, 3);
  EXPECT_GE(reading, 5);
}

// The outcomes the corpus README demands, independent of message wording.
struct Expectation {
  const char* file;
  bool strict_ok;
  bool compat_ok;
  const char* strict_message;  // substring of the strict issues ("" = none)
};

class CorpusExpectation : public ::testing::TestWithParam<Expectation> {};

TEST_P(CorpusExpectation, CompilesAsTheCorpusReadmeSays) {
  const Expectation& e = GetParam();
  std::string text = testing::ReadFileText(
      testing::SourcePath(absl::StrCat(kDir, "/", e.file)));
  ASSERT_FALSE(text.empty());
  CompileOptions options;
  options.form = CompileOptions::Form::kAuto;
  options.source_name = e.file;
  CompileResult strict = Compile(text, options);
  EXPECT_EQ(strict.ok(), e.strict_ok) << strict.FormatIssues();
  EXPECT_THAT(strict.FormatIssues(), ::testing::HasSubstr(e.strict_message));
  options.mode = Mode::kCompat;
  CompileResult compat = Compile(text, options);
  EXPECT_EQ(compat.ok(), e.compat_ok) << compat.FormatIssues();
}

INSTANTIATE_TEST_SUITE_P(
    KnownDocErrors, CorpusExpectation,
    ::testing::Values(
        // E1: positional claim type: a syntax error in both modes.
        Expectation{"policy-version-1-2--1.policy", false, false,
                    "policy-version-1-2--1.policy:23:"},
        // E2, E7, E10: single '=' in a condition (compat: warning).
        Expectation{"claim-rule-functions--5.policy", false, true,
                    "claim-rule-functions--5.policy:1:"},
        Expectation{"claim-rule-functions--36.policy", false, true,
                    "claim-rule-functions--36.policy:13:"},
        Expectation{"author-sign-policy--1.policy", false, true,
                    "author-sign-policy--1.policy:4:"},
        // E6: missing ';' (compat: warning).
        Expectation{"claim-rule-functions--34.policy", false, true,
                    "expected ';'"},
        // E8: template placeholder; E12: unterminated string.
        Expectation{"policy-examples--1.policy", false, false,
                    "policy-examples--1.policy:5:"},
        Expectation{"custom-tcb-baseline-enforcement--3.policy", false, false,
                    "custom-tcb-baseline-enforcement--3.policy:5:"},
        // E3, E14: unbound claim variable; E4: unknown function; E5: arity.
        Expectation{"claim-rule-functions--23.policy", false, false,
                    "unbound claim variable 'c1'"},
        Expectation{"policy-version-1-2--table-01-secure-boot.policy", false,
                    false, "unbound claim variable 'c'"},
        Expectation{"claim-rule-functions--27.policy", false, false,
                    "unknown function 'NegateBol'"},
        Expectation{"claim-rule-functions--31.policy", false, false,
                    "ContainsOnlyValue() takes 2 arguments"},
        // E9: issue() in authorizationrules (compat: run as add()).
        Expectation{"tpm-attestation-sample-policies--10.policy", false, true,
                    "issue() is not allowed in authorizationrules"},
        // J5/J6: accepted; the query fails at evaluation (a warning now).
        Expectation{"policy-version-1-2--table-09-virtual-secure-mode-vbs.policy",
                    true, true, "JMESPath query does not compile"},
        Expectation{"policy-version-1-2--table-15-winpe-boot.policy", true, true,
                    "JMESPath query does not compile"},
        // E15-E17: rules lost in comments; accepted.
        Expectation{"policy-version-1-2--table-08-test-and-flight-signing.policy",
                    true, true, ""},
        Expectation{"policy-version-1-2--table-13-boot-manager-version.policy",
                    true, true, ""},
        Expectation{"policy-version-1-2--table-19-boot-application-subversion.policy",
                    true, true, ""},
        // Valid policies of every version.
        Expectation{"policy-version-1-0--1.policy", true, true, ""},
        Expectation{"policy-version-1-1--1.policy", true, true, ""},
        Expectation{"healthattestation-csp--10.policy", true, true, ""},
        Expectation{"tpm-attestation-sample-policies--7.policy", true, true, ""},
        Expectation{"policy-examples--3.policy", true, true, ""},
        Expectation{"claim-rule-grammar--4.policy", true, true, ""}));

}  // namespace
}  // namespace vigil::policy
