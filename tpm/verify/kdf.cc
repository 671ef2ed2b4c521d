#include "tpm/verify/kdf.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace vigil::tpm {
namespace {

void PutU32(uint32_t v, uint8_t out[4]) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

absl::Status CheckBits(uint32_t bits) {
  if (bits == 0 || bits > 65536) {
    return absl::InvalidArgumentError(
        absl::StrCat("KDF output of ", bits, " bits is out of range"));
  }
  return absl::OkStatus();
}

void Truncate(std::vector<uint8_t>* out, uint32_t bits) {
  out->resize((bits + 7) / 8);
  if (bits % 8 != 0) (*out)[0] &= static_cast<uint8_t>((1u << (bits % 8)) - 1);
}

struct MacDeleter {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

}  // namespace

absl::StatusOr<std::vector<uint8_t>> TpmHmac(
    HashAlg hash, absl::Span<const uint8_t> key,
    std::initializer_list<absl::Span<const uint8_t>> parts) {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx(
      mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr);
  std::string md(absl::AsciiStrToUpper(HashAlgName(hash)));
  if (hash == HashAlg::kSm3_256) md = "SM3";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, md.data(), 0),
      OSSL_PARAM_construct_end()};
  bool ok = ctx != nullptr &&
            EVP_MAC_init(ctx.get(), key.data(), key.size(), params) == 1;
  for (const auto& p : parts) {
    ok = ok && EVP_MAC_update(ctx.get(), p.data(), p.size()) == 1;
  }
  std::vector<uint8_t> out(DigestSize(hash));
  size_t len = 0;
  ok = ok && EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) == 1;
  if (!ok || len != out.size()) {
    return absl::InternalError(
        absl::StrCat("HMAC-", HashAlgName(hash), " failed"));
  }
  return out;
}

namespace {

std::vector<uint8_t> LabelWithNul(absl::string_view label) {
  std::vector<uint8_t> l(label.begin(), label.end());
  if (l.empty() || l.back() != 0) l.push_back(0);
  return l;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> KdfA(HashAlg hash,
                                          absl::Span<const uint8_t> key,
                                          absl::string_view label,
                                          absl::Span<const uint8_t> context_u,
                                          absl::Span<const uint8_t> context_v,
                                          uint32_t bits) {
  RETURN_IF_ERROR(CheckBits(bits));
  const std::vector<uint8_t> l = LabelWithNul(label);
  uint8_t bits_be[4];
  PutU32(bits, bits_be);
  std::vector<uint8_t> out;
  for (uint32_t i = 1; out.size() * 8 < bits; ++i) {
    uint8_t counter[4];
    PutU32(i, counter);
    ASSIGN_OR_RETURN(std::vector<uint8_t> block,
                     TpmHmac(hash, key, {counter, l, context_u, context_v, bits_be}));
    out.insert(out.end(), block.begin(), block.end());
  }
  Truncate(&out, bits);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> KdfE(HashAlg hash,
                                          absl::Span<const uint8_t> z,
                                          absl::string_view label,
                                          absl::Span<const uint8_t> party_u,
                                          absl::Span<const uint8_t> party_v,
                                          uint32_t bits) {
  RETURN_IF_ERROR(CheckBits(bits));
  const std::vector<uint8_t> l = LabelWithNul(label);
  std::vector<uint8_t> out;
  std::vector<uint8_t> block(DigestSize(hash));
  for (uint32_t i = 1; out.size() * 8 < bits; ++i) {
    uint8_t counter[4];
    PutU32(i, counter);
    RETURN_IF_ERROR(
        HashParts(hash, {counter, z, l, party_u, party_v}, block.data()));
    out.insert(out.end(), block.begin(), block.end());
  }
  Truncate(&out, bits);
  return out;
}

}  // namespace vigil::tpm
