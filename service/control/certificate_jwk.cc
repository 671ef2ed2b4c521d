#include "service/control/certificate_jwk.h"

#include <openssl/sha.h>

#include <array>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"

namespace vigil::control {

std::string CertificateThumbprint(const token::X509Certificate& certificate) {
  std::array<uint8_t, SHA_DIGEST_LENGTH> digest;
  const std::string& der = certificate.der();
  SHA1(reinterpret_cast<const unsigned char*>(der.data()), der.size(),
       digest.data());
  return absl::AsciiStrToUpper(HexEncode(digest));
}

absl::StatusOr<token::Json> CertificateJwk(
    absl::Span<const token::X509Certificate> chain) {
  if (chain.empty()) {
    return absl::InvalidArgumentError("certificate chain is empty");
  }
  ASSIGN_OR_RETURN(const token::JwsAlgorithm alg, chain.front().Algorithm());
  return CertificateJwk(alg, chain);
}

token::Json CertificateJwk(token::JwsAlgorithm alg,
                           absl::Span<const token::X509Certificate> chain) {
  token::Json x5c = token::Json::array();
  for (const token::X509Certificate& cert : chain) {
    x5c.push_back(Base64Encode(AsBytes(cert.der())));
  }
  token::Json jwk = token::Json::object();
  jwk["alg"] = std::string(token::JwsAlgorithmName(alg));
  jwk["kty"] = alg == token::JwsAlgorithm::kEs256 ? "EC" : "RSA";
  jwk["use"] = "sig";
  jwk["x5c"] = std::move(x5c);
  return jwk;
}

absl::StatusOr<token::X509Certificate> CertificateFromX5c(
    const token::Json& entry) {
  if (!entry.is_string()) return absl::InvalidArgumentError("not a string");
  absl::StatusOr<std::vector<uint8_t>> der =
      Base64Decode(entry.get_ref<const std::string&>());
  if (!der.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not standard base64: ", der.status().message()));
  }
  return token::X509Certificate::ParseDer(absl::string_view(
      reinterpret_cast<const char*>(der->data()), der->size()));
}

}  // namespace vigil::control
