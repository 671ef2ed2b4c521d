#include "tpm/types/pcr_bank.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace vigil::tpm {

namespace {

// Every byte of a PCR's initial value.
uint8_t InitialByte(uint32_t pcr) {
  const bool drtm = pcr >= 17 && pcr <= 22;
  return drtm ? 0xff : 0x00;
}

}  // namespace

Digest InitialPcrValue(HashAlg alg, uint32_t pcr) {
  return Digest(DigestSize(alg), InitialByte(pcr));
}

bool IsInitialPcrValue(HashAlg alg, uint32_t pcr, const Digest& value) {
  if (value.size() != DigestSize(alg)) return false;
  const uint8_t fill = InitialByte(pcr);
  for (uint8_t byte : value) {
    if (byte != fill) return false;
  }
  return true;
}

absl::Status ValidatePcrBank(const PcrBank& bank) {
  for (const auto& [index, value] : bank.values) {
    if (index >= kNumPcrs) {
      return absl::InvalidArgumentError(absl::StrCat(
          HashAlgName(bank.alg), " pcr ", index, ": index out of range 0..23"));
    }
    if (value.size() != DigestSize(bank.alg)) {
      return absl::InvalidArgumentError(absl::StrCat(
          HashAlgName(bank.alg), " pcr ", index, ": value has ", value.size(),
          " bytes, want ", DigestSize(bank.alg)));
    }
  }
  return absl::OkStatus();
}

}  // namespace vigil::tpm
