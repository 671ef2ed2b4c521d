#include "service/verifier/nonce_issuer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"

namespace vigil::service {
namespace {

constexpr absl::string_view kLabel = "vigil nonce v1";
constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderSize = 1 + 8 + 16;
static_assert(kHeaderSize - 1 == 24, "Key: issued_at + random");
constexpr size_t kTagSize = NonceIssuer::kNonceSize - kHeaderSize;
// Clocks of replicas differ a little; a nonce "from the future" by less
// than this is accepted.
constexpr absl::Duration kClockSkew = absl::Seconds(30);

}  // namespace

absl::StatusOr<IssuedNonce> NonceIssuer::Issue(
    absl::string_view device_id) const {
  const absl::Time now = clock_->Now();
  std::vector<uint8_t> n(kNonceSize);
  n[0] = kVersion;
  const uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(now));
  for (int i = 0; i < 8; ++i)
    n[1 + i] = static_cast<uint8_t>(ms >> (56 - 8 * i));
  RETURN_IF_ERROR(rng_->Fill(absl::MakeSpan(n.data() + 9, 16)));
  ASSIGN_OR_RETURN(
      auto tag,
      key_->Mac(kLabel, {AsBytes(device_id),
                         absl::MakeConstSpan(n.data(), kHeaderSize)}));
  std::copy(tag.begin(), tag.begin() + kTagSize, n.begin() + kHeaderSize);
  return IssuedNonce{std::move(n), now + lifetime_};
}

absl::Status NonceIssuer::CheckMac(absl::Span<const uint8_t> nonce,
                                   absl::string_view device_id) const {
  if (nonce.size() != kNonceSize || nonce[0] != kVersion) {
    return absl::UnauthenticatedError(
        absl::StrCat("nonce: malformed (", nonce.size(), " bytes)"));
  }
  ASSIGN_OR_RETURN(
      auto tag,
      key_->Mac(kLabel, {AsBytes(device_id), nonce.subspan(0, kHeaderSize)}));
  if (!ConstantTimeEquals(absl::MakeConstSpan(tag.data(), kTagSize),
                          nonce.subspan(kHeaderSize))) {
    return absl::UnauthenticatedError(
        "nonce: not issued by this verifier or issued for another device");
  }
  return absl::OkStatus();
}

absl::Status NonceIssuer::Consume(absl::Span<const uint8_t> nonce,
                                  absl::string_view device_id) {
  RETURN_IF_ERROR(CheckMac(nonce, device_id));
  uint64_t ms = 0;
  for (int i = 0; i < 8; ++i) ms = (ms << 8) | nonce[1 + i];
  const absl::Time issued = absl::FromUnixMillis(static_cast<int64_t>(ms));
  const absl::Time expires = issued + lifetime_;
  const absl::Time now = clock_->Now();
  if (issued > now + kClockSkew) {
    return absl::UnauthenticatedError("nonce: issued in the future");
  }
  if (now > expires) {
    return absl::UnauthenticatedError(absl::StrCat(
        "nonce: expired ",
        absl::FormatDuration(absl::Trunc(now - expires, absl::Seconds(1))),
        " ago (lifetime ", absl::FormatDuration(lifetime_), ")"));
  }
  Key k;
  std::copy(nonce.begin() + 1, nonce.begin() + kHeaderSize, k.begin());
  const int64_t second = absl::ToUnixSeconds(expires);  // rounds down
  // Declared before the lock: the forgotten sets are freed after it is
  // released (a large free may unmap memory).
  std::vector<Bucket> dropped;
  absl::MutexLock lock(&mu_);
  PruneLocked(now, dropped);
  auto it = used_.find(second);
  if (it != used_.end() && it->second.contains(k)) {
    return absl::UnauthenticatedError("nonce: already used");
  }
  if (remembered_ >= max_remembered_) {
    return absl::ResourceExhaustedError(
        "nonce: too many outstanding attestations; retry later");
  }
  if (it == used_.end()) {
    it = used_.try_emplace(second).first;
    it->second.reserve(last_bucket_size_);
  }
  it->second.insert(k);
  ++remembered_;
  return absl::OkStatus();
}

size_t NonceIssuer::RememberedFor(unsigned cores, absl::Duration lifetime) {
  const double seconds = absl::ToDoubleSeconds(lifetime);
  const double wanted =
      std::max(1u, cores) * static_cast<double>(kRatePerCore) * seconds;
  if (!(wanted > kMinRemembered)) return kMinRemembered;  // also NaN
  // 2^40 nonces would be ~64 TB: no machine gets there.
  return static_cast<size_t>(std::min(wanted, 1099511627776.0));
}

size_t NonceIssuer::remembered() const {
  absl::MutexLock lock(&mu_);
  return remembered_;
}

void NonceIssuer::PruneLocked(absl::Time now, std::vector<Bucket>& dropped) {
  // The set for second S holds nonces expiring in [S, S + 1): all expired
  // (now > expires) once now >= S + 1.
  while (!used_.empty() &&
         now >= absl::FromUnixSeconds(used_.begin()->first + 1)) {
    Bucket& b = used_.begin()->second;
    remembered_ -= b.size();
    last_bucket_size_ = b.size();
    dropped.push_back(std::move(b));
    used_.erase(used_.begin());
  }
}

}  // namespace vigil::service
