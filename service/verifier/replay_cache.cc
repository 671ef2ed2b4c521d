#include "service/verifier/replay_cache.h"

#include <cstdint>

#include "eventlog/replay.h"
#include "tpm/types/hash_alg.h"

namespace vigil::service {

ValueKeyedBanks::ValueKeyedBanks(const eventlog::EventLog& log)
    : from_log_(true) {
  masks_.reserve(log.algorithms.size());
  for (tpm::HashAlg alg : log.algorithms) {
    masks_.emplace_back(alg, eventlog::ValueKeyedPcrs(log, alg));
  }
}

size_t VerdictCharge(const CachedReplay& verdict) {
  size_t bytes = kVerdictCharge + verdict.log_digest.capacity() +
                 verdict.pcrs_key.capacity() + verdict.keyed.HeapBytes() +
                 verdict.findings.capacity() * sizeof(Reason);
  for (const Reason& r : verdict.findings) bytes += ReasonHeapBytes(r);
  return bytes;
}

namespace {

// PcrValuesKey (keyed == nullptr: every value) and ReplayKey.
std::string KeyOf(const std::vector<tpm::PcrBank>& banks,
                  const ValueKeyedBanks* keyed) {
  std::vector<uint8_t> text;
  text.reserve(banks.size() * (3 + tpm::kNumPcrs * 34));
  for (const tpm::PcrBank& b : banks) {
    const auto alg = static_cast<uint16_t>(b.alg);
    text.push_back(static_cast<uint8_t>(alg >> 8));
    text.push_back(static_cast<uint8_t>(alg));
    text.push_back(static_cast<uint8_t>(b.values.size()));
    const uint32_t by_value = keyed == nullptr ? ~0u : keyed->For(b.alg);
    for (const auto& [pcr, value] : b.values) {  // ordered by index
      text.push_back(static_cast<uint8_t>(pcr));
      if (by_value & (1u << pcr)) {
        text.push_back(static_cast<uint8_t>(value.size()));
        text.insert(text.end(), value.begin(), value.end());
      } else {
        // Length 0 (no digest has it), then initial or moved.
        text.push_back(0);
        text.push_back(tpm::IsInitialPcrValue(b.alg, pcr, value) ? 1 : 2);
      }
    }
  }
  absl::StatusOr<tpm::Digest> d = tpm::Hash(tpm::HashAlg::kSha256, text);
  // SHA-256 only fails with a broken OpenSSL; the text itself is then the
  // key (as exact; it could equal a digest key only by a SHA-256 preimage).
  if (!d.ok()) return std::string(text.begin(), text.end());
  return std::string(d->begin(), d->end());
}

}  // namespace

std::string PcrValuesKey(const std::vector<tpm::PcrBank>& banks) {
  return KeyOf(banks, nullptr);
}

std::string ReplayKey(const std::vector<tpm::PcrBank>& banks,
                      const ValueKeyedBanks& keyed) {
  return KeyOf(banks, &keyed);
}

}  // namespace vigil::service
