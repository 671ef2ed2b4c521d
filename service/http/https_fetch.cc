#include "service/http/https_fetch.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace vigil::http {
namespace {

bool IsLoopbackHost(absl::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" ||
         absl::StartsWith(host, "127.");
}

}  // namespace

absl::StatusOr<SplitUrl> ParseUrl(absl::string_view url) {
  auto bad = [url](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("URL \"", url, "\": ", why));
  };
  SplitUrl out;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "https://")) {
    out.scheme = "https";
    out.port = 443;
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    out.scheme = "http";
    out.port = 80;
  } else {
    return bad("want https://HOST[:PORT][/PATH]");
  }
  const size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  out.path =
      slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (absl::StrContains(authority, '@')) return bad("user info is not allowed");
  absl::string_view host = authority;
  if (absl::StartsWith(authority, "[")) {  // [v6]:port
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return bad("unclosed [ in host");
    host = authority.substr(0, close + 1);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":") ||
          !absl::SimpleAtoi(after, &out.port)) {
        return bad("bad port");
      }
    }
  } else if (const size_t colon = authority.rfind(':');
             colon != absl::string_view::npos) {
    host = authority.substr(0, colon);
    if (!absl::SimpleAtoi(authority.substr(colon + 1), &out.port)) {
      return bad("bad port");
    }
  }
  if (host.empty()) return bad("empty host");
  if (out.port <= 0 || out.port > 65535) return bad("port out of range");
  out.host = std::string(host);
  return out;
}

absl::StatusOr<std::string> HttpsGet(absl::string_view url,
                                     const FetchOptions& options) {
  absl::StatusOr<SplitUrl> u = ParseUrl(url);
  if (!u.ok()) return u.status();
  if (u->scheme == "http" &&
      !(options.allow_plain_loopback && IsLoopbackHost(u->host))) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL \"", url,
                     "\": plain http is refused (tokens and keys must come "
                     "over https)"));
  }
  const std::string base =
      absl::StrCat(u->scheme, "://", u->host, ":", u->port);
  httplib::Client client(base);
  const auto seconds = absl::ToInt64Seconds(options.timeout);
  client.set_connection_timeout(seconds, 0);
  client.set_read_timeout(seconds, 0);
  if (u->scheme == "https") {
    client.enable_server_certificate_verification(true);
    if (!options.ca_file.empty())
      client.set_ca_cert_path(options.ca_file.c_str());
  }
  std::string body;
  bool too_big = false;
  httplib::Result r =
      client.Get(u->path, httplib::Headers{{"Accept", "application/json"}},
                 [&](const char* data, size_t n) {
                   if (body.size() + n > options.max_bytes) {
                     too_big = true;
                     return false;
                   }
                   body.append(data, n);
                   return true;
                 });
  if (too_big) {
    return absl::FailedPreconditionError(absl::StrCat(
        url, ": response larger than ", options.max_bytes, " bytes"));
  }
  if (!r) {
    std::string why = httplib::to_string(r.error());
    if (r.error() == httplib::Error::SSLServerVerification) {
      why +=
          " (the server certificate does not chain to the trusted CAs; "
          "see --ca)";
    }
    return absl::UnavailableError(absl::StrCat(url, ": ", why));
  }
  if (r->status != 200) {
    return absl::FailedPreconditionError(
        absl::StrCat(url, ": HTTP ", r->status));
  }
  return body;
}

absl::StatusOr<ProviderJwks> FetchProviderJwks(absl::string_view issuer,
                                               absl::string_view jwks_url,
                                               const FetchOptions& options) {
  ProviderJwks out;
  out.uri = std::string(jwks_url);
  if (out.uri.empty()) {
    const std::string metadata_url = absl::StrCat(
        absl::StripSuffix(issuer, "/"), "/.well-known/openid-configuration");
    absl::StatusOr<std::string> text = HttpsGet(metadata_url, options);
    if (!text.ok()) return text.status();
    const nlohmann::json metadata =
        nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!metadata.is_object() || !metadata.contains("issuer") ||
        !metadata["issuer"].is_string() || !metadata.contains("jwks_uri") ||
        !metadata["jwks_uri"].is_string()) {
      return absl::FailedPreconditionError(
          absl::StrCat(metadata_url,
                       ": not OpenID metadata (want a JSON object with "
                       "string \"issuer\" and \"jwks_uri\")"));
    }
    if (metadata["issuer"].get<std::string>() != issuer) {
      return absl::FailedPreconditionError(absl::StrCat(
          metadata_url, ": metadata names issuer \"",
          metadata["issuer"].get<std::string>(), "\", not \"", issuer, "\""));
    }
    out.uri = metadata["jwks_uri"].get<std::string>();
  }
  absl::StatusOr<std::string> jwks = HttpsGet(out.uri, options);
  if (!jwks.ok()) return jwks.status();
  out.json = *std::move(jwks);
  return out;
}

}  // namespace vigil::http
