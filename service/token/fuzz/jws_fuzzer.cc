// libFuzzer target for the JWS/JWT parser and verifier on untrusted bytes:
// SplitCompactJws, DecodeJwsHeader, the strict JSON parser (duplicates,
// depth), registered-claim typing, and JwtVerifier end to end against a fixed
// public JWKS. The input is also parsed as a JWK Set. Any input must be
// rejected with a Status or accepted without crashing, hanging or tripping a
// sanitizer; an accepted token must parse identically without verification.
//
// The seeds in fuzz/corpus were signed once by a P-256 key whose private half
// was discarded; its public JWK is kJwks below.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "common/testing/fake_clock.h"
#include "service/token/compact_jws.h"
#include "service/token/jwks.h"
#include "service/token/jwt_verifier.h"

namespace {

constexpr char kJwks[] =
    R"({"keys":[{"kty":"EC","crv":"P-256",)"
    R"("x":"91yGsJ68s8Hcb76poHhaDoFh2rwQWI4Qg4qEV_19E-A",)"
    R"("y":"N_lZyzlUK1NXXrr27fQNiJDEuxO85Eiqp0cFRAcB4VI",)"
    R"("kid":"Ux1uzxsqk429dBxWuGt0ZGyU0kYTHSgDabFjBsNAsjo","use":"sig","alg":"ES256"}]})";

const vigil::token::JwtVerifier& Verifier() {
  static const vigil::testing::FakeClock* clock =
      new vigil::testing::FakeClock(absl::FromUnixSeconds(1738120398));
  static const vigil::token::JwtVerifier* verifier = [] {
    auto v = vigil::token::JwtVerifierBuilder()
                 .SetJwks(*vigil::token::Jwks::Parse(kJwks))
                 .ExpectIssuer("https://vigil.example")
                 .ExpectAudience("rp")
                 .SetClock(*clock)
                 .Build();
    if (!v.ok()) std::abort();
    return new vigil::token::JwtVerifier(*std::move(v));
  }();
  return *verifier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<vigil::token::UnverifiedJwt> unverified =
      vigil::token::ParseUnverifiedJwt(input);
  absl::StatusOr<vigil::token::VerifiedJwt> verified = Verifier().Verify(input);
  if (verified.ok() &&
      (!unverified.ok() || unverified->claims != verified->claims())) {
    std::abort();  // the verifier accepted what the parser refuses
  }
  (void)vigil::token::Jwks::Parse(input);
  return 0;
}
