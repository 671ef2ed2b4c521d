#include "service/token/compact_jws.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"
#include "service/token/raw_jwt.h"

namespace vigil::token {
namespace {

// A header is a flat object (only "x5c" and "crit" are arrays).
constexpr int kMaxHeaderDepth = 4;
constexpr double kMaxNumericDate = 253402300799.0;  // 9999-12-31T23:59:59Z

absl::Status Invalid(absl::string_view segment, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(segment, ": ", what));
}

// `segment` is "header" / "payload" / "signature" for messages.
absl::StatusOr<std::string> DecodeSegment(absl::string_view name,
                                          absl::string_view segment) {
  absl::StatusOr<std::vector<uint8_t>> bytes = Base64UrlDecode(segment);
  if (!bytes.ok()) return Invalid(name, bytes.status().message());
  return std::string(bytes->begin(), bytes->end());
}

absl::StatusOr<Json> DecodeJsonSegment(absl::string_view name,
                                       absl::string_view segment, int depth) {
  ASSIGN_OR_RETURN(const std::string text, DecodeSegment(name, segment));
  absl::StatusOr<Json> json = ParseJsonObject(text, depth);
  if (!json.ok()) return Invalid(name, json.status().message());
  return json;
}

// A member that must be a string when present.
absl::StatusOr<std::optional<std::string>> OptionalString(
    absl::string_view segment, const Json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  if (!it->is_string()) {
    return Invalid(segment, absl::StrCat("\"", name, "\": not a string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<std::optional<absl::Time>> NumericDate(const Json& claims,
                                                      const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  auto bad = [&] {
    return Invalid(
        "payload",
        absl::StrCat("\"", name, "\": not a NumericDate (RFC 7519 §2)"));
  };
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(kMaxNumericDate)) return bad();
    return absl::FromUnixSeconds(static_cast<int64_t>(v));
  }
  if (it->is_number_integer()) {
    const int64_t v = it->get<int64_t>();
    if (v < 0 || v > static_cast<int64_t>(kMaxNumericDate)) return bad();
    return absl::FromUnixSeconds(v);
  }
  if (it->is_number_float()) {
    const double v = it->get<double>();
    if (!std::isfinite(v) || v < 0 || v > kMaxNumericDate) return bad();
    return absl::FromUnixSeconds(static_cast<int64_t>(std::floor(v)));
  }
  return bad();
}

}  // namespace

absl::StatusOr<CompactJwsSegments> SplitCompactJws(
    absl::string_view token, const JwsLimits& limits,
    JwsEmptySegments allow_empty) {
  if (token.empty()) return Invalid("token", "empty");
  if (token.size() > limits.max_token_size) {
    return Invalid("token", absl::StrCat(token.size(), " bytes, at most ",
                                         limits.max_token_size));
  }
  size_t dots = 0;
  for (char c : token) dots += c == '.';
  if (dots != 2) {
    return Invalid(
        "token",
        absl::StrCat(dots + 1, " segments, want 3 (header.payload.signature",
                     dots == 4 ? "; 5 is a JWE, which is not accepted" : "",
                     ")"));
  }
  const size_t first = token.find('.');
  const size_t second = token.find('.', first + 1);
  CompactJwsSegments s;
  s.header = token.substr(0, first);
  s.payload = token.substr(first + 1, second - first - 1);
  s.signature = token.substr(second + 1);
  s.signing_input = token.substr(0, second);
  const struct {
    absl::string_view name;
    absl::string_view segment;
    bool may_be_empty;
  } named[] = {{"header", s.header, false},
               {"payload", s.payload, allow_empty.payload},
               {"signature", s.signature, allow_empty.signature}};
  for (const auto& [name, segment, may_be_empty] : named) {
    if (segment.empty() && !may_be_empty) {
      return Invalid(
          name, name == "signature"
                    ? "empty (unsecured JWS, RFC 7518 §3.6, is not accepted)"
                    : "empty");
    }
    // RFC 7515 §2: base64url "with all trailing '=' characters omitted".
    if (segment.find('=') != absl::string_view::npos) {
      return Invalid(name, "has '=' padding (RFC 7515 §2 forbids it)");
    }
  }
  if (s.header.size() > limits.max_header_size) {
    return Invalid("header", absl::StrCat(s.header.size(), " bytes, at most ",
                                          limits.max_header_size));
  }
  return s;
}

absl::StatusOr<JwsHeader> DecodeJwsHeader(absl::string_view segment) {
  JwsHeader header;
  ASSIGN_OR_RETURN(header.json,
                   DecodeJsonSegment("header", segment, kMaxHeaderDepth));
  ASSIGN_OR_RETURN(std::optional<std::string> alg,
                   OptionalString("header", header.json, "alg"));
  if (!alg.has_value()) {
    return Invalid("header", "\"alg\" is missing (RFC 7515 §4.1.1)");
  }
  header.alg = *std::move(alg);
  ASSIGN_OR_RETURN(header.kid, OptionalString("header", header.json, "kid"));
  ASSIGN_OR_RETURN(header.typ, OptionalString("header", header.json, "typ"));
  if (auto crit = header.json.find("crit"); crit != header.json.end()) {
    if (!crit->is_array() || crit->empty()) {
      return Invalid("header",
                     "\"crit\": not a non-empty array (RFC 7515 §4.1.11)");
    }
    for (const Json& name : *crit) {
      if (!name.is_string())
        return Invalid("header", "\"crit\": not all strings");
      header.crit.push_back(name.get<std::string>());
    }
  }
  return header;
}

absl::StatusOr<std::string> DecodeJwsSignature(absl::string_view segment) {
  return DecodeSegment("signature", segment);
}

absl::StatusOr<Json> DecodeJwtClaims(absl::string_view segment) {
  return DecodeJsonSegment("payload", segment, kMaxClaimDepth);
}

absl::StatusOr<RegisteredClaims> ReadRegisteredClaims(const Json& claims) {
  RegisteredClaims r;
  ASSIGN_OR_RETURN(r.issuer, OptionalString("payload", claims, "iss"));
  ASSIGN_OR_RETURN(r.subject, OptionalString("payload", claims, "sub"));
  ASSIGN_OR_RETURN(r.jwt_id, OptionalString("payload", claims, "jti"));
  ASSIGN_OR_RETURN(r.expiration, NumericDate(claims, "exp"));
  ASSIGN_OR_RETURN(r.not_before, NumericDate(claims, "nbf"));
  ASSIGN_OR_RETURN(r.issued_at, NumericDate(claims, "iat"));
  if (auto aud = claims.find("aud"); aud != claims.end()) {
    // RFC 7519 §4.1.3: a string or an array of strings.
    if (aud->is_string()) {
      r.audiences.push_back(aud->get<std::string>());
    } else if (aud->is_array()) {
      for (const Json& a : *aud) {
        if (!a.is_string())
          return Invalid("payload", "\"aud\": not all strings");
        r.audiences.push_back(a.get<std::string>());
      }
    } else {
      return Invalid("payload", "\"aud\": not a string or an array of strings");
    }
  }
  return r;
}

absl::StatusOr<UnverifiedJwt> ParseUnverifiedJwt(absl::string_view token,
                                                 const JwsLimits& limits) {
  ASSIGN_OR_RETURN(const CompactJwsSegments segments,
                   SplitCompactJws(token, limits));
  UnverifiedJwt jwt;
  ASSIGN_OR_RETURN(jwt.header, DecodeJwsHeader(segments.header));
  ASSIGN_OR_RETURN(jwt.claims, DecodeJwtClaims(segments.payload));
  ASSIGN_OR_RETURN(jwt.registered, ReadRegisteredClaims(jwt.claims));
  ASSIGN_OR_RETURN(jwt.signature, DecodeJwsSignature(segments.signature));
  return jwt;
}

}  // namespace vigil::token
