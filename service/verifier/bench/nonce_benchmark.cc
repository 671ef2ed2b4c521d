// A nonce's round trip as every attestation makes it (issue #5 §1): Issue
// (random bytes + HMAC) then Consume (HMAC check + the single-use set),
// beside the baseline measured in the same run — OpenSSL's one-shot HMAC()
// over the same 62 bytes, which the verifier used before it kept a keyed
// context (hmac_key.h).
//
//   ninja -C build vigil_service_verifier_nonce_benchmark
//   build/bench/vigil_service_verifier_nonce_benchmark
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "service/verifier/hmac_key.h"
#include "service/verifier/nonce_issuer.h"
#include "tpm/verify/random_source.h"

namespace vigil::service {
namespace {

const std::string kDevice(64, 'a');

void BM_OneShotHmacBaseline(benchmark::State& state) {
  const std::vector<uint8_t> key(32, 7);
  const std::vector<uint8_t> msg(62, 1);  // label, device id, header
  uint8_t out[32];
  unsigned int len = 0;
  for (auto _ : state) {
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), msg.data(),
         msg.size(), out, &len);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_OneShotHmacBaseline);

void BM_HmacKeyMac(benchmark::State& state) {
  absl::StatusOr<HmacKey> key = HmacKey::FromBytes(std::vector<uint8_t>(32, 7));
  if (!key.ok()) return state.SkipWithError("no key");
  const std::vector<uint8_t> header(25, 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        key->Mac("vigil nonce v1", {AsBytes(kDevice), header}));
  }
}
BENCHMARK(BM_HmacKeyMac);

// Issue + Consume: two MACs, 16 random bytes, one set insert.
void BM_NonceIssueConsume(benchmark::State& state) {
  absl::StatusOr<HmacKey> key = HmacKey::FromBytes(std::vector<uint8_t>(32, 7));
  if (!key.ok()) return state.SkipWithError("no key");
  tpm::OpenSslRandomSource rng;
  // Entries expire after 5 s, so the set stays far below its bound.
  NonceIssuer issuer(&*key, &SystemClock::Get(), &rng, absl::Seconds(5),
                     size_t{1} << 24);
  for (auto _ : state) {
    absl::StatusOr<IssuedNonce> n = issuer.Issue(kDevice);
    if (!n.ok() || !issuer.Consume(n->bytes, kDevice).ok()) {
      return state.SkipWithError("nonce refused");
    }
  }
}
BENCHMARK(BM_NonceIssueConsume);

}  // namespace
}  // namespace vigil::service

BENCHMARK_MAIN();
