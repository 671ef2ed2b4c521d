#include "tpm/verify/internal/signature_check.h"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include <array>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tpm/types/hash_alg.h"

namespace vigil::tpm::verify_internal {
namespace {

struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

// Fetched once: OpenSSL 3's implicit per-call fetches are slow.
const EVP_MD* Md(HashAlg alg) {
  static const std::array<EVP_MD*, 4>* mds =
      new std::array<EVP_MD*, 4>{EVP_MD_fetch(nullptr, "SHA1", nullptr),
                                 EVP_MD_fetch(nullptr, "SHA256", nullptr),
                                 EVP_MD_fetch(nullptr, "SHA384", nullptr),
                                 EVP_MD_fetch(nullptr, "SHA512", nullptr)};
  switch (alg) {
    case HashAlg::kSha1:
      return (*mds)[0];
    case HashAlg::kSha256:
      return (*mds)[1];
    case HashAlg::kSha384:
      return (*mds)[2];
    case HashAlg::kSha512:
      return (*mds)[3];
    case HashAlg::kSm3_256:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

namespace {

// A context initialised to verify `sig`'s scheme and hash with `key`, or the
// refusal (kUnauthenticated: the scheme does not fit the key, an unsupported
// hash; kInternal: OpenSSL failed).
absl::StatusOr<std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>> VerifyContext(
    EVP_PKEY* key, const Signature& sig) {
  const bool rsa_key = EVP_PKEY_is_a(key, "RSA");
  const bool want_rsa = sig.scheme != SigScheme::kEcdsa;
  if (rsa_key != want_rsa || (!rsa_key && !EVP_PKEY_is_a(key, "EC"))) {
    return absl::UnauthenticatedError(
        absl::StrCat("signature scheme ", SigSchemeName(sig.scheme),
                     " does not fit the key type"));
  }
  const EVP_MD* md = Md(sig.hash);
  if (md == nullptr) {
    return absl::UnauthenticatedError(absl::StrCat(
        "signature hash ", HashAlgName(sig.hash), " is not supported"));
  }
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  bool ok = ctx != nullptr && EVP_PKEY_verify_init(ctx.get()) == 1 &&
            EVP_PKEY_CTX_set_signature_md(ctx.get(), md) == 1;
  if (ok && sig.scheme == SigScheme::kRsassa) {
    ok = EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1;
  } else if (ok && sig.scheme == SigScheme::kRsapss) {
    ok = EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_AUTO) == 1;
  }
  if (!ok) {
    ERR_clear_error();
    return absl::InternalError("OpenSSL signature verification setup failed");
  }
  return ctx;
}

// The signature check proper, with a context VerifyContext made for `sig`.
absl::Status VerifyWith(EVP_PKEY_CTX* ctx, const Signature& sig,
                        absl::Span<const uint8_t> message) {
  uint8_t digest[kMaxDigestSize];
  RETURN_IF_ERROR(HashParts(sig.hash, {message}, digest));
  if (EVP_PKEY_verify(ctx, sig.bytes.data(), sig.bytes.size(), digest,
                      DigestSize(sig.hash)) != 1) {
    ERR_clear_error();
    return absl::UnauthenticatedError(
        absl::StrCat(SigSchemeName(sig.scheme), "/", HashAlgName(sig.hash),
                     " signature does not verify with the key"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckSignature(EVP_PKEY* key, const Signature& sig,
                            absl::Span<const uint8_t> message) {
  ASSIGN_OR_RETURN(auto ctx, VerifyContext(key, sig));
  return VerifyWith(ctx.get(), sig, message);
}

SignatureContexts::~SignatureContexts() {
  absl::MutexLock lock(&mu_);
  for (Entry& e : entries_) EVP_PKEY_CTX_free(e.ctx);
}

absl::Status SignatureContexts::Check(const Signature& sig,
                                      absl::Span<const uint8_t> message) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> copy;
  {
    absl::MutexLock lock(&mu_);
    EVP_PKEY_CTX* prepared = nullptr;
    for (const Entry& e : entries_) {
      if (e.scheme == sig.scheme && e.hash == sig.hash) prepared = e.ctx;
    }
    if (prepared == nullptr) {
      ASSIGN_OR_RETURN(auto made, VerifyContext(key_, sig));
      prepared = made.release();
      entries_.push_back({sig.scheme, sig.hash, prepared});
    }
    // The copy is verified outside the lock, so checks run in parallel.
    copy.reset(EVP_PKEY_CTX_dup(prepared));
  }
  if (copy == nullptr) {
    ERR_clear_error();
    return absl::InternalError("OpenSSL could not copy a verify context");
  }
  return VerifyWith(copy.get(), sig, message);
}

}  // namespace vigil::tpm::verify_internal
