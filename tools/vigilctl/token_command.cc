#include "tools/vigilctl/token_command.h"

#include <iostream>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "service/http/https_fetch.h"
#include "service/token/jwks.h"
#include "service/token/jwt_verifier.h"
#include "tools/vigilctl/args.h"
#include "tools/vigilctl/eventlog_command.h"
#include "tools/vigilctl/output.h"

namespace vigil::vigilctl {
namespace {

constexpr char kUsage[] =
    "usage: vigilctl token verify TOKEN|@FILE|- --issuer URL [--ca PEM]\n"
    "                [--audience AUD] [--skew DURATION] [--format json|yaml]\n"
    "  Fetches URL/.well-known/openid-configuration and its jwks_uri over\n"
    "  HTTPS (--ca: the CA bundle to trust instead of the system's), then\n"
    "  verifies the token's signature, exp/nbf (clock skew, default 5m),\n"
    "  issuer and audience, and prints its claims.\n"
    "  exit: 0 valid, 2 usage, 3 token refused, 69 issuer unreachable\n";

// TOKEN, @FILE or - (stdin), whitespace trimmed.
std::optional<std::string> ReadToken(const std::string& arg) {
  if (arg != "-" && !absl::StartsWith(arg, "@")) {
    return std::string(absl::StripAsciiWhitespace(arg));
  }
  absl::StatusOr<std::string> text =
      ReadInputFile(arg == "-" ? arg : arg.substr(1));
  if (!text.ok()) return std::nullopt;
  return std::string(absl::StripAsciiWhitespace(*text));
}

int RunVerify(const ParsedArgs& args) {
  if (args.positional.size() != 1 || !args.Value("issuer").has_value()) {
    std::cerr << kUsage;
    return kExitBadInput;
  }
  std::optional<std::string> token = ReadToken(args.positional[0]);
  if (!token.has_value()) {
    return FailWith(kExitBadInput, absl::StrCat(args.positional[0].substr(1),
                                                ": cannot read"));
  }
  const std::string issuer = *args.Value("issuer");
  absl::Duration skew = absl::Minutes(5);
  if (std::optional<std::string> s = args.Value("skew")) {
    if (!absl::ParseDuration(*s, &skew)) {
      return FailWith(kExitBadInput,
                      absl::StrCat("--skew: want a duration such as 30s or 5m, "
                                   "got \"",
                                   *s, "\""));
    }
  }
  const std::string format = args.Value("format").value_or("yaml");
  if (format != "json" && format != "yaml") {
    return FailWith(kExitBadInput, "--format: want json or yaml");
  }
  http::FetchOptions fetch;
  fetch.ca_file = args.Value("ca").value_or("");

  // OpenID Connect Discovery 1.0 §4: metadata at ISSUER/.well-known/...,
  // whose "issuer" must be exactly the issuer asked for (§4.3).
  absl::StatusOr<http::ProviderJwks> keys =
      http::FetchProviderJwks(issuer, "", fetch);
  if (!keys.ok()) {
    return FailWith(keys.status().code() == absl::StatusCode::kInvalidArgument
                        ? kExitBadInput
                        : kExitUnavailable,
                    keys.status().message());
  }
  absl::StatusOr<token::Jwks> jwks = token::Jwks::Parse(keys->json);
  if (!jwks.ok()) {
    return FailWith(kExitUnavailable,
                    absl::StrCat(keys->uri, ": ", jwks.status().message()));
  }

  token::JwtVerifierBuilder builder;
  builder.SetJwks(*std::move(jwks)).ExpectIssuer(issuer).SetClockSkew(skew);
  if (std::optional<std::string> aud = args.Value("audience")) {
    builder.ExpectAudience(*aud);
  }
  absl::StatusOr<token::JwtVerifier> verifier = builder.Build();
  if (!verifier.ok()) {
    // Only the JWKS (no usable key) or --skew can be wrong here.
    return FailWith(verifier.status().message().rfind("jwks", 0) == 0
                        ? kExitUnavailable
                        : kExitBadInput,
                    verifier.status().message());
  }
  absl::StatusOr<token::VerifiedJwt> verified = verifier->Verify(*token);
  if (!verified.ok()) {
    return FailWith(kExitRefused, absl::StrCat("token refused: ",
                                               verified.status().message()));
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["valid"] = true;
  out["issuer"] = issuer;
  out["kid"] = verified->kid();
  out["alg"] = std::string(token::JwsAlgorithmName(verified->algorithm()));
  out["expires"] = absl::FormatTime(absl::RFC3339_sec, verified->expiration(),
                                    absl::UTCTimeZone());
  out["claims"] = nlohmann::ordered_json::parse(verified->claims().dump());
  std::cout << (format == "json" ? ToJson(out) : ToYaml(out));
  return kExitOk;
}

}  // namespace

int RunTokenCommand(const std::vector<std::string>& args) {
  static const Subcommand kSubcommands[] = {
      {"verify", {"issuer", "ca", "audience", "skew", "format"}, {}, RunVerify},
  };
  return RunSubcommand("token", kUsage, kSubcommands, args);
}

}  // namespace vigil::vigilctl
