#include "tpm/wire/attest_info.h"

#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tpm/types/pcr_bank.h"
#include "tpm/wire/internal/mu_reader.h"

namespace vigil::tpm {
namespace {

bool KnownAttestType(uint16_t t) {
  switch (t) {
    case TPM2_ST_ATTEST_NV:
    case TPM2_ST_ATTEST_COMMAND_AUDIT:
    case TPM2_ST_ATTEST_SESSION_AUDIT:
    case TPM2_ST_ATTEST_CERTIFY:
    case TPM2_ST_ATTEST_QUOTE:
    case TPM2_ST_ATTEST_TIME:
    case TPM2_ST_ATTEST_CREATION:
    case 0x801C:  // TPM_ST_ATTEST_NV_DIGEST (Part 2 rev 1.59 §6.9)
      return true;
    default:
      return false;
  }
}

template <typename T2B>
std::vector<uint8_t> Bytes(const T2B& b) {
  return std::vector<uint8_t>(b.buffer, b.buffer + b.size);
}
std::vector<uint8_t> Bytes(const TPM2B_NAME& b) {
  return std::vector<uint8_t>(b.name, b.name + b.size);
}

absl::StatusOr<std::vector<PcrSelection>> DecodeSelection(
    const TPML_PCR_SELECTION& list) {
  std::vector<PcrSelection> out;
  out.reserve(list.count);
  for (uint32_t i = 0; i < list.count; ++i) {
    const TPMS_PCR_SELECTION& s = list.pcrSelections[i];
    const std::string field =
        absl::StrCat("TPMS_ATTEST.attested.quote.pcrSelect[", i, "]");
    std::optional<HashAlg> alg = HashAlgFromId(s.hash);
    if (!alg.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".hash: 0x", absl::Hex(s.hash, absl::kZeroPad4),
                       " is not a PCR bank hash algorithm"));
    }
    for (const PcrSelection& prev : out) {
      if (prev.alg == *alg) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ": bank ", HashAlgName(*alg), " is selected twice"));
      }
    }
    if (s.sizeofSelect > TPM2_PCR_SELECT_MAX) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".sizeofSelect: ", s.sizeofSelect, " exceeds ",
          TPM2_PCR_SELECT_MAX));
    }
    PcrSelection sel{*alg, {}};
    for (uint32_t byte = 0; byte < s.sizeofSelect; ++byte) {
      for (uint32_t bit = 0; bit < 8; ++bit) {
        if ((s.pcrSelect[byte] & (1u << bit)) == 0) continue;
        const uint32_t pcr = byte * 8 + bit;
        if (pcr >= kNumPcrs) {
          return absl::InvalidArgumentError(
              absl::StrCat(field, ": selects PCR ", pcr, " (PC Client TPMs have ",
                           kNumPcrs, ")"));
        }
        sel.pcrs.push_back(pcr);
      }
    }
    out.push_back(std::move(sel));
  }
  return out;
}

}  // namespace

absl::StatusOr<AttestInfo> ParseAttest(absl::Span<const uint8_t> bytes) {
  RETURN_IF_ERROR(wire_internal::CheckInputSize("TPMS_ATTEST", bytes));
  wire_internal::MuReader r("TPMS_ATTEST", bytes);
  AttestInfo out;
  TPM2B_NAME signer{};
  TPM2B_DATA extra{};
  TPMS_CLOCK_INFO clock{};
  TPMU_ATTEST attested{};
  RETURN_IF_ERROR(r.Read(Tss2_MU_UINT32_Unmarshal, "magic", &out.magic));
  RETURN_IF_ERROR(r.Read(Tss2_MU_UINT16_Unmarshal, "type", &out.type));
  if (!KnownAttestType(out.type)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TPMS_ATTEST.type at offset 4: unknown TPMI_ST_ATTEST 0x",
        absl::Hex(out.type, absl::kZeroPad4)));
  }
  RETURN_IF_ERROR(
      r.ReadSized(Tss2_MU_TPM2B_NAME_Unmarshal, "qualifiedSigner",
                  sizeof(signer.name), &signer));
  RETURN_IF_ERROR(r.ReadSized(Tss2_MU_TPM2B_DATA_Unmarshal, "extraData",
                              sizeof(extra.buffer), &extra));
  const size_t clock_offset = r.offset();
  RETURN_IF_ERROR(r.Read(Tss2_MU_TPMS_CLOCK_INFO_Unmarshal, "clockInfo", &clock));
  if (clock.safe > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TPMS_ATTEST.clockInfo.safe at offset ", clock_offset + 16,
        ": TPMI_YES_NO value ", clock.safe));
  }
  RETURN_IF_ERROR(r.Read(Tss2_MU_UINT64_Unmarshal, "firmwareVersion",
                         &out.firmware_version));
  RETURN_IF_ERROR(r.ReadUnion(Tss2_MU_TPMU_ATTEST_Unmarshal, out.type,
                              "attested", &attested));
  RETURN_IF_ERROR(r.ExpectEnd());

  out.qualified_signer = Bytes(signer);
  out.extra_data = Bytes(extra);
  out.clock_info = {clock.clock, clock.resetCount, clock.restartCount,
                    clock.safe == 1};
  if (out.type == TPM2_ST_ATTEST_QUOTE) {
    ASSIGN_OR_RETURN(out.pcr_selections,
                     DecodeSelection(attested.quote.pcrSelect));
    out.pcr_digest = Bytes(attested.quote.pcrDigest);
  } else if (out.type == TPM2_ST_ATTEST_CREATION) {
    out.creation_object_name = Bytes(attested.creation.objectName);
    out.creation_hash = Bytes(attested.creation.creationHash);
  }
  return out;
}

absl::StatusOr<absl::Span<const uint8_t>> UnwrapTpm2bAttest(
    absl::Span<const uint8_t> bytes) {
  RETURN_IF_ERROR(
      wire_internal::CheckInputSize("TPM2B_ATTEST", bytes, 2 + sizeof(TPMS_ATTEST)));
  wire_internal::MuReader r("TPM2B_ATTEST", bytes);
  uint16_t size = 0;
  RETURN_IF_ERROR(r.Read(Tss2_MU_UINT16_Unmarshal, "size", &size));
  const size_t rest = bytes.size() - 2;
  if (size == 0 || size != rest) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TPM2B_ATTEST.size at offset 0: says ", size, " but ", rest,
        " byte(s) follow", size < rest ? " (trailing bytes)" : ""));
  }
  return bytes.subspan(2);
}

}  // namespace vigil::tpm
