// File: tpm/types/pcr_bank.h
// -----------------------------------------------------------------------------
// PCR values of one bank. A PcrBank says nothing about trust: values may come
// from a verified quote, from a file an operator supplied, or from an
// attacker. Code that needs verified values takes a type that only the quote
// verifier can construct (tpm/verify); eventlog replay takes a PcrBank and
// documents that the caller must have verified it (style.md Part 3).

#ifndef VIGIL_TPM_TYPES_PCR_BANK_H_
#define VIGIL_TPM_TYPES_PCR_BANK_H_

#include <cstdint>
#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "tpm/types/hash_alg.h"

namespace vigil::tpm {

// PC Client platforms have 24 PCRs (TCG PC Client PTP §4.6.1).
inline constexpr uint32_t kNumPcrs = 24;

// The value a PCR holds after TPM2_Startup(CLEAR) at locality 0: zeros,
// except PCRs 17-22 (DRTM), which reset to all 0xFF (PC Client PTP Table 4).
Digest InitialPcrValue(HashAlg alg, uint32_t pcr);
// Whether `value` is InitialPcrValue(alg, pcr), without making it (once per
// quoted PCR on the verifier's hot path).
bool IsInitialPcrValue(HashAlg alg, uint32_t pcr, const Digest& value);

struct PcrBank {
  HashAlg alg = HashAlg::kSha256;
  // PCR index -> value. Only the PCRs present were supplied.
  std::map<uint32_t, Digest> values;
};

// Checks that every index is < kNumPcrs and every value has the bank's digest
// size. Fails with kInvalidArgument naming the PCR.
absl::Status ValidatePcrBank(const PcrBank& bank);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_TYPES_PCR_BANK_H_
