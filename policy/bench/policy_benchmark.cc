// Policy evaluations per second (issue #3 §7), single thread:
//   BM_Tpm10Sample        Microsoft's v1.0 TPM sample over the six legacy claims
//   BM_Windows12Family    the HealthAttestation CSP policy (the full v1.2
//                         Windows family: ~100 rules, JmesPath over `events`)
//                         over the `events` JSON of a real Windows boot
// Both with and without the explain trace. Target: >= 10,000/s/core for the
// Windows family. Compilation is outside the loop (compile once, evaluate
// many times); the events document is parsed once per claim set, as the
// verifier builds it once per attestation (the ClaimSet is built in the loop).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/testing/testdata.h"
#include "policy/claim.h"
#include "policy/compiler.h"
#include "policy/evaluator.h"

namespace vigil::policy {
namespace {

std::string Data(const std::string& rel) {
  return testing::ReadFileText(std::string(VIGIL_SOURCE_DIR) + "/policy/testdata/" + rel);
}

void BM_Tpm10Sample(benchmark::State& state) {
  CompileResult compiled = Compile(Data("maa-policies/policy-version-1-0--1.policy"));
  if (!compiled.ok()) return state.SkipWithError("compile failed");
  EvaluateOptions options;
  options.explain = state.range(0) != 0;
  for (auto _ : state) {
    ClaimSet claims;
    for (const char* t : {"aikValidated", "secureBootEnabled", "bootDebuggingDisabled",
                          "vbsEnabled", "notWinPE", "notSafeMode"}) {
      claims.Add(t, Value::Bool(true));
    }
    absl::StatusOr<EvaluationResult> r = Evaluate(compiled.policy(), claims, options);
    if (!r.ok() || !r->permitted) return state.SkipWithError("evaluation failed");
    benchmark::DoNotOptimize(r);
  }
  state.counters["evals/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Tpm10Sample)->Arg(0)->Arg(1)->ArgName("explain");

void BM_Windows12Family(benchmark::State& state) {
  CompileResult compiled = Compile(Data("maa-policies/healthattestation-csp--10.policy"));
  if (!compiled.ok()) return state.SkipWithError("compile failed");
  absl::StatusOr<jmespath::Json> events = jmespath::ParseJson(Data("events/x1carbon.events.json"));
  if (!events.ok()) return state.SkipWithError("events JSON");
  const Value events_value = Value::JsonDocument(*events);
  EvaluateOptions options;
  options.explain = state.range(0) != 0;
  for (auto _ : state) {
    ClaimSet claims;
    claims.Add("events", events_value);
    claims.Add("aikValidated", Value::Bool(true));
    absl::StatusOr<EvaluationResult> r = Evaluate(compiled.policy(), claims, options);
    if (!r.ok() || r->issued.size() < 15) return state.SkipWithError("evaluation failed");
    benchmark::DoNotOptimize(r);
  }
  state.counters["evals/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Windows12Family)->Arg(0)->Arg(1)->ArgName("explain");

// The control plane's recorder serialising one attestation's incoming
// claims (service/grpc/control_plane.cc): a device's scalar claims, the
// `pcrs` document of two banks of 24 PCRs and the lazy `events` (left out).
// Each claim set is fresh, as each attestation's is: a value keeps the text
// of its document once made, so writing one set twice would measure less.
ClaimSet DeviceClaims(const jmespath::Json& pcrs) {
  ClaimSet claims;
  for (int i = 0; i < 20; ++i) {
    claims.Add(absl::StrCat("claim", i), Value::Bool(i % 2 == 0));
  }
  claims.Add("aikPubHash",
             Value::String("q0Kf8t9d3nq0Kf8t9d3nq0Kf8t9d3nq0Kf8t9d3nq0K="));
  claims.Add("events",
             Value::LazyJsonDocument([] { return jmespath::Json::object(); }));
  claims.Add("pcrs", Value::JsonDocument(pcrs).set_read_only(true));
  return claims;
}

void BM_WriteClaimsJson(benchmark::State& state) {
  jmespath::Json banks = jmespath::Json::array();
  for (int bank = 0; bank < 2; ++bank) {
    for (int i = 0; i < 24; ++i) {
      banks.push_back({{"Index", i},
                       {"Algorithm", bank == 0 ? "sha1" : "sha256"},
                       {"Digest", std::string(bank == 0 ? 40 : 64, 'a' + i)}});
    }
  }
  const jmespath::Json pcrs = {{"PCRs", std::move(banks)}};
  std::vector<ClaimSet> fresh;
  size_t next = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    if (next == fresh.size()) {
      state.PauseTiming();
      fresh.clear();
      for (int i = 0; i < 1000; ++i) fresh.push_back(DeviceClaims(pcrs));
      next = 0;
      state.ResumeTiming();
    }
    WrittenClaims written = WriteClaimsJson(fresh[next++]);
    bytes = written.text.size();
    benchmark::DoNotOptimize(written);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["writes/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WriteClaimsJson);

}  // namespace
}  // namespace vigil::policy

BENCHMARK_MAIN();
