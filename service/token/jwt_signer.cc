#include "service/token/jwt_signer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"
#include "service/token/internal/openssl_util.h"

namespace vigil::token {

absl::StatusOr<OpenSslJwtSigner> OpenSslJwtSigner::Create(
    SigningKey key, JwtSignerOptions options) {
  // RFC 7515 §4.1.1 "alg", §4.1.9 "typ" (RFC 7519 §5.1 recommends "JWT"),
  // §4.1.4 "kid".
  Json header = {{"alg", std::string(JwsAlgorithmName(key.algorithm()))},
                 {"typ", "JWT"},
                 {"kid", key.kid()}};
  const absl::Span<const std::string> chain = key.certificate_chain();
  if (options.certificate_header != CertificateHeader::kNone && chain.empty()) {
    return absl::InvalidArgumentError(
        "x5c/x5t header asked for, but the signing key has no certificate "
        "chain");
  }
  if (options.certificate_header == CertificateHeader::kX5c) {
    Json x5c = Json::array();
    for (const std::string& der : chain)
      x5c.push_back(Base64Encode(AsBytes(der)));
    header["x5c"] = std::move(x5c);
  } else if (options.certificate_header == CertificateHeader::kX5t) {
    header["x5t"] = Base64UrlEncode(internal::Sha1(AsBytes(chain.front())));
  }
  std::string encoded = Base64UrlEncode(AsBytes(DumpJson(header)));
  return OpenSslJwtSigner(std::move(key), std::move(encoded));
}

absl::StatusOr<std::string> OpenSslJwtSigner::SignAndEncode(
    const RawJwt& jwt) const {
  // RFC 7515 §5.1: signing input = header '.' payload, both base64url.
  std::string token = absl::StrCat(encoded_header_, ".",
                                   Base64UrlEncode(AsBytes(jwt.payload())));
  ASSIGN_OR_RETURN(const std::string signature, key_.Sign(token));
  token.push_back('.');
  token += Base64UrlEncode(AsBytes(signature));
  return token;
}

}  // namespace vigil::token
