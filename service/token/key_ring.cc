#include "service/token/key_ring.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "service/token/jwks.h"

namespace vigil::token {

struct KeyRing::Entry {
  OpenSslJwtSigner signer;
  Json jwk;
};

KeyRing::KeyRing(const Clock& clock, KeyRingOptions options,
                 std::shared_ptr<const Entry> current)
    : clock_(clock),
      options_(std::move(options)),
      current_(std::move(current)) {}

absl::StatusOr<std::shared_ptr<const KeyRing::Entry>> KeyRing::MakeEntry(
    SigningKey key, const JwtSignerOptions& options) {
  ASSIGN_OR_RETURN(Json jwk, PublicJwk(key));
  ASSIGN_OR_RETURN(OpenSslJwtSigner signer,
                   OpenSslJwtSigner::Create(std::move(key), options));
  return std::make_shared<const Entry>(
      Entry{std::move(signer), std::move(jwk)});
}

absl::StatusOr<std::unique_ptr<KeyRing>> KeyRing::Create(
    SigningKey current, const Clock& clock, KeyRingOptions options) {
  if (options.max_token_lifetime <= absl::ZeroDuration() ||
      options.max_token_lifetime > absl::Hours(24 * 366)) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_token_lifetime: got ",
                     absl::FormatDuration(options.max_token_lifetime),
                     ", want > 0 and <= 366 days"));
  }
  if (options.retention_slack < absl::ZeroDuration() ||
      options.retention_slack > absl::Hours(24)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "retention_slack: got ", absl::FormatDuration(options.retention_slack),
        ", want >= 0 and <= 1 day"));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const Entry> entry,
                   MakeEntry(std::move(current), options.signer));
  return std::unique_ptr<KeyRing>(
      new KeyRing(clock, std::move(options), std::move(entry)));
}

absl::StatusOr<std::string> KeyRing::SignAndEncode(const RawJwt& jwt) const {
  std::shared_ptr<const Entry> entry;
  absl::Time now;
  {
    // The clock is read under the lock so that this sign is ordered before
    // or after any Rotate (see the rotation rule in the header).
    absl::ReaderMutexLock lock(&mu_);
    entry = current_;
    now = clock_.Now();
  }
  const absl::Time latest = now + options_.max_token_lifetime;
  if (jwt.expiration() > latest) {
    return absl::InvalidArgumentError(absl::StrCat(
        "exp: ", absl::FormatTime(jwt.expiration()), " is more than ",
        absl::FormatDuration(options_.max_token_lifetime),
        " (the key ring's max_token_lifetime) after now, ",
        absl::FormatTime(now)));
  }
  return entry->signer.SignAndEncode(jwt);
}

absl::Status KeyRing::Rotate(SigningKey next) {
  ASSIGN_OR_RETURN(std::shared_ptr<const Entry> entry,
                   MakeEntry(std::move(next), options_.signer));
  const std::string& kid = entry->signer.key().kid();
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  std::erase_if(retired_, [&](const Retired& r) { return r.drop_at <= now; });
  if (current_->signer.key().kid() == kid ||
      std::any_of(retired_.begin(), retired_.end(), [&](const Retired& r) {
        return r.entry->signer.key().kid() == kid;
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("key \"", kid, "\" is already in the key ring"));
  }
  retired_.insert(retired_.begin(), Retired{std::move(current_),
                                            now + options_.max_token_lifetime +
                                                options_.retention_slack});
  current_ = std::move(entry);
  return absl::OkStatus();
}

std::vector<std::shared_ptr<const KeyRing::Entry>> KeyRing::Published() const {
  std::vector<std::shared_ptr<const Entry>> out;
  absl::ReaderMutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  out.push_back(current_);
  for (const Retired& r : retired_) {
    if (r.drop_at > now) out.push_back(r.entry);
  }
  return out;
}

std::string KeyRing::JwksJson() const {
  std::vector<Json> jwks;
  for (const auto& entry : Published()) jwks.push_back(entry->jwk);
  return RenderJwks(jwks);
}

std::vector<std::string> KeyRing::PublishedKids() const {
  std::vector<std::string> kids;
  for (const auto& entry : Published())
    kids.push_back(entry->signer.key().kid());
  return kids;
}

std::string KeyRing::current_kid() const {
  absl::ReaderMutexLock lock(&mu_);
  return current_->signer.key().kid();
}

}  // namespace vigil::token
