#include "service/control/jws_writer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"
#include "service/token/json.h"

namespace vigil::control {
namespace {

using token::Json;

// BASE64URL(UTF8({"alg":"none"})), RFC 7515 Appendix A.5.
constexpr char kUnsignedHeader[] = "eyJhbGciOiJub25lIn0";

std::string Encode(const Json& json) {
  return Base64UrlEncode(AsBytes(token::DumpJson(json)));
}

absl::StatusOr<std::string> PolicyPayload(absl::string_view policy_text) {
  if (policy_text.empty()) {
    return absl::InvalidArgumentError(
        "policy text is empty (a reset is made with Make*ResetJws)");
  }
  if (const size_t bad = FindInvalidUtf8(policy_text);
      bad != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy text is not valid UTF-8 at byte ", bad));
  }
  Json payload = Json::object();
  payload["AttestationPolicy"] = Base64UrlEncode(AsBytes(policy_text));
  return Encode(payload);
}

// header '.' payload '.' signature, the header naming `key`'s chain.
absl::StatusOr<std::string> Sign(const token::SigningKey& key,
                                 absl::string_view encoded_payload) {
  if (key.certificate_chain().empty()) {
    return absl::InvalidArgumentError(
        "signing key has no certificate chain: policy signers are X.509 "
        "certificates (maa-spec §5.1); attach the certificate");
  }
  Json x5c = Json::array();
  for (const std::string& der : key.certificate_chain()) {
    x5c.push_back(Base64Encode(AsBytes(der)));
  }
  Json header = Json::object();
  header["alg"] = std::string(token::JwsAlgorithmName(key.algorithm()));
  header["x5c"] = std::move(x5c);
  std::string jws = absl::StrCat(Encode(header), ".", encoded_payload);
  ASSIGN_OR_RETURN(const std::string signature, key.Sign(jws));
  absl::StrAppend(&jws, ".", Base64UrlEncode(AsBytes(signature)));
  return jws;
}

}  // namespace

absl::StatusOr<std::string> MakeUnsignedPolicyJws(
    absl::string_view policy_text) {
  ASSIGN_OR_RETURN(const std::string payload, PolicyPayload(policy_text));
  return absl::StrCat(kUnsignedHeader, ".", payload, ".");
}

absl::StatusOr<std::string> MakeSignedPolicyJws(absl::string_view policy_text,
                                                const token::SigningKey& key) {
  ASSIGN_OR_RETURN(const std::string payload, PolicyPayload(policy_text));
  return Sign(key, payload);
}

std::string MakeUnsignedResetJws() {
  return absl::StrCat(kUnsignedHeader, "..");
}

absl::StatusOr<std::string> MakeSignedResetJws(const token::SigningKey& key) {
  return Sign(key, "");
}

absl::StatusOr<std::string> MakeCertificateChangeJws(
    const token::X509Certificate& certificate, const token::SigningKey& key) {
  ASSIGN_OR_RETURN(const token::JwsAlgorithm alg, certificate.Algorithm());
  Json jwk = Json::object();
  jwk["kty"] = alg == token::JwsAlgorithm::kEs256 ? "EC" : "RSA";
  jwk["x5c"] = Json::array({Base64Encode(AsBytes(certificate.der()))});
  Json payload = Json::object();
  payload["policyCertificate"] = std::move(jwk);
  return Sign(key, Encode(payload));
}

}  // namespace vigil::control
