#include "service/token/jwt_verifier.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace vigil::token {
namespace {

absl::Status Refused(absl::string_view segment, absl::string_view what) {
  return absl::UnauthenticatedError(absl::StrCat(segment, ": ", what));
}

std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", t, absl::UTCTimeZone());
}

std::string Quoted(absl::string_view s) {
  return DumpJson(Json(std::string(s)));
}

}  // namespace

absl::Status JwtVerifier::CheckHeader(const JwsHeader& header,
                                      std::optional<JwsAlgorithm>* alg) const {
  if (absl::EqualsIgnoreCase(header.alg, "none")) {
    return Refused("header",
                   absl::StrCat("alg ", Quoted(header.alg),
                                " (unsecured JWS) is never accepted"));
  }
  *alg = JwsAlgorithmFromName(header.alg);
  if (!alg->has_value() || std::find(algorithms_.begin(), algorithms_.end(),
                                     **alg) == algorithms_.end()) {
    std::vector<std::string> allowed;
    for (JwsAlgorithm a : algorithms_)
      allowed.emplace_back(JwsAlgorithmName(a));
    return Refused("header", absl::StrCat("alg ", Quoted(header.alg),
                                          " is not allowed (allowed: ",
                                          absl::StrJoin(allowed, ", "), ")"));
  }
  if (!header.crit.empty()) {
    return Refused("header",
                   absl::StrCat("\"crit\" lists extensions this verifier "
                                "does not understand: ",
                                absl::StrJoin(header.crit, ", ")));
  }
  if (header.typ.has_value()) {
    // RFC 7515 §4.1.9: compared case-insensitively, "application/" optional.
    absl::string_view typ = *header.typ;
    if (absl::StartsWithIgnoreCase(typ, "application/")) typ.remove_prefix(12);
    if (!absl::EqualsIgnoreCase(typ, "JWT")) {
      return Refused("header", absl::StrCat("typ ", Quoted(*header.typ),
                                            " is not \"JWT\""));
    }
  }
  if (!header.kid.has_value()) {
    return Refused("header", "\"kid\" is missing; keys are chosen by kid only");
  }
  return absl::OkStatus();
}

absl::Status JwtVerifier::CheckClaims(const RegisteredClaims& claims) const {
  const absl::Time now = clock_->Now();
  const std::string when = absl::StrCat("now ", Time(now), ", clock skew ",
                                        absl::FormatDuration(clock_skew_));
  if (!claims.expiration.has_value()) {
    return Refused("payload", "\"exp\" is missing");
  }
  if (now - clock_skew_ >= *claims.expiration) {
    return Refused("payload",
                   absl::StrCat("token expired at ", Time(*claims.expiration),
                                " (", when, ")"));
  }
  if (claims.not_before.has_value() && now + clock_skew_ < *claims.not_before) {
    return Refused("payload",
                   absl::StrCat("token not valid before ",
                                Time(*claims.not_before), " (", when, ")"));
  }
  if (claims.issued_at.has_value() && *claims.issued_at > now + clock_skew_) {
    return Refused("payload", absl::StrCat("\"iat\" ", Time(*claims.issued_at),
                                           " is in the future (", when, ")"));
  }
  if (!claims.issuer.has_value())
    return Refused("payload", "\"iss\" is missing");
  if (*claims.issuer != issuer_) {
    return Refused("payload",
                   absl::StrCat("issuer ", Quoted(*claims.issuer),
                                " is not the expected ", Quoted(issuer_)));
  }
  if (!audience_.has_value() && !claims.audiences.empty()) {
    return Refused("payload",
                   "token has \"aud\" but this verifier expects no "
                   "audience (RFC 7519 §4.1.3)");
  }
  if (audience_.has_value() &&
      std::find(claims.audiences.begin(), claims.audiences.end(), *audience_) ==
          claims.audiences.end()) {
    return Refused("payload", absl::StrCat("\"aud\" does not contain ",
                                           Quoted(*audience_)));
  }
  return absl::OkStatus();
}

absl::StatusOr<VerifiedJwt> JwtVerifier::Verify(absl::string_view token) const {
  ASSIGN_OR_RETURN(const CompactJwsSegments segments,
                   SplitCompactJws(token, limits_));
  ASSIGN_OR_RETURN(const JwsHeader header, DecodeJwsHeader(segments.header));
  std::optional<JwsAlgorithm> alg;
  RETURN_IF_ERROR(CheckHeader(header, &alg));
  const VerificationKey* key = jwks_.Find(*header.kid);
  if (key == nullptr) {
    std::vector<std::string> kids;
    for (const VerificationKey& k : jwks_.keys()) kids.push_back(k.kid());
    return Refused("header", absl::StrCat("kid ", Quoted(*header.kid),
                                          " is not in the JWKS (keys: ",
                                          absl::StrJoin(kids, ", "), ")"));
  }
  ASSIGN_OR_RETURN(const std::string signature,
                   DecodeJwsSignature(segments.signature));
  RETURN_IF_ERROR(key->Verify(*alg, segments.signing_input, signature));
  ASSIGN_OR_RETURN(Json claims, DecodeJwtClaims(segments.payload));
  ASSIGN_OR_RETURN(RegisteredClaims registered, ReadRegisteredClaims(claims));
  RETURN_IF_ERROR(CheckClaims(registered));
  return VerifiedJwt(std::move(claims), std::move(registered), *alg,
                     key->kid());
}

JwtVerifierBuilder& JwtVerifierBuilder::SetJwks(Jwks jwks) {
  jwks_ = std::move(jwks);
  return *this;
}
JwtVerifierBuilder& JwtVerifierBuilder::ExpectIssuer(absl::string_view issuer) {
  issuer_ = std::string(issuer);
  return *this;
}
JwtVerifierBuilder& JwtVerifierBuilder::ExpectAudience(
    absl::string_view audience) {
  audience_ = std::string(audience);
  return *this;
}
JwtVerifierBuilder& JwtVerifierBuilder::AllowAlgorithms(
    std::vector<JwsAlgorithm> algorithms) {
  algorithms_ = std::move(algorithms);
  return *this;
}
JwtVerifierBuilder& JwtVerifierBuilder::SetClockSkew(absl::Duration skew) {
  clock_skew_ = skew;
  return *this;
}
JwtVerifierBuilder& JwtVerifierBuilder::SetClock(const Clock& clock) {
  clock_ = &clock;
  return *this;
}
JwtVerifierBuilder& JwtVerifierBuilder::SetLimits(const JwsLimits& limits) {
  limits_ = limits;
  return *this;
}

absl::StatusOr<JwtVerifier> JwtVerifierBuilder::Build() const {
  if (!jwks_.has_value()) return absl::InvalidArgumentError("jwks: not set");
  if (jwks_->keys().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "jwks: no usable key (", absl::StrJoin(jwks_->skipped(), "; "), ")"));
  }
  if (!issuer_.has_value() || issuer_->empty()) {
    return absl::InvalidArgumentError("issuer: not set");
  }
  if (audience_.has_value() && audience_->empty()) {
    return absl::InvalidArgumentError("audience: empty");
  }
  if (algorithms_.empty())
    return absl::InvalidArgumentError("algorithms: empty");
  if (clock_skew_ < absl::ZeroDuration() || clock_skew_ > absl::Minutes(10)) {
    return absl::InvalidArgumentError(
        absl::StrCat("clock skew: got ", absl::FormatDuration(clock_skew_),
                     ", want 0 to 10m"));
  }
  if (limits_.max_token_size == 0 || limits_.max_header_size == 0 ||
      limits_.max_token_size > (16u << 20)) {
    return absl::InvalidArgumentError(
        "limits: sizes must be positive and max_token_size at most 16 MiB");
  }
  JwtVerifier v;
  v.jwks_ = *jwks_;
  v.issuer_ = *issuer_;
  v.audience_ = audience_;
  v.algorithms_ = algorithms_;
  v.clock_skew_ = clock_skew_;
  v.clock_ = clock_;
  v.limits_ = limits_;
  return v;
}

}  // namespace vigil::token
