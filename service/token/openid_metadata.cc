#include "service/token/openid_metadata.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "service/token/json.h"

namespace vigil::token {
namespace {

absl::Status CheckIssuerUrl(absl::string_view url) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("issuer URL: ", why));
  };
  absl::string_view rest = url;
  bool https = absl::ConsumePrefix(&rest, "https://");
  if (!https && !absl::ConsumePrefix(&rest, "http://")) {
    return bad("want an https:// URL");
  }
  const absl::string_view host = rest.substr(0, rest.find('/'));
  if (host.empty()) return bad("no host");
  if (!https) {
    const absl::string_view hostname = host.front() == '['
                                           ? host.substr(0, host.find(']') + 1)
                                           : host.substr(0, host.find(':'));
    if (hostname != "localhost" && hostname != "127.0.0.1" &&
        hostname != "[::1]") {
      return bad("http is accepted for localhost only; want https://");
    }
  }
  if (rest.find_first_of("?#") != absl::string_view::npos) {
    return bad("has a query or fragment");
  }
  if (absl::EndsWith(rest, "/")) return bad("ends with '/'");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 ||
        static_cast<unsigned char>(c) >= 0x7f) {
      return bad("has a space, control or non-ASCII character");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> DefaultClaimsSupported() {
  return {"iss",
          "iat",
          "nbf",
          "exp",
          "jti",
          "nonce",
          "rp_data",
          "cnf",
          "ver",
          "x-ms-ver",
          "x-ms-policy-hash",
          "x-ms-policy",
          "x-ms-tpm-request-key"};
}

absl::StatusOr<std::string> RenderOpenIdConfiguration(
    absl::string_view issuer_url, const OpenIdMetadataOptions& options) {
  if (absl::Status s = CheckIssuerUrl(issuer_url); !s.ok()) return s;
  if (options.signing_algorithms.empty()) {
    return absl::InvalidArgumentError("signing_algorithms: empty");
  }
  Json algs = Json::array();
  for (JwsAlgorithm alg : options.signing_algorithms) {
    algs.push_back(std::string(JwsAlgorithmName(alg)));
  }
  Json doc = Json::object();
  doc["issuer"] = std::string(issuer_url);
  doc["jwks_uri"] = absl::StrCat(issuer_url, "/certs");
  doc["response_types_supported"] = Json::array({"token", "none"});
  doc["id_token_signing_alg_values_supported"] = std::move(algs);
  doc["claims_supported"] = options.claims_supported;
  return DumpJson(doc);
}

}  // namespace vigil::token
