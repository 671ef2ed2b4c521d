// File: service/http/https_fetch.h
// -----------------------------------------------------------------------------
// GET of a small JSON document over HTTPS (OpenID metadata, JWKS): for
// `vigilctl token verify` and for the verifier fetching its OIDC identity
// provider's keys (cpp-httplib client). The server certificate is always
// verified: against `ca_file` when given, else the system trust store.
// Plain http:// is refused unless the host is loopback and the caller allows
// it (test setups).
#ifndef VIGIL_SERVICE_HTTP_HTTPS_FETCH_H_
#define VIGIL_SERVICE_HTTP_HTTPS_FETCH_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vigil::http {

struct FetchOptions {
  std::string ca_file;  // PEM bundle; empty: the system store
  bool allow_plain_loopback = false;
  absl::Duration timeout = absl::Seconds(10);
  size_t max_bytes = 1 << 20;
};

// A URL split for an HTTP client: "https://host:port" and "/path?query".
struct SplitUrl {
  std::string scheme;  // "https" or "http"
  std::string host;
  int port = 0;
  std::string path;  // "/" when the URL has none
};

// Splits an absolute http(s) URL. Fails with kInvalidArgument naming the
// URL and what is wrong (scheme, empty host, bad port, userinfo).
absl::StatusOr<SplitUrl> ParseUrl(absl::string_view url);

// The body of a 200 response to GET `url`. Fails with:
//   kInvalidArgument    a malformed URL, http:// where not allowed;
//   kUnavailable        connection, TLS (certificate verification included)
//                       or timeout failures, naming the URL and the cause;
//   kFailedPrecondition a non-200 status or a body over max_bytes.
absl::StatusOr<std::string> HttpsGet(absl::string_view url,
                                     const FetchOptions& options);

// An OpenID provider's key set and where it came from.
struct ProviderJwks {
  std::string uri;   // the jwks_uri fetched
  std::string json;  // its body, to be parsed with token::Jwks::Parse
};

// FetchProviderJwks: the signing keys of `issuer` as OpenID Connect
// Discovery 1.0 §4 finds them: ISSUER/.well-known/openid-configuration,
// whose "issuer" must be exactly `issuer` (§4.3), then its "jwks_uri" — or
// `jwks_url` directly when it is not empty. Fails as HttpsGet for either
// fetch, and with kFailedPrecondition naming the metadata URL when the
// metadata is not a JSON object with string "issuer" and "jwks_uri" or
// names another issuer.
absl::StatusOr<ProviderJwks> FetchProviderJwks(absl::string_view issuer,
                                               absl::string_view jwks_url,
                                               const FetchOptions& options);

}  // namespace vigil::http

#endif  // VIGIL_SERVICE_HTTP_HTTPS_FETCH_H_
