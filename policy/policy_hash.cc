#include "policy/policy_hash.h"

#include <openssl/evp.h>

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "common/encoding.h"

namespace vigil::policy {

absl::StatusOr<std::string> PolicyHash(absl::string_view policy_text) {
  std::string encoded = Base64UrlEncode(AsBytes(policy_text));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              &EVP_MD_CTX_free);
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), encoded.data(), encoded.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1) {
    return absl::InternalError("policy hash: SHA-256 failed");
  }
  return Base64UrlEncode(absl::Span<const uint8_t>(digest, length));
}

}  // namespace vigil::policy
