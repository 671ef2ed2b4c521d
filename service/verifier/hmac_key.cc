#include "service/verifier/hmac_key.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/encoding.h"

namespace vigil::service {

absl::StatusOr<HmacKey> HmacKey::Generate() {
  std::vector<uint8_t> key(kMinSize);
  if (RAND_priv_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return absl::InternalError("no randomness for the verifier's HMAC key");
  }
  return HmacKey(std::move(key));
}

absl::StatusOr<HmacKey> HmacKey::FromBytes(absl::Span<const uint8_t> key) {
  if (key.size() < kMinSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "HMAC key: ", key.size(), " bytes, want at least ", kMinSize));
  }
  return HmacKey(std::vector<uint8_t>(key.begin(), key.end()));
}

absl::StatusOr<HmacKey> HmacKey::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return absl::NotFoundError(
        absl::StrCat("HMAC key file ", path, ": cannot open"));
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text(absl::StripAsciiWhitespace(buf.str()));
  absl::StatusOr<std::vector<uint8_t>> bytes = HexDecode(text);
  if (!bytes.ok()) bytes = Base64Decode(text);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("HMAC key file ", path, ": not hex or base64 text"));
  }
  absl::StatusOr<HmacKey> key = FromBytes(*bytes);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("HMAC key file ", path, ": ", key.status().message()));
  }
  return key;
}

absl::StatusOr<std::array<uint8_t, HmacKey::kMacSize>> HmacKey::Mac(
    absl::string_view label,
    std::initializer_list<absl::Span<const uint8_t>> parts) const {
  std::vector<uint8_t> msg(label.begin(), label.end());
  msg.push_back(0);
  for (absl::Span<const uint8_t> p : parts) {
    const size_t n = p.size();
    msg.insert(msg.end(),
               {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
    msg.insert(msg.end(), p.begin(), p.end());
  }
  std::array<uint8_t, kMacSize> out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), msg.data(),
           msg.size(), out.data(), &len) == nullptr ||
      len != kMacSize) {
    return absl::InternalError("OpenSSL: HMAC-SHA-256 failed");
  }
  return out;
}

bool ConstantTimeEquals(absl::Span<const uint8_t> a,
                        absl::Span<const uint8_t> b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace vigil::service
