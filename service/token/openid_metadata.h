// File: service/token/openid_metadata.h
// -----------------------------------------------------------------------------
// The issuer's OpenID Provider Metadata, served at
// <issuer>/.well-known/openid-configuration (OpenID Connect Discovery 1.0
// §3, §4), in the shape Azure Attestation serves it (maa-spec §6.3):
//   {"issuer","jwks_uri":"<issuer>/certs","response_types_supported",
//    "id_token_signing_alg_values_supported","claims_supported"}

#ifndef VIGIL_SERVICE_TOKEN_OPENID_METADATA_H_
#define VIGIL_SERVICE_TOKEN_OPENID_METADATA_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/token/jws_algorithm.h"

namespace vigil::token {

// The claims Vigil's TPM tokens carry (maa-spec §3.5), the default for
// claims_supported.
std::vector<std::string> DefaultClaimsSupported();

struct OpenIdMetadataOptions {
  // id_token_signing_alg_values_supported, in this order; the algorithms of
  // the keys in the JWKS. Must not be empty.
  std::vector<JwsAlgorithm> signing_algorithms = {JwsAlgorithm::kEs256};
  std::vector<std::string> claims_supported = DefaultClaimsSupported();
};

// RenderOpenIdConfiguration: the metadata document as JSON text.
// `issuer_url` is the "iss" of every token: an https URL with a host, no
// query, no fragment and no trailing slash (Discovery §3: "URL using the
// https scheme with no query or fragment components"; maa-spec §6.3: no
// trailing slash). http is accepted for localhost, 127.0.0.1 and [::1] only,
// for tests and development. Fails with kInvalidArgument naming what is
// wrong with the URL, or "signing_algorithms: empty".
absl::StatusOr<std::string> RenderOpenIdConfiguration(
    absl::string_view issuer_url, const OpenIdMetadataOptions& options = {});

}  // namespace vigil::token

#endif  // VIGIL_SERVICE_TOKEN_OPENID_METADATA_H_
