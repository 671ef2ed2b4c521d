// File: tpm/device/pcrs.h
// -----------------------------------------------------------------------------
// PCR read (TPM2_PCR_Read, Part 3 §22.4) and extend (TPM2_PCR_Extend,
// Part 3 §22.2). Values read here are what the TPM reports over an
// unauthenticated channel: fine for the agent's own use, never proof for a
// verifier (only a quote is; tpm/verify).

#ifndef VIGIL_TPM_DEVICE_PCRS_H_
#define VIGIL_TPM_DEVICE_PCRS_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tpm/device/esys_context.h"
#include "tpm/types/pcr_bank.h"
#include "tss2/tss2_tpm2_types.h"

namespace vigil::tpm {

// Every PCR index 0..23.
std::vector<uint32_t> AllPcrs();

struct PcrReadResult {
  std::vector<PcrBank> banks;
  // pcrUpdateCounter of the last TPM2_PCR_Read; it changes on every extend
  // (Part 2 §22.4), so equal counters around a quote prove the values match.
  uint32_t update_counter = 0;
};

// ReadPcrs(ctx, banks, pcrs): the values of `pcrs` in each bank of `banks`
// (empty = every allocated bank). One TPM2_PCR_Read returns at most 8 digests
// (TPML_DIGEST), so this loops until the TPM has returned every PCR; if the
// update counter changes between calls it starts over (at most 3 times,
// then kUnavailable: someone keeps extending).
// Fails with kInvalidArgument for a PCR index >= 24 or a bank the TPM has not
// allocated, and as tss_status.h otherwise.
absl::StatusOr<PcrReadResult> ReadPcrs(const EsysContext& ctx,
                                       absl::Span<const HashAlg> banks = {},
                                       absl::Span<const uint32_t> pcrs = {});

// ExtendPcr(ctx, pcr, digests): one TPM2_PCR_Extend with one digest per bank
// (each must have that bank's digest size). Banks not listed are left alone.
// PCRs 17-22 accept extends only at some localities (PC Client PTP Table 4);
// the caller sets the locality (EsysContext::SetLocality).
// Fails with kInvalidArgument on a bad index/size, as tss_status.h otherwise.
absl::Status ExtendPcr(const EsysContext& ctx, uint32_t pcr,
                       absl::Span<const std::pair<HashAlg, Digest>> digests);

namespace internal {
// Builds a TPML_PCR_SELECTION selecting `pcrs` in each of `banks`.
// Caller guarantees banks.size() <= TPM2_NUM_PCR_BANKS and pcrs < 24.
TPML_PCR_SELECTION MakeSelection(absl::Span<const HashAlg> banks,
                                 absl::Span<const uint32_t> pcrs);
}  // namespace internal

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_DEVICE_PCRS_H_
