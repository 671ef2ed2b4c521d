// File: tpm/wire/attest_info.h
// -----------------------------------------------------------------------------
// TPMS_ATTEST (TPM 2.0 Part 2 §10.12.12) and TPM2B_ATTEST (§10.12.13): the
// structure a TPM signs in TPM2_Quote, TPM2_CertifyCreation and the other
// attestation commands. Pure: tss2-mu only.
//
// Trust: everything in an AttestInfo is UNTRUSTED until tpm/verify has checked
// the signature over the exact bytes it was parsed from with a trusted AK, and
// has then checked magic, type and extraData. Code outside tpm/verify should
// not act on it.

#ifndef VIGIL_TPM_WIRE_ATTEST_INFO_H_
#define VIGIL_TPM_WIRE_ATTEST_INFO_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tpm/types/hash_alg.h"

namespace vigil::tpm {

// TPM_GENERATED_VALUE (Part 2 §6.2): "\xffTCG", the prefix a TPM puts on every
// structure it signs and refuses to sign for external data.
inline constexpr uint32_t kTpmGeneratedValue = 0xff544347;
// TPM_ST values of TPMI_ST_ATTEST (Part 2 §6.9).
inline constexpr uint16_t kTpmStAttestCertify = 0x8017;
inline constexpr uint16_t kTpmStAttestQuote = 0x8018;
inline constexpr uint16_t kTpmStAttestCreation = 0x801A;

// TPMS_CLOCK_INFO (Part 2 §10.11.1).
struct ClockInfo {
  uint64_t clock = 0;          // ms the TPM has been powered since last clear
  uint32_t reset_count = 0;    // TPM2_Startup(CLEAR)s / resets since clear
  uint32_t restart_count = 0;  // TPM2_Startup(STATE) since the last reset
  bool safe = false;           // clock has not gone backwards
};

// One TPMS_PCR_SELECTION, decoded: the bank and its selected PCR indices in
// ascending order (the order the TPM concatenates them, Part 1 §17.6.2).
struct PcrSelection {
  HashAlg alg = HashAlg::kSha256;
  std::vector<uint32_t> pcrs;
};

// A parsed TPMS_ATTEST. Untrusted (see the file comment).
struct AttestInfo {
  uint32_t magic = 0;                      // TPM_GENERATED
  uint16_t type = 0;                       // TPMI_ST_ATTEST
  std::vector<uint8_t> qualified_signer;   // TPM2B_NAME
  std::vector<uint8_t> extra_data;         // TPM2B_DATA (the nonce)
  ClockInfo clock_info;
  uint64_t firmware_version = 0;
  // type == TPM_ST_ATTEST_QUOTE: TPMS_QUOTE_INFO (Part 2 §10.12.1), with the
  // TPML_PCR_SELECTION in the order the TPM listed the banks.
  std::vector<PcrSelection> pcr_selections;
  std::vector<uint8_t> pcr_digest;
  // type == TPM_ST_ATTEST_CREATION: TPMS_CREATION_INFO (Part 2 §10.12.6).
  std::vector<uint8_t> creation_object_name;
  std::vector<uint8_t> creation_hash;
};

// Parses a marshalled TPMS_ATTEST (what `tpm2_quote -m` writes; the bytes the
// signature covers). Every attestation type is accepted; only QUOTE and
// CREATION bodies are decoded into the fields above.
// Fails with kInvalidArgument naming the field and offset on: empty or
// oversized (> 4096 bytes) input, truncation, trailing bytes, a TPM2B or TPML
// size over its maximum, an unknown attestation type, clockInfo.safe not 0/1,
// a PCR selection with an unknown hash, sizeofSelect over 4, a PCR index >=
// 24, or the same bank listed twice. magic is NOT checked here (tpm/verify
// does, after the signature).
absl::StatusOr<AttestInfo> ParseAttest(absl::Span<const uint8_t> tpms_attest);

// Returns the TPMS_ATTEST bytes inside a marshalled TPM2B_ATTEST (what ESYS
// returns from Esys_Quote), as a view into `tpm2b_attest`. Fails with
// kInvalidArgument when the size field disagrees with the input length.
absl::StatusOr<absl::Span<const uint8_t>> UnwrapTpm2bAttest(
    absl::Span<const uint8_t> tpm2b_attest);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_WIRE_ATTEST_INFO_H_
