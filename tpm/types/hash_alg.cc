// The one-shot SHA-1/SHA-2 functions are deprecated in OpenSSL 3 in favour of
// EVP, but they skip EVP's per-call provider dispatch, which dominates the
// cost of the 40-128 byte inputs of a PCR extend (replay does thousands).
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "tpm/types/hash_alg.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace vigil::tpm {
namespace {

// Only SM3 goes through EVP: the SHA family uses the one-shot functions below.
// Fetching an EVP_MD initialises OpenSSL's configuration and providers, which
// costs milliseconds of process start-up that a CLI replaying one log should
// not pay. Fetched once, never freed.
const EVP_MD* Sm3() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SM3", nullptr);
  return md;
}

struct CtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// One reusable context per thread avoids an allocation per digest.
EVP_MD_CTX* ThreadCtx() {
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

}  // namespace

std::optional<HashAlg> HashAlgFromId(uint16_t id) {
  switch (id) {
    case 0x0004:
      return HashAlg::kSha1;
    case 0x000B:
      return HashAlg::kSha256;
    case 0x000C:
      return HashAlg::kSha384;
    case 0x000D:
      return HashAlg::kSha512;
    case 0x0012:
      return HashAlg::kSm3_256;
    default:
      return std::nullopt;
  }
}

size_t DigestSize(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
      return 20;
    case HashAlg::kSha256:
      return 32;
    case HashAlg::kSha384:
      return 48;
    case HashAlg::kSha512:
      return 64;
    case HashAlg::kSm3_256:
      return 32;
  }
  return 0;
}

absl::string_view HashAlgName(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
      return "sha1";
    case HashAlg::kSha256:
      return "sha256";
    case HashAlg::kSha384:
      return "sha384";
    case HashAlg::kSha512:
      return "sha512";
    case HashAlg::kSm3_256:
      return "sm3_256";
  }
  return "unknown";
}

absl::string_view HashAlgMaaName(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
      return "SHA1";
    case HashAlg::kSha256:
      return "SHA256";
    case HashAlg::kSha384:
      return "SHA384";
    case HashAlg::kSha512:
      return "SHA512";
    case HashAlg::kSm3_256:
      return "SM3_256";
  }
  return "UNKNOWN";
}

std::optional<HashAlg> HashAlgFromName(absl::string_view name) {
  std::string n = absl::AsciiStrToLower(name);
  for (HashAlg a : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384,
                    HashAlg::kSha512, HashAlg::kSm3_256}) {
    if (n == HashAlgName(a)) return a;
  }
  if (n == "sha-1") return HashAlg::kSha1;
  if (n == "sha-256") return HashAlg::kSha256;
  if (n == "sha-384") return HashAlg::kSha384;
  if (n == "sha-512") return HashAlg::kSha512;
  if (n == "sm3") return HashAlg::kSm3_256;
  return std::nullopt;
}

bool HashAlgAvailable(HashAlg alg) {
  return alg != HashAlg::kSm3_256 || Sm3() != nullptr;
}

namespace {

template <typename Ctx, int (*Init)(Ctx*), int (*Update)(Ctx*, const void*, size_t),
          int (*Final)(unsigned char*, Ctx*)>
void LowLevel(std::initializer_list<absl::Span<const uint8_t>> parts,
              uint8_t* out) {
  Ctx ctx;
  Init(&ctx);
  for (const auto& p : parts) Update(&ctx, p.data(), p.size());
  Final(out, &ctx);
}

}  // namespace

absl::Status HashParts(HashAlg alg,
                       std::initializer_list<absl::Span<const uint8_t>> parts,
                       uint8_t* out) {
  switch (alg) {
    case HashAlg::kSha1:
      LowLevel<SHA_CTX, SHA1_Init, SHA1_Update, SHA1_Final>(parts, out);
      return absl::OkStatus();
    case HashAlg::kSha256:
      LowLevel<SHA256_CTX, SHA256_Init, SHA256_Update, SHA256_Final>(parts, out);
      return absl::OkStatus();
    case HashAlg::kSha384:
      LowLevel<SHA512_CTX, SHA384_Init, SHA384_Update, SHA384_Final>(parts, out);
      return absl::OkStatus();
    case HashAlg::kSha512:
      LowLevel<SHA512_CTX, SHA512_Init, SHA512_Update, SHA512_Final>(parts, out);
      return absl::OkStatus();
    case HashAlg::kSm3_256:
      break;
  }
  const EVP_MD* md = Sm3();
  if (md == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("hash algorithm ", HashAlgName(alg),
                     " is not available in this OpenSSL build"));
  }
  EVP_MD_CTX* ctx = ThreadCtx();
  unsigned int len = 0;
  bool ok = ctx != nullptr && EVP_DigestInit_ex2(ctx, md, nullptr) == 1;
  for (const auto& p : parts) {
    ok = ok && EVP_DigestUpdate(ctx, p.data(), p.size()) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(ctx, out, &len) == 1;
  if (!ok || len != DigestSize(alg)) {
    return absl::InternalError(
        absl::StrCat("OpenSSL digest ", HashAlgName(alg), " failed"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Digest> Hash(HashAlg alg, absl::Span<const uint8_t> data) {
  Digest out(DigestSize(alg));
  absl::Status s = HashParts(alg, {data}, out.data());
  if (!s.ok()) return s;
  return out;
}

absl::Status Extend(HashAlg alg, Digest* pcr,
                    absl::Span<const uint8_t> digest) {
  std::array<uint8_t, kMaxDigestSize> out;
  absl::Status s = HashParts(alg, {*pcr, digest}, out.data());
  if (!s.ok()) return s;
  pcr->resize(DigestSize(alg));
  std::copy(out.begin(), out.begin() + DigestSize(alg), pcr->begin());
  return absl::OkStatus();
}

}  // namespace vigil::tpm
