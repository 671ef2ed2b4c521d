#include "service/token/raw_jwt.h"

#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace vigil::token {
namespace {

// 9999-12-31T23:59:59Z: beyond it NumericDates stop being dates anyone
// means, and absl::Time arithmetic stays far from infinity.
constexpr int64_t kMaxNumericDate = 253402300799;

absl::StatusOr<int64_t> NumericDate(absl::string_view claim, absl::Time t) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  if (t < absl::UnixEpoch() || seconds > kMaxNumericDate) {
    return absl::InvalidArgumentError(absl::StrCat(claim, ": out of range"));
  }
  return seconds;
}

bool IsStringOrStrings(const Json& v) {
  if (v.is_string()) return true;
  if (!v.is_array() || v.empty()) return false;
  for (const Json& e : v) {
    if (!e.is_string()) return false;
  }
  return true;
}

}  // namespace

RawJwtBuilder& RawJwtBuilder::SetIssuer(absl::string_view issuer) {
  issuer_ = std::string(issuer);
  return *this;
}
RawJwtBuilder& RawJwtBuilder::SetExpiration(absl::Time exp) {
  expiration_ = exp;
  return *this;
}
RawJwtBuilder& RawJwtBuilder::SetNotBefore(absl::Time nbf) {
  not_before_ = nbf;
  return *this;
}
RawJwtBuilder& RawJwtBuilder::SetIssuedAt(absl::Time iat) {
  issued_at_ = iat;
  return *this;
}
RawJwtBuilder& RawJwtBuilder::SetJwtId(absl::string_view jti) {
  jwt_id_ = std::string(jti);
  return *this;
}
RawJwtBuilder& RawJwtBuilder::AddClaim(absl::string_view name, Json value) {
  claims_.emplace_back(std::string(name), std::move(value));
  return *this;
}

absl::StatusOr<RawJwt> RawJwtBuilder::Build() const& {
  return RawJwtBuilder(*this).Build();
}

absl::StatusOr<RawJwt> RawJwtBuilder::Build() && {
  if (!issuer_.has_value()) return absl::InvalidArgumentError("iss: missing");
  if (issuer_->empty()) return absl::InvalidArgumentError("iss: empty");
  if (!expiration_.has_value())
    return absl::InvalidArgumentError("exp: missing");

  RawJwt jwt;
  jwt.issuer_ = *issuer_;
  jwt.claims_ = Json::object();
  jwt.claims_["iss"] = *issuer_;
  // Whole seconds, so that the accessors agree with the encoded claims.
  auto set_time = [&](absl::string_view name,
                      absl::Time t) -> absl::StatusOr<absl::Time> {
    ASSIGN_OR_RETURN(const int64_t seconds, NumericDate(name, t));
    jwt.claims_[std::string(name)] = seconds;
    return absl::FromUnixSeconds(seconds);
  };
  if (issued_at_.has_value()) {
    ASSIGN_OR_RETURN(jwt.issued_at_, set_time("iat", *issued_at_));
  }
  if (not_before_.has_value()) {
    ASSIGN_OR_RETURN(jwt.not_before_, set_time("nbf", *not_before_));
  }
  ASSIGN_OR_RETURN(jwt.expiration_, set_time("exp", *expiration_));
  if (jwt.not_before_.has_value() && jwt.expiration_ <= *jwt.not_before_) {
    return absl::InvalidArgumentError("exp: not after nbf");
  }
  if (jwt.issued_at_.has_value() && jwt.expiration_ <= *jwt.issued_at_) {
    return absl::InvalidArgumentError("exp: not after iat");
  }
  if (jwt_id_.has_value()) {
    jwt.jwt_id_ = *jwt_id_;
    jwt.claims_["jti"] = *jwt_id_;
  }

  absl::flat_hash_set<absl::string_view> seen;
  for (auto& [name, value] : claims_) {
    if (name == "iss" || name == "exp" || name == "nbf" || name == "iat" ||
        name == "jti") {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": registered claim, use its setter"));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": added twice"));
    }
    if (name == "aud" && !IsStringOrStrings(value)) {
      // RFC 7519 §4.1.3; the verifier would refuse anything else.
      return absl::InvalidArgumentError("aud: want a string or strings");
    }
    if (name == "sub" && !value.is_string()) {
      return absl::InvalidArgumentError("sub: want a string");
    }
    jwt.claims_[name] = std::move(value);
  }
  RETURN_IF_ERROR(ValidateJsonForSigning(jwt.claims_, kMaxClaimDepth));
  jwt.payload_ = DumpJson(jwt.claims_);
  return jwt;
}

}  // namespace vigil::token
