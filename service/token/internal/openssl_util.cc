#include "service/token/internal/openssl_util.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <limits>

#include "absl/strings/str_cat.h"

namespace vigil::token::internal {
namespace {

struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

constexpr size_t kEs256CoordinateSize = 32;

// Fetched once: OpenSSL 3's implicit per-call fetch by name is slow
// (tpm/verify/internal/signature_check.cc does the same).
const EVP_MD* Sha256Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

// DigestSign/DigestVerify context for `alg`, with PKCS#1 v1.5 padding set
// explicitly for RS256 (RFC 7518 §3.3) rather than relying on the default.
absl::StatusOr<EvpMdCtxPtr> InitContext(JwsAlgorithm alg, EVP_PKEY* key,
                                        bool sign) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = Sha256Md();
  bool ok =
      ctx != nullptr && md != nullptr &&
      (sign ? EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key)
            : EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key)) == 1;
  if (ok && alg == JwsAlgorithm::kRs256) {
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
  }
  if (!ok) {
    return OpenSslError(
        absl::StatusCode::kInternal,
        sign ? "cannot set up signing" : "cannot set up verification");
  }
  return ctx;
}

// ECDSA-Sig-Value (DER, what OpenSSL produces) -> R || S.
absl::StatusOr<std::string> DerToJose(absl::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (sig == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal,
                        "cannot decode ECDSA signature");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(2 * kEs256CoordinateSize, '\0');
  unsigned char* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, o, kEs256CoordinateSize) < 0 ||
      BN_bn2binpad(s, o + kEs256CoordinateSize, kEs256CoordinateSize) < 0) {
    return OpenSslError(absl::StatusCode::kInternal,
                        "ECDSA signature too large");
  }
  return out;
}

// R || S -> ECDSA-Sig-Value, for EVP_DigestVerify.
absl::StatusOr<std::string> JoseToDer(absl::string_view jose) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(jose.data());
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(p, kEs256CoordinateSize, nullptr);
  BIGNUM* s =
      BN_bin2bn(p + kEs256CoordinateSize, kEs256CoordinateSize, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr ||
      ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return OpenSslError(absl::StatusCode::kInternal,
                        "cannot encode ECDSA signature");
  }
  return ToDer(&i2d_ECDSA_SIG, sig.get(), "ECDSA signature");
}

}  // namespace

absl::Status OpenSslError(absl::StatusCode code, absl::string_view message) {
  ERR_clear_error();
  return absl::Status(code, message);
}

std::array<uint8_t, 32> Sha256(absl::Span<const uint8_t> data) {
  std::array<uint8_t, 32> out;
  SHA256(data.data(), data.size(), out.data());
  return out;
}

std::array<uint8_t, 20> Sha1(absl::Span<const uint8_t> data) {
  std::array<uint8_t, 20> out;
  SHA1(data.data(), data.size(), out.data());
  return out;
}

absl::StatusOr<JwsAlgorithm> AlgorithmForKey(const EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1) {
      return OpenSslError(absl::StatusCode::kInvalidArgument,
                          "EC key has no named curve; want P-256");
    }
    if (absl::string_view(group, len) != "prime256v1") {
      return absl::InvalidArgumentError(
          absl::StrCat("EC key on curve ", absl::string_view(group, len),
                       " is not supported; want P-256 (ES256)"));
    }
    return JwsAlgorithm::kEs256;
  }
  if (EVP_PKEY_is_a(key, "RSA")) {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
      return absl::InvalidArgumentError(
          absl::StrCat("RSA key of ", bits, " bits is not supported; want ",
                       kMinRsaBits, " to ", kMaxRsaBits, " (RS256)"));
    }
    return JwsAlgorithm::kRs256;
  }
  const char* type = EVP_PKEY_get0_type_name(key);
  return absl::InvalidArgumentError(
      absl::StrCat("key type ", type == nullptr ? "unknown" : type,
                   " is not supported; want EC P-256 (ES256) or RSA (RS256)"));
}

absl::StatusOr<std::string> SubjectPublicKeyInfoDer(EVP_PKEY* key) {
  return ToDer(&i2d_PUBKEY, key, "the public key");
}

absl::StatusOr<EvpPkeyPtr> ParseSubjectPublicKeyInfo(absl::string_view der) {
  if (der.size() > static_cast<size_t>(std::numeric_limits<long>::max())) {
    return absl::InvalidArgumentError("public key too large");
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (key == nullptr ||
      p != reinterpret_cast<const unsigned char*>(der.data() + der.size())) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "not a DER SubjectPublicKeyInfo");
  }
  std::unique_ptr<EVP_PKEY_CTX, OpenSslFree> ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (ctx == nullptr || EVP_PKEY_public_check(ctx.get()) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "public key fails its consistency check");
  }
  return key;
}

namespace {

// A copy of `ctx` to make one signature with, or null when OpenSSL cannot
// copy it. Marked final: without the flag, EVP_DigestSignFinal duplicates
// the copy's key context once more so that the context could sign again
// (OpenSSL 3.0, crypto/evp/m_sigver.c), which a copy used once never does.
EvpMdCtxPtr CopyContext(const EVP_MD_CTX& ctx) {
  EvpMdCtxPtr copy(EVP_MD_CTX_new());
  if (copy == nullptr || EVP_MD_CTX_copy_ex(copy.get(), &ctx) != 1) {
    return nullptr;
  }
  EVP_MD_CTX_set_flags(copy.get(), EVP_MD_CTX_FLAG_FINALISE);
  return copy;
}

// One signature with `ctx`, a fresh signing context for `alg`.
absl::StatusOr<std::string> SignWith(JwsAlgorithm alg, EVP_MD_CTX* ctx,
                                     absl::string_view signing_input) {
  const auto* in = reinterpret_cast<const unsigned char*>(signing_input.data());
  size_t len = 0;
  if (EVP_DigestSign(ctx, nullptr, &len, in, signing_input.size()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     in, signing_input.size()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "signing failed");
  }
  sig.resize(len);
  if (alg == JwsAlgorithm::kEs256) return DerToJose(sig);
  return sig;
}

}  // namespace

absl::StatusOr<std::string> SignJws(JwsAlgorithm alg, EVP_PKEY* key,
                                    absl::string_view signing_input) {
  auto ctx = InitContext(alg, key, /*sign=*/true);
  if (!ctx.ok()) return ctx.status();
  return SignWith(alg, ctx->get(), signing_input);
}

std::shared_ptr<const EVP_MD_CTX> NewSignTemplate(JwsAlgorithm alg,
                                                  EVP_PKEY* key) {
  absl::StatusOr<EvpMdCtxPtr> ctx = InitContext(alg, key, /*sign=*/true);
  if (!ctx.ok()) return nullptr;
  // One trial copy, so that an OpenSSL that cannot copy it is found here,
  // not at every signature.
  if (CopyContext(**ctx) == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  return std::shared_ptr<const EVP_MD_CTX>(*std::move(ctx));
}

absl::StatusOr<std::string> SignJwsFrom(JwsAlgorithm alg,
                                        const EVP_MD_CTX& sign_template,
                                        absl::string_view signing_input) {
  EvpMdCtxPtr ctx = CopyContext(sign_template);
  if (ctx == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal,
                        "cannot copy the signing context");
  }
  return SignWith(alg, ctx.get(), signing_input);
}

absl::Status VerifyJws(JwsAlgorithm alg, EVP_PKEY* key,
                       absl::string_view signing_input,
                       absl::string_view signature) {
  std::string der;
  absl::string_view to_check = signature;
  if (alg == JwsAlgorithm::kEs256) {
    if (signature.size() != 2 * kEs256CoordinateSize) {
      return absl::UnauthenticatedError(
          absl::StrCat("signature: ES256 signature is ", signature.size(),
                       " bytes, want 64 (R || S, RFC 7518 §3.4)"));
    }
    auto converted = JoseToDer(signature);
    if (!converted.ok()) return converted.status();
    der = *std::move(converted);
    to_check = der;
  } else if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(key))) {
    return absl::UnauthenticatedError(absl::StrCat(
        "signature: RS256 signature is ", signature.size(), " bytes, want ",
        EVP_PKEY_get_size(key), " (the modulus size)"));
  }
  auto ctx = InitContext(alg, key, /*sign=*/false);
  if (!ctx.ok()) return ctx.status();
  if (EVP_DigestVerify(
          ctx->get(), reinterpret_cast<const unsigned char*>(to_check.data()),
          to_check.size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) != 1) {
    return OpenSslError(absl::StatusCode::kUnauthenticated,
                        absl::StrCat("signature: ", JwsAlgorithmName(alg),
                                     " signature does not verify"));
  }
  return absl::OkStatus();
}

}  // namespace vigil::token::internal
