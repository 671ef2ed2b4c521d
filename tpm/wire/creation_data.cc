#include "tpm/wire/creation_data.h"

#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tpm/types/pcr_bank.h"
#include "tpm/wire/internal/mu_reader.h"

namespace vigil::tpm {

absl::StatusOr<CreationData> ParseTpm2bCreationData(
    absl::Span<const uint8_t> bytes) {
  RETURN_IF_ERROR(wire_internal::CheckInputSize("TPM2B_CREATION_DATA", bytes));
  wire_internal::MuReader outer("TPM2B_CREATION_DATA", bytes);
  uint16_t size = 0;
  RETURN_IF_ERROR(outer.Read(Tss2_MU_UINT16_Unmarshal, "size", &size));
  const size_t rest = bytes.size() - 2;
  if (size == 0 || size != rest) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TPM2B_CREATION_DATA.size at offset 0: says ", size, " but ", rest,
        " byte(s) follow", size < rest ? " (trailing bytes)" : ""));
  }
  absl::Span<const uint8_t> body = bytes.subspan(2);
  wire_internal::MuReader r("TPMS_CREATION_DATA", body);
  TPMS_CREATION_DATA d{};
  RETURN_IF_ERROR(
      r.Read(Tss2_MU_TPML_PCR_SELECTION_Unmarshal, "pcrSelect", &d.pcrSelect));
  RETURN_IF_ERROR(r.ReadSized(Tss2_MU_TPM2B_DIGEST_Unmarshal, "pcrDigest",
                              sizeof(d.pcrDigest.buffer), &d.pcrDigest));
  RETURN_IF_ERROR(r.Read(Tss2_MU_TPMA_LOCALITY_Unmarshal, "locality", &d.locality));
  RETURN_IF_ERROR(
      r.Read(Tss2_MU_UINT16_Unmarshal, "parentNameAlg", &d.parentNameAlg));
  RETURN_IF_ERROR(r.ReadSized(Tss2_MU_TPM2B_NAME_Unmarshal, "parentName",
                              sizeof(d.parentName.name), &d.parentName));
  RETURN_IF_ERROR(r.ReadSized(Tss2_MU_TPM2B_NAME_Unmarshal,
                              "parentQualifiedName",
                              sizeof(d.parentQualifiedName.name),
                              &d.parentQualifiedName));
  RETURN_IF_ERROR(r.ReadSized(Tss2_MU_TPM2B_DATA_Unmarshal, "outsideInfo",
                              sizeof(d.outsideInfo.buffer), &d.outsideInfo));
  RETURN_IF_ERROR(r.ExpectEnd());

  CreationData out;
  out.marshalled.assign(body.begin(), body.end());
  for (uint32_t i = 0; i < d.pcrSelect.count; ++i) {
    const TPMS_PCR_SELECTION& s = d.pcrSelect.pcrSelections[i];
    std::optional<HashAlg> alg = HashAlgFromId(s.hash);
    if (!alg.has_value() || s.sizeofSelect > TPM2_PCR_SELECT_MAX) {
      return absl::InvalidArgumentError(absl::StrCat(
          "TPMS_CREATION_DATA.pcrSelect[", i, "]: invalid hash or size"));
    }
    PcrSelection sel{*alg, {}};
    for (uint32_t pcr = 0; pcr < 8u * s.sizeofSelect; ++pcr) {
      if (s.pcrSelect[pcr / 8] & (1u << (pcr % 8))) sel.pcrs.push_back(pcr);
    }
    out.pcr_select.push_back(std::move(sel));
  }
  out.pcr_digest.assign(d.pcrDigest.buffer, d.pcrDigest.buffer + d.pcrDigest.size);
  out.locality = d.locality;
  out.parent_name_alg = d.parentNameAlg;
  out.parent_name.assign(d.parentName.name, d.parentName.name + d.parentName.size);
  out.parent_qualified_name.assign(
      d.parentQualifiedName.name,
      d.parentQualifiedName.name + d.parentQualifiedName.size);
  out.outside_info.assign(d.outsideInfo.buffer,
                          d.outsideInfo.buffer + d.outsideInfo.size);
  return out;
}

}  // namespace vigil::tpm
