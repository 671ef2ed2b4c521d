#include "service/verifier/replay_cache.h"

#include <cstdint>

#include "tpm/types/hash_alg.h"

namespace vigil::service {

size_t VerdictCharge(const CachedReplay& verdict) {
  size_t bytes = kVerdictCharge + verdict.log_digest.capacity() +
                 verdict.pcrs_key.capacity() +
                 verdict.findings.capacity() * sizeof(Reason);
  for (const Reason& r : verdict.findings) bytes += ReasonHeapBytes(r);
  return bytes;
}

std::string PcrValuesKey(const std::vector<tpm::PcrBank>& banks) {
  std::vector<uint8_t> text;
  for (const tpm::PcrBank& b : banks) {
    const auto alg = static_cast<uint16_t>(b.alg);
    text.push_back(static_cast<uint8_t>(alg >> 8));
    text.push_back(static_cast<uint8_t>(alg));
    text.push_back(static_cast<uint8_t>(b.values.size()));
    for (const auto& [pcr, value] : b.values) {  // ordered by index
      text.push_back(static_cast<uint8_t>(pcr));
      text.push_back(static_cast<uint8_t>(value.size()));
      text.insert(text.end(), value.begin(), value.end());
    }
  }
  absl::StatusOr<tpm::Digest> d = tpm::Hash(tpm::HashAlg::kSha256, text);
  // SHA-256 only fails with a broken OpenSSL; the text itself is then the
  // key (as exact; it could equal a digest key only by a SHA-256 preimage).
  if (!d.ok()) return std::string(text.begin(), text.end());
  return std::string(d->begin(), d->end());
}

}  // namespace vigil::service
