// What checking a request on the wire (service/grpc/wire_check.h) costs
// beside decoding it, which the verifier does next either way. Inputs: a
// real agent's evidence message (a quote and the 45 KB ubuntu-2404 boot
// log, built here as vigil-agent sends it) and the protocol's largest
// evidence shape (testdata/wire/evidence_largest_shape.bin, ~4,800
// fields).
//   build/bench/vigil_service_grpc_wire_check_benchmark
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "common/testing/testdata.h"
#include "service/grpc/wire_check.h"
#include "vigil/v1/attestation_service.pb.h"

namespace vigil::service {
namespace {

std::string FileText(const std::string& relative) {
  std::vector<uint8_t> b =
      ::vigil::testing::ReadFileBytes(::vigil::testing::SourcePath(relative));
  return std::string(b.begin(), b.end());
}

std::string RealEvidence() {
  v1::AgentMessage m;
  v1::Evidence* e = m.mutable_evidence();
  e->set_nonce(std::string(41, 'n'));
  v1::Quote* q = e->add_quotes();
  q->set_attest(std::string(145, 'a'));
  q->set_signature(std::string(72, 's'));
  v1::PcrBank* bank = q->add_pcrs();
  bank->set_hash_alg(0x000B);
  for (int i = 0; i < 24; ++i) {
    v1::PcrValue* v = bank->add_values();
    v->set_index(i);
    v->set_digest(std::string(32, static_cast<char>(i)));
  }
  e->set_event_log(
      FileText("eventlog/testdata/corpus/google-go-tpm-tools/"
               "ubuntu-2404-amd-sevsnp.bin"));
  return m.SerializeAsString();
}

const std::string& Input(int which) {
  static const std::string* real = new std::string(RealEvidence());
  static const std::string* largest = new std::string(
      FileText("service/grpc/testdata/wire/evidence_largest_shape.bin"));
  return which == 0 ? *real : *largest;
}

void BM_CheckWire(benchmark::State& state) {
  const std::string& in = Input(static_cast<int>(state.range(0)));
  const absl::Span<const uint8_t> bytes(
      reinterpret_cast<const uint8_t*>(in.data()), in.size());
  for (auto _ : state) {
    absl::Status s = CheckWire(bytes, *v1::AgentMessage::descriptor());
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(state.iterations() * in.size());
}

void BM_Decode(benchmark::State& state) {
  const std::string& in = Input(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    v1::AgentMessage m;
    if (!m.ParseFromString(in)) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(state.iterations() * in.size());
}

// 0: the real agent's evidence; 1: the largest evidence shape.
BENCHMARK(BM_CheckWire)->Arg(0)->Arg(1);
BENCHMARK(BM_Decode)->Arg(0)->Arg(1);

}  // namespace
}  // namespace vigil::service

BENCHMARK_MAIN();
