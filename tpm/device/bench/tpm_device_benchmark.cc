// In-process latency of TPM2_Quote and TPM2_ActivateCredential on swtpm, with
// RSA-2048 and ECC P-256 AKs (issue #4 §6). Each benchmark starts its own
// swtpm through the test harness (tests/swtpm), so the numbers include the
// Unix-socket round trips of tcti-swtpm (one connection per command) but no
// process start-up. Credentials come from tpm2_makecredential -T none, made
// once per benchmark outside the timed loop.
#include <cstdio>
#include <cstdlib>

#include "benchmark/benchmark.h"
#include "common/encoding.h"
#include "tests/swtpm/subprocess.h"
#include "tests/swtpm/swtpm_instance.h"
#include "tpm/device/attestation_key.h"
#include "tpm/device/credential.h"
#include "tpm/device/ek.h"
#include "tpm/device/esys_context.h"

namespace vigil {
namespace {

using testing::SwtpmInstance;

struct Fixture {
  std::unique_ptr<SwtpmInstance> swtpm;
  std::unique_ptr<tpm::EsysContext> ctx;
  std::unique_ptr<tpm::EndorsementKey> ek;
  std::unique_ptr<tpm::AttestationKey> ak;
};

bool Setup(benchmark::State& state, tpm::AkAlg alg, Fixture* f) {
  auto fail = [&](const absl::Status& s) {
    state.SkipWithError(std::string(s.message()).c_str());
    return false;
  };
  absl::StatusOr<std::unique_ptr<SwtpmInstance>> swtpm = SwtpmInstance::Start();
  if (!swtpm.ok()) return fail(swtpm.status());
  f->swtpm = *std::move(swtpm);
  absl::StatusOr<tpm::EsysContext> ctx = tpm::EsysContext::Open(f->swtpm->tcti_config());
  if (!ctx.ok()) return fail(ctx.status());
  f->ctx = std::make_unique<tpm::EsysContext>(*std::move(ctx));
  absl::StatusOr<tpm::EndorsementKey> ek = tpm::CreateEk(*f->ctx, tpm::EkKind::kRsa2048);
  if (!ek.ok()) return fail(ek.status());
  f->ek = std::make_unique<tpm::EndorsementKey>(*std::move(ek));
  absl::StatusOr<tpm::AttestationKey> ak =
      tpm::CreateAk(*f->ctx, *f->ek, tpm::AkOptions{.alg = alg});
  if (!ak.ok()) return fail(ak.status());
  f->ak = std::make_unique<tpm::AttestationKey>(*std::move(ak));
  return true;
}

void BM_Quote(benchmark::State& state, tpm::AkAlg alg) {
  Fixture f;
  if (!Setup(state, alg, &f)) return;
  const std::vector<uint8_t> nonce(32, 0x42);
  tpm::QuoteOptions options{.pcrs = {0, 1, 2, 3, 4, 5, 6, 7}, .banks = {tpm::HashAlg::kSha256}};
  for (auto _ : state) {
    absl::StatusOr<tpm::QuoteResult> q = tpm::Quote(*f.ctx, *f.ak, nonce, options);
    if (!q.ok()) {
      state.SkipWithError(std::string(q.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(q->signature.data());
  }
}

void BM_ActivateCredential(benchmark::State& state, tpm::AkAlg alg) {
  Fixture f;
  if (!Setup(state, alg, &f)) return;
  absl::StatusOr<testing::TempDir> tmp = testing::TempDir::Create("vigil-bench");
  if (!tmp.ok()) return state.SkipWithError("tempdir");
  (void)testing::WriteFile(tmp->Join("ek.pub"),
                           std::string(f.ek->public_area.begin(), f.ek->public_area.end()));
  (void)testing::WriteFile(tmp->Join("secret"), std::string(32, 's'));
  absl::StatusOr<testing::CommandResult> mk = testing::RunCommand(
      {"tpm2_makecredential", "-T", "none", "-e", tmp->Join("ek.pub"), "-s",
       tmp->Join("secret"), "-n", HexEncode(f.ak->name), "-o", tmp->Join("cred")});
  if (!mk.ok() || mk->exit_code != 0) return state.SkipWithError("tpm2_makecredential failed");
  FILE* in = std::fopen(tmp->Join("cred").c_str(), "rb");
  std::vector<uint8_t> file(4096);
  file.resize(std::fread(file.data(), 1, file.size(), in));
  std::fclose(in);
  absl::StatusOr<tpm::CredentialBlob> blob = tpm::ParseTpm2ToolsCredential(file);
  if (!blob.ok()) return state.SkipWithError("parse credential");
  for (auto _ : state) {
    absl::StatusOr<std::vector<uint8_t>> secret =
        tpm::ActivateCredential(*f.ctx, *f.ek, *f.ak, *blob);
    if (!secret.ok()) {
      state.SkipWithError(std::string(secret.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(secret->data());
  }
}

BENCHMARK_CAPTURE(BM_Quote, rsa2048, tpm::AkAlg::kRsa2048)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Quote, ecc_p256, tpm::AkAlg::kEccNistP256)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ActivateCredential, rsa2048, tpm::AkAlg::kRsa2048)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ActivateCredential, ecc_p256, tpm::AkAlg::kEccNistP256)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vigil

BENCHMARK_MAIN();
