// Event-log throughput over the real corpus (eventlog/testdata/corpus):
//   BM_ParseReplayCheck  Parse + InsecureReplayWithoutQuote (every bank
//                        replayed, every covered event's data hashed and
//                        compared with its digests, trust rules applied)
//   BM_RenderEventsJson  the `events` claim's JSON for the same logs
//   BM_Sha256Floor       one SHA-256 pass over the same bytes: the floor no
//                        log processing can beat, measured in the same run.
// Target (issue #2): BM_ParseReplayCheck >= 50% of BM_Sha256Floor's bytes/s.
// Run: build/bench/vigil_eventlog_bench_eventlog_benchmark
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "common/testing/testdata.h"
#include "eventlog/maa_json.h"
#include "eventlog/parser.h"
#include "eventlog/replay.h"
#include "tpm/types/pcr_bank.h"
#include "nlohmann/json.hpp"
#include "tpm/types/hash_alg.h"

namespace vigil::eventlog {
namespace {

struct Corpus {
  std::vector<std::vector<uint8_t>> logs;
  // Per log: its preferred bank's replayed PCRs, standing in for a quote.
  std::vector<tpm::PcrBank> quoted;
  size_t bytes = 0;
  size_t events = 0;
};

const Corpus& LoadCorpus() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus();
    const std::string root = std::string(VIGIL_SOURCE_DIR) + "/eventlog/testdata/";
    nlohmann::json golden = nlohmann::json::parse(
        testing::ReadFileText(root + "corpus_golden.json"), nullptr, false);
    for (auto it = golden.begin(); it != golden.end(); ++it) {
      c->logs.push_back(testing::ReadFileBytes(root + "corpus/" + it.key()));
      c->bytes += c->logs.back().size();
      EventLog log = *Parse(c->logs.back());
      c->events += log.events.size();
      std::vector<BankReplay> banks = *ReplayDigests(log);
      const BankReplay* best = &banks[0];
      for (const BankReplay& b : banks) {
        if (b.alg == tpm::HashAlg::kSha256) best = &b;
      }
      tpm::PcrBank quoted{best->alg, {}};
      for (uint32_t p = 0; p < tpm::kNumPcrs; ++p) quoted.values[p] = best->values[p];
      c->quoted.push_back(std::move(quoted));
    }
    return c;
  }();
  return *corpus;
}

// Bytes/s and events/s of a benchmark that went over the whole corpus once
// per iteration.
void ReportCorpusRate(benchmark::State& state, const Corpus& corpus) {
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
  state.counters["events/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * corpus.events),
      benchmark::Counter::kIsRate);
}

void BM_ParseReplayCheck(benchmark::State& state) {
  const Corpus& corpus = LoadCorpus();
  for (auto _ : state) {
    for (const auto& bytes : corpus.logs) {
      absl::StatusOr<EventLog> log = Parse(bytes);
      absl::StatusOr<ReplayedLog> r = InsecureReplayWithoutQuote(*std::move(log));
      benchmark::DoNotOptimize(r);
    }
  }
  ReportCorpusRate(state, corpus);
}
BENCHMARK(BM_ParseReplayCheck);

// The `events` claim (maa_json.h) rendered for every corpus log, replayed
// once outside the loop: what a policy that reads `events` costs on a
// decision-memo miss, beside BM_ParseReplayCheck in the same run.
void BM_RenderEventsJson(benchmark::State& state) {
  const Corpus& corpus = LoadCorpus();
  std::vector<ReplayedLog> replayed;
  for (const auto& bytes : corpus.logs) {
    replayed.push_back(*InsecureReplayWithoutQuote(*Parse(bytes)));
  }
  for (auto _ : state) {
    for (const ReplayedLog& r : replayed) {
      nlohmann::ordered_json events = RenderEventsJson(r);
      benchmark::DoNotOptimize(events);
    }
  }
  ReportCorpusRate(state, corpus);
}
BENCHMARK(BM_RenderEventsJson);

// The verifier's path: replay against the one bank a quote covered (SHA-256
// where the log has it), all 24 PCRs.
void BM_ParseReplayCheckQuotedBank(benchmark::State& state) {
  const Corpus& corpus = LoadCorpus();
  for (auto _ : state) {
    for (size_t i = 0; i < corpus.logs.size(); ++i) {
      absl::StatusOr<EventLog> log = Parse(corpus.logs[i]);
      absl::StatusOr<ReplayedLog> r = Replay(*std::move(log), {corpus.quoted[i]});
      benchmark::DoNotOptimize(r);
    }
  }
  ReportCorpusRate(state, corpus);
}
BENCHMARK(BM_ParseReplayCheckQuotedBank);

void BM_ParseOnly(benchmark::State& state) {
  const Corpus& corpus = LoadCorpus();
  for (auto _ : state) {
    for (const auto& bytes : corpus.logs) benchmark::DoNotOptimize(Parse(bytes));
  }
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
}
BENCHMARK(BM_ParseOnly);

void BM_Sha256Floor(benchmark::State& state) {
  const Corpus& corpus = LoadCorpus();
  uint8_t out[32];
  for (auto _ : state) {
    for (const auto& bytes : corpus.logs) {
      benchmark::DoNotOptimize(tpm::HashParts(tpm::HashAlg::kSha256, {bytes}, out));
    }
  }
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
}
BENCHMARK(BM_Sha256Floor);

}  // namespace
}  // namespace vigil::eventlog

BENCHMARK_MAIN();
