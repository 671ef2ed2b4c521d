// File: service/token/jws_algorithm.h
// -----------------------------------------------------------------------------
// The JWS algorithms Vigil signs and verifies with (RFC 7518 §3.1). Only two,
// on purpose: ES256 (ECDSA P-256 + SHA-256, the default) and RS256 (RSASSA
// PKCS#1 v1.5 + SHA-256, what Azure Attestation uses, maa-spec §6.1). "none"
// and the HMAC algorithms are not representable, so no configuration can
// allow them.

#ifndef VIGIL_SERVICE_TOKEN_JWS_ALGORITHM_H_
#define VIGIL_SERVICE_TOKEN_JWS_ALGORITHM_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace vigil::token {

enum class JwsAlgorithm {
  kEs256,  // RFC 7518 §3.4; signature is R || S, 64 bytes
  kRs256,  // RFC 7518 §3.3; RSA keys of 2048 bits or more
};

// The "alg" header value: "ES256" or "RS256".
inline absl::string_view JwsAlgorithmName(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::kEs256 ? "ES256" : "RS256";
}

// Exact, case-sensitive match (RFC 7515 §4.1.1: "alg" is case-sensitive);
// nullopt for every other name, including "none" and "HS256".
inline std::optional<JwsAlgorithm> JwsAlgorithmFromName(
    absl::string_view name) {
  if (name == "ES256") return JwsAlgorithm::kEs256;
  if (name == "RS256") return JwsAlgorithm::kRs256;
  return std::nullopt;
}

}  // namespace vigil::token

#endif  // VIGIL_SERVICE_TOKEN_JWS_ALGORITHM_H_
