// JMESPath over the compliance suite's benchmark cases
// (testdata/compliance/benchmarks.json), one Google Benchmark per case:
//   "parse" cases: Compile(expression)
//   "full"  cases: Compile(expression) + Evaluate(given)
// scripts/bench-jmespath runs this and python3-jmespath on the same cases in
// the same run and prints the speed-up (target: >= 20x).
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "common/testing/testdata.h"
#include "policy/jmespath/jmespath.h"

namespace vigil::jmespath {
namespace {

struct Case {
  std::string name;
  std::string expression;
  std::string bench;  // "parse" or "full"
  Json given;
};

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  absl::StatusOr<Json> doc = ParseJson(testing::ReadFileText(
      std::string(VIGIL_SOURCE_DIR) +
      "/policy/jmespath/testdata/compliance/benchmarks.json"));
  if (!doc.ok()) return cases;
  size_t n = 0;
  for (const Json& group : *doc) {
    for (const Json& c : group["cases"]) {
      Case k;
      k.name = "case" + std::to_string(n++) + "/" +
               (c.contains("comment") ? c["comment"].get<std::string>() : "");
      k.expression = c["expression"].get<std::string>();
      k.bench = c["bench"].get<std::string>();
      k.given = group["given"];
      cases.push_back(std::move(k));
    }
  }
  return cases;
}

void Run(benchmark::State& state, const Case* c) {
  for (auto _ : state) {
    absl::StatusOr<Expression> e = Compile(c->expression);
    if (c->bench == "full" && e.ok()) {
      absl::StatusOr<Json> r = e->Evaluate(c->given);
      benchmark::DoNotOptimize(r);
    }
    benchmark::DoNotOptimize(e);
  }
}

}  // namespace
}  // namespace vigil::jmespath

int main(int argc, char** argv) {
  static const std::vector<vigil::jmespath::Case> cases =
      vigil::jmespath::LoadCases();
  if (cases.empty()) return 1;
  for (const auto& c : cases) {
    benchmark::RegisterBenchmark(c.name.c_str(), vigil::jmespath::Run, &c);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
