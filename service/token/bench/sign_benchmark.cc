// Token signing throughput beside the raw signature it contains:
//   BM_SignAndEncode/es256|rs256  OpenSslJwtSigner::SignAndEncode of a
//                                 typical TPM token (~600-byte claims set):
//                                 payload base64url, EVP sign, JOSE R || S
//                                 conversion for ES256, signature base64url.
//   BM_KeyRingSign/es256|rs256    the same through KeyRing (lock + clock).
//   BM_RawEvpSign/es256|rs256     EVP_DigestSignInit + EVP_DigestSign of the
//                                 same signing input with the same key: the
//                                 floor of what a signer must do.
//   BM_Verify/es256|rs256         JwtVerifier::Verify of the signed token.
// Run: build/bench/vigil_service_token_sign_benchmark
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>

#include "benchmark/benchmark.h"
#include "common/clock.h"
#include "service/token/jwks.h"
#include "service/token/jwt_signer.h"
#include "service/token/jwt_verifier.h"
#include "service/token/key_ring.h"

namespace vigil::token {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1738120398);

class FixedClock final : public Clock {
 public:
  absl::Time Now() const override { return kNow; }
};

struct Case {
  EVP_PKEY* raw = nullptr;  // leaked: lives for the process
  SigningKey key = *SigningKey::Generate();
  RawJwt jwt = *RawJwtBuilder()
                    .SetIssuer("i")
                    .SetExpiration(kNow + absl::Hours(1))
                    .Build();
};

const Case& GetCase(const benchmark::State& state) {
  static Case* cases = [] {
    Case* c = new Case[2];
    for (int i = 0; i < 2; ++i) {
      c[i].raw = i == 0 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
      BIO* bio = BIO_new(BIO_s_mem());
      PEM_write_bio_PKCS8PrivateKey(bio, c[i].raw, nullptr, nullptr, 0, nullptr,
                                    nullptr);
      char* data = nullptr;
      const long len = BIO_get_mem_data(bio, &data);
      c[i].key =
          *SigningKey::ParsePem(std::string(data, static_cast<size_t>(len)));
      BIO_free(bio);
      c[i].jwt =
          *RawJwtBuilder()
               .SetIssuer("https://vigil.example")
               .SetIssuedAt(kNow)
               .SetNotBefore(kNow - absl::Minutes(5))
               .SetExpiration(kNow + absl::Hours(8))
               .SetJwtId("b53dc14af514ca24b96429f53fc730feac308350")
               .AddClaim("ver", "1.0")
               .AddClaim("x-ms-ver", "1.0")
               .AddClaim("nonce", "UkVQTEFDRSBXSVRIIFJQIE5PTkNF")
               .AddClaim("x-ms-policy-hash",
                         "gyvwpw0gyv_-uJoWgD8o3PsZJcoaBgw3KkOOizeKYNg")
               .AddClaim("x-ms-policy", Json{{"secureBootEnabled", true},
                                             {"bootDebuggingDisabled", true},
                                             {"codeIntegrityEnabled", true},
                                             {"notSafeMode", true},
                                             {"vbsEnabled", true},
                                             {"hvciEnabled", true},
                                             {"bitlockerStatus", 1},
                                             {"bootMgrSvn", 1},
                                             {"bootAppSvn", 1},
                                             {"bootCount", 42},
                                             {"elamDriverLoaded", true},
                                             {"depPolicy", 0}})
               .Build();
    }
    return c;
  }();
  return cases[state.range(0)];
}

const char* Alg(const benchmark::State& state) {
  return state.range(0) == 0 ? "es256" : "rs256";
}

void BM_SignAndEncode(benchmark::State& state) {
  const Case& c = GetCase(state);
  const OpenSslJwtSigner signer = *OpenSslJwtSigner::Create(c.key);
  for (auto _ : state) {
    absl::StatusOr<std::string> token = signer.SignAndEncode(c.jwt);
    if (!token.ok()) state.SkipWithError("sign failed");
    benchmark::DoNotOptimize(token);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(Alg(state));
}

void BM_KeyRingSign(benchmark::State& state) {
  const Case& c = GetCase(state);
  static const FixedClock clock;
  auto ring = *KeyRing::Create(c.key, clock);
  for (auto _ : state) {
    absl::StatusOr<std::string> token = ring->SignAndEncode(c.jwt);
    if (!token.ok()) state.SkipWithError("sign failed");
    benchmark::DoNotOptimize(token);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(Alg(state));
}

void BM_RawEvpSign(benchmark::State& state) {
  const Case& c = GetCase(state);
  const std::string token =
      *OpenSslJwtSigner::Create(c.key)->SignAndEncode(c.jwt);
  const std::string input = token.substr(0, token.rfind('.'));
  unsigned char sig[512];
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    EVP_PKEY_CTX* pctx = nullptr;
    size_t len = sizeof(sig);
    int ok = EVP_DigestSignInit_ex(ctx, &pctx, "SHA256", nullptr, nullptr,
                                   c.raw, nullptr);
    if (state.range(0) == 1)
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING);
    ok = ok &&
         EVP_DigestSign(ctx, sig, &len,
                        reinterpret_cast<const unsigned char*>(input.data()),
                        input.size());
    if (ok != 1) {
      state.SkipWithError("raw sign failed");
      break;
    }
    EVP_MD_CTX_reset(ctx);
    benchmark::DoNotOptimize(sig);
  }
  EVP_MD_CTX_free(ctx);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(Alg(state));
}

void BM_Verify(benchmark::State& state) {
  const Case& c = GetCase(state);
  static const FixedClock clock;
  const std::string token =
      *OpenSslJwtSigner::Create(c.key)->SignAndEncode(c.jwt);
  const JwtVerifier verifier =
      *JwtVerifierBuilder()
           .SetJwks(*Jwks::Parse(RenderJwks({*PublicJwk(c.key)})))
           .ExpectIssuer("https://vigil.example")
           .SetClock(clock)
           .Build();
  for (auto _ : state) {
    absl::StatusOr<VerifiedJwt> jwt = verifier.Verify(token);
    if (!jwt.ok()) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(jwt);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(Alg(state));
}

BENCHMARK(BM_SignAndEncode)->Arg(0)->Arg(1);
BENCHMARK(BM_KeyRingSign)->Arg(0)->Arg(1);
BENCHMARK(BM_RawEvpSign)->Arg(0)->Arg(1);
BENCHMARK(BM_Verify)->Arg(0)->Arg(1);

}  // namespace
}  // namespace vigil::token

BENCHMARK_MAIN();
