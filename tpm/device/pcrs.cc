#include "tpm/device/pcrs.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "tpm/device/esys_ptr.h"
#include "tpm/device/tpm_info.h"
#include "tpm/device/tss_status.h"

namespace vigil::tpm {
namespace internal {

TPML_PCR_SELECTION MakeSelection(absl::Span<const HashAlg> banks,
                                 absl::Span<const uint32_t> pcrs) {
  TPML_PCR_SELECTION sel{};
  sel.count = static_cast<uint32_t>(banks.size());
  for (size_t i = 0; i < banks.size(); ++i) {
    TPMS_PCR_SELECTION& s = sel.pcrSelections[i];
    s.hash = static_cast<TPMI_ALG_HASH>(banks[i]);
    s.sizeofSelect = 3;  // 24 PCRs (PC Client PTP §4.6)
    for (uint32_t p : pcrs) s.pcrSelect[p / 8] |= static_cast<uint8_t>(1u << (p % 8));
  }
  return sel;
}

}  // namespace internal

std::vector<uint32_t> AllPcrs() {
  std::vector<uint32_t> v(kNumPcrs);
  for (uint32_t i = 0; i < kNumPcrs; ++i) v[i] = i;
  return v;
}

namespace {

absl::Status CheckPcrs(absl::Span<const uint32_t> pcrs) {
  for (uint32_t p : pcrs) {
    if (p >= kNumPcrs) {
      return absl::InvalidArgumentError(
          absl::StrCat("pcr ", p, ": want 0-", kNumPcrs - 1));
    }
  }
  return absl::OkStatus();
}

// One pass over all banks; sets *stable to false when the update counter
// moved between TPM2_PCR_Read calls.
absl::StatusOr<PcrReadResult> ReadOnce(const EsysContext& ctx,
                                       absl::Span<const HashAlg> banks,
                                       absl::Span<const uint32_t> pcrs,
                                       bool* stable) {
  PcrReadResult out;
  *stable = true;
  std::vector<std::vector<uint32_t>> remaining;
  for (HashAlg alg : banks) {
    out.banks.push_back(PcrBank{alg, {}});
    remaining.emplace_back(pcrs.begin(), pcrs.end());
  }
  bool first = true;
  while (true) {
    TPML_PCR_SELECTION want{};
    std::vector<size_t> bank_of;  // want index -> banks index
    for (size_t b = 0; b < banks.size(); ++b) {
      if (remaining[b].empty()) continue;
      TPML_PCR_SELECTION one = internal::MakeSelection({banks[b]}, remaining[b]);
      want.pcrSelections[want.count++] = one.pcrSelections[0];
      bank_of.push_back(b);
    }
    if (want.count == 0) break;
    UINT32 counter = 0;
    TPML_PCR_SELECTION* raw_sel = nullptr;
    TPML_DIGEST* raw_values = nullptr;
    TSS2_RC rc = Esys_PCR_Read(ctx.get(), ESYS_TR_NONE, ESYS_TR_NONE,
                               ESYS_TR_NONE, &want, &counter, &raw_sel,
                               &raw_values);
    EsysPtr<TPML_PCR_SELECTION> got_sel(raw_sel);
    EsysPtr<TPML_DIGEST> values(raw_values);
    if (rc != TSS2_RC_SUCCESS) return TssStatus("Esys_PCR_Read", rc);
    if (!first && counter != out.update_counter) {
      *stable = false;
      return out;
    }
    first = false;
    out.update_counter = counter;
    // The TPM returns digests in selection order: banks as listed, PCRs
    // ascending (Part 3 §22.4.1).
    uint32_t d = 0;
    size_t progress = 0;
    for (uint32_t i = 0; i < got_sel->count; ++i) {
      const TPMS_PCR_SELECTION& s = got_sel->pcrSelections[i];
      auto it = std::find(banks.begin(), banks.end(), static_cast<HashAlg>(s.hash));
      if (it == banks.end()) {
        return absl::InternalError("Esys_PCR_Read: TPM returned an unrequested bank");
      }
      size_t b = static_cast<size_t>(it - banks.begin());
      for (uint32_t p = 0; p < s.sizeofSelect * 8u; ++p) {
        if (!(s.pcrSelect[p / 8] & (1u << (p % 8)))) continue;
        if (d >= values->count) {
          return absl::InternalError("Esys_PCR_Read: fewer digests than selected");
        }
        const TPM2B_DIGEST& v = values->digests[d++];
        if (v.size != DigestSize(banks[b])) {
          return absl::InternalError("Esys_PCR_Read: digest of the wrong size");
        }
        out.banks[b].values[p] = Digest(v.buffer, v.buffer + v.size);
        std::vector<uint32_t>& rem = remaining[b];
        rem.erase(std::remove(rem.begin(), rem.end(), p), rem.end());
        ++progress;
      }
    }
    if (progress == 0) {
      // An allocated-looking bank the TPM will not read: stop rather than
      // loop forever.
      return absl::InvalidArgumentError(
          "pcr read: the TPM returned no values for the selection (bank not "
          "allocated?)");
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<PcrReadResult> ReadPcrs(const EsysContext& ctx,
                                       absl::Span<const HashAlg> banks,
                                       absl::Span<const uint32_t> pcrs) {
  if (absl::Status s = CheckPcrs(pcrs); !s.ok()) return s;
  absl::StatusOr<std::vector<HashAlg>> allocated = AllocatedPcrBanks(ctx);
  if (!allocated.ok()) return allocated.status();
  std::vector<HashAlg> want(banks.begin(), banks.end());
  if (want.empty()) want = *allocated;
  for (HashAlg alg : want) {
    if (std::find(allocated->begin(), allocated->end(), alg) == allocated->end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pcr bank ", HashAlgName(alg), " is not allocated on this TPM"));
    }
  }
  if (want.size() > TPM2_NUM_PCR_BANKS) {
    return absl::InvalidArgumentError("too many pcr banks");
  }
  std::vector<uint32_t> which(pcrs.begin(), pcrs.end());
  if (which.empty()) which = AllPcrs();
  for (int attempt = 0; attempt < 3; ++attempt) {
    bool stable = false;
    absl::StatusOr<PcrReadResult> r = ReadOnce(ctx, want, which, &stable);
    if (!r.ok() || stable) return r;
  }
  return absl::UnavailableError(
      "pcr read: PCRs kept changing while being read (3 attempts)");
}

absl::Status ExtendPcr(const EsysContext& ctx, uint32_t pcr,
                       absl::Span<const std::pair<HashAlg, Digest>> digests) {
  if (pcr >= kNumPcrs) {
    return absl::InvalidArgumentError(absl::StrCat("pcr ", pcr, ": want 0-23"));
  }
  if (digests.empty() || digests.size() > TPM2_NUM_PCR_BANKS) {
    return absl::InvalidArgumentError("pcr extend: want 1-16 digests");
  }
  TPML_DIGEST_VALUES values{};
  for (const auto& [alg, digest] : digests) {
    if (digest.size() != DigestSize(alg)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pcr extend: ", HashAlgName(alg), " digest has ", digest.size(),
          " bytes, want ", DigestSize(alg)));
    }
    TPMT_HA& ha = values.digests[values.count++];
    ha.hashAlg = static_cast<TPMI_ALG_HASH>(alg);
    std::memcpy(&ha.digest, digest.data(), digest.size());
  }
  return TssStatus("Esys_PCR_Extend",
                   Esys_PCR_Extend(ctx.get(), ESYS_TR_PCR0 + pcr,
                                   ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                   &values));
}

}  // namespace vigil::tpm
