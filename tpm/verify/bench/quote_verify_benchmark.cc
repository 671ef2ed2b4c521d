// Quote verification throughput beside the raw signature check it contains,
// on the real swtpm fixtures (tpm/verify/testdata):
//   BM_VerifyQuote/rsa|ecc      QuoteVerifier::Verify: parse TPMT_SIGNATURE and
//                               TPMS_ATTEST, scheme checks, signature, nonce,
//                               PCR digest over 17 PCRs on three banks.
//   BM_RawDigestVerify/rsa|ecc  EVP_DigestVerifyInit_ex + EVP_DigestVerify of
//                               the same signature over the same bytes: the
//                               floor of what a verifier must do.
// Target (issue #4 §6): BM_VerifyQuote >= 70% of BM_RawDigestVerify items/s.
// Run: build/bench/vigil_tpm_verify_quote_verify_benchmark
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "tpm/verify/quote_verifier.h"
#include "tpm/verify/testing/fixtures.h"
#include "tpm/wire/signature.h"

namespace vigil::tpm {
namespace {

struct Case {
  std::vector<uint8_t> attest, sig, nonce;
  std::vector<PcrBank> pcrs;
  PublicArea ak;
};

Case Load(const std::string& alg) {
  Case c;
  c.attest = testing::Fixture("quote_" + alg + ".attest");
  c.sig = testing::Fixture("quote_" + alg + ".sig");
  c.nonce = testing::FixtureNonce("quote_" + alg);
  c.pcrs = testing::FixturePcrs();
  c.ak = *ParseTpm2bPublic(testing::Fixture("ak_" + alg + ".pub"));
  return c;
}

const char* Alg(const benchmark::State& state) {
  return state.range(0) == 0 ? "rsa" : "ecc";
}

void BM_VerifyQuote(benchmark::State& state) {
  const Case c = Load(Alg(state));
  absl::StatusOr<QuoteVerifier> v = QuoteVerifier::Create(c.ak);
  if (!v.ok() || !v->Verify(c.attest, c.sig, c.nonce, c.pcrs).ok()) {
    state.SkipWithError("fixture quote does not verify");
    return;
  }
  for (auto _ : state) {
    absl::StatusOr<VerifiedPcrs> r = v->Verify(c.attest, c.sig, c.nonce, c.pcrs);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(Alg(state));
}

void BM_RawDigestVerify(benchmark::State& state) {
  const Case c = Load(Alg(state));
  EvpPkeyPtr key = *PublicKeyFromArea(c.ak);
  const Signature sig = *ParseSignature(c.sig);  // ECDSA: DER, as OpenSSL wants
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    EVP_PKEY_CTX* pctx = nullptr;
    int ok = EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA256", nullptr, nullptr,
                                     key.get(), nullptr);
    if (state.range(0) == 0) EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING);
    ok = ok && EVP_DigestVerify(ctx, sig.bytes.data(), sig.bytes.size(),
                                c.attest.data(), c.attest.size());
    if (ok != 1) {
      state.SkipWithError("raw verify failed");
      break;
    }
    EVP_MD_CTX_reset(ctx);
  }
  EVP_MD_CTX_free(ctx);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(Alg(state));
}

BENCHMARK(BM_VerifyQuote)->Arg(0)->Arg(1);
BENCHMARK(BM_RawDigestVerify)->Arg(0)->Arg(1);

}  // namespace
}  // namespace vigil::tpm

BENCHMARK_MAIN();
