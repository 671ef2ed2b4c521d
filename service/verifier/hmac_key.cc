#include "service/verifier/hmac_key.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/encoding.h"

namespace vigil::service {

absl::StatusOr<HmacKey> HmacKey::Generate() {
  std::vector<uint8_t> key(kMinSize);
  if (RAND_priv_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return absl::InternalError("no randomness for the verifier's HMAC key");
  }
  return Make(std::move(key));
}

absl::StatusOr<HmacKey> HmacKey::FromBytes(absl::Span<const uint8_t> key) {
  if (key.size() < kMinSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "HMAC key: ", key.size(), " bytes, want at least ", kMinSize));
  }
  return Make(std::vector<uint8_t>(key.begin(), key.end()));
}

absl::StatusOr<HmacKey> HmacKey::Make(std::vector<uint8_t> key) {
  std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(
      EVP_MAC_fetch(nullptr, "HMAC", nullptr), &EVP_MAC_free);
  if (mac == nullptr) return absl::InternalError("OpenSSL: no HMAC");
  std::shared_ptr<EVP_MAC_CTX> keyed(EVP_MAC_CTX_new(mac.get()),
                                     &EVP_MAC_CTX_free);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  const bool keyed_ok =
      keyed != nullptr &&
      EVP_MAC_init(keyed.get(), key.data(), key.size(), params) == 1;
  OPENSSL_cleanse(key.data(), key.size());
  if (!keyed_ok) {
    return absl::InternalError("OpenSSL: HMAC-SHA-256 unavailable");
  }
  return HmacKey(std::move(keyed));
}

absl::StatusOr<HmacKey> HmacKey::FromFile(const std::string& path) {
  // Read with read(2) into one buffer sized up front, and wipe every copy
  // of the key (file text, trimmed text, decoded bytes) once it is keyed:
  // an ifstream would keep the text in its own buffer, a growing string in
  // the blocks it left behind. O_NONBLOCK: a FIFO in its place must not
  // hang the start.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return absl::NotFoundError(
        absl::StrCat("HMAC key file ", path, ": cannot open"));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("HMAC key file ", path, ": not a regular file"));
  }
  constexpr size_t kMaxFileBytes = 64 * 1024;  // a key is < 1 KB of text
  std::string raw(kMaxFileBytes + 1, '\0');
  size_t got = 0;
  bool read_failed = false;
  while (got < raw.size()) {
    const ssize_t n = read(fd, raw.data() + got, raw.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) read_failed = true;  // an I/O error
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  if (read_failed) {
    OPENSSL_cleanse(raw.data(), raw.size());
    return absl::NotFoundError(
        absl::StrCat("HMAC key file ", path, ": cannot read"));
  }
  if (got > kMaxFileBytes) {
    OPENSSL_cleanse(raw.data(), raw.size());
    return absl::InvalidArgumentError(absl::StrCat(
        "HMAC key file ", path, ": over ", kMaxFileBytes, " bytes"));
  }
  std::string text(
      absl::StripAsciiWhitespace(absl::string_view(raw.data(), got)));
  OPENSSL_cleanse(raw.data(), raw.size());
  // The decoders wipe what they decoded when they fail part way.
  absl::StatusOr<std::vector<uint8_t>> bytes = HexDecode(text);
  if (!bytes.ok()) bytes = Base64Decode(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("HMAC key file ", path, ": not hex or base64 text"));
  }
  absl::StatusOr<HmacKey> key = FromBytes(*bytes);
  OPENSSL_cleanse(bytes->data(), bytes->size());
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("HMAC key file ", path, ": ", key.status().message()));
  }
  return key;
}

absl::StatusOr<std::array<uint8_t, HmacKey::kMacSize>> HmacKey::Mac(
    absl::string_view label,
    std::initializer_list<absl::Span<const uint8_t>> parts) const {
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(
      EVP_MAC_CTX_dup(keyed_.get()), &EVP_MAC_CTX_free);
  if (ctx == nullptr) return absl::InternalError("OpenSSL: HMAC copy failed");
  auto update = [&ctx](const void* data, size_t n) {
    return EVP_MAC_update(ctx.get(), static_cast<const uint8_t*>(data), n) == 1;
  };
  const uint8_t zero = 0;
  bool ok = update(label.data(), label.size()) && update(&zero, 1);
  for (absl::Span<const uint8_t> p : parts) {
    const size_t n = p.size();
    const uint8_t length[4] = {
        static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
        static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
    ok = ok && update(length, 4) && update(p.data(), p.size());
  }
  std::array<uint8_t, kMacSize> out{};
  size_t len = 0;
  if (!ok || EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 ||
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
