// File: tpm/verify/verified_pcrs.h
// -----------------------------------------------------------------------------
// VerifiedPcrs: PCR values that a quote signed by a trusted AK vouches for
// (style.md rule 5). Only QuoteVerifier can construct one, so holding a
// VerifiedPcrs proves that: the signature verified with the AK; the quote is
// TPM-generated (magic) and a TPM_ST_ATTEST_QUOTE; its extraData equalled the
// expected nonce; and the PCR values below hash to its pcrDigest.
//
// Trust: the values are exactly as trusted as the AK the QuoteVerifier was
// built with (the caller established that) and as fresh as the nonce.

#ifndef VIGIL_TPM_VERIFY_VERIFIED_PCRS_H_
#define VIGIL_TPM_VERIFY_VERIFIED_PCRS_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "tpm/types/pcr_bank.h"
#include "tpm/wire/attest_info.h"

namespace vigil::tpm {

class QuoteVerifier;

class VerifiedPcrs {
 public:
  VerifiedPcrs(const VerifiedPcrs&) = default;
  VerifiedPcrs& operator=(const VerifiedPcrs&) = default;
  VerifiedPcrs(VerifiedPcrs&&) = default;
  VerifiedPcrs& operator=(VerifiedPcrs&&) = default;

  // One bank per TPMS_PCR_SELECTION of the quote, in the quote's order,
  // holding exactly the selected PCRs (supplied values the quote did not
  // cover are dropped).
  const std::vector<PcrBank>& banks() const { return banks_; }
  // banks(), moved out for a caller that keeps them (the rest stays; banks()
  // is then empty).
  std::vector<PcrBank> ReleaseBanks() && { return std::move(banks_); }
  // The bank for `alg`, or nullptr when the quote did not cover it.
  const PcrBank* bank(HashAlg alg) const {
    for (const PcrBank& b : banks_) {
      if (b.alg == alg) return &b;
    }
    return nullptr;
  }
  // TPMS_ATTEST.clockInfo and firmwareVersion. Signed by the TPM, so as
  // trusted as the PCRs; note a TPM may obfuscate them for non-endorsement
  // signers (Part 1 §36.7) except `safe`.
  const ClockInfo& clock_info() const { return clock_info_; }
  uint64_t firmware_version() const { return firmware_version_; }
  // The hash of the signing scheme, which is also pcrDigest's algorithm.
  HashAlg digest_alg() const { return digest_alg_; }
  // The AK's Name (Part 1 §16) and the verified nonce (extraData).
  const std::vector<uint8_t>& ak_name() const { return ak_name_; }
  const std::vector<uint8_t>& nonce() const { return nonce_; }

 private:
  friend class QuoteVerifier;
  VerifiedPcrs(std::vector<PcrBank> banks, ClockInfo clock_info,
               uint64_t firmware_version, HashAlg digest_alg,
               std::vector<uint8_t> ak_name, std::vector<uint8_t> nonce)
      : banks_(std::move(banks)),
        clock_info_(clock_info),
        firmware_version_(firmware_version),
        digest_alg_(digest_alg),
        ak_name_(std::move(ak_name)),
        nonce_(std::move(nonce)) {}

  std::vector<PcrBank> banks_;
  ClockInfo clock_info_;
  uint64_t firmware_version_ = 0;
  HashAlg digest_alg_ = HashAlg::kSha256;
  std::vector<uint8_t> ak_name_;
  std::vector<uint8_t> nonce_;
};

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_VERIFY_VERIFIED_PCRS_H_
