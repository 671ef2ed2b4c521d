// File: tpm/wire/creation_data.h
// -----------------------------------------------------------------------------
// TPM2B_CREATION_DATA / TPMS_CREATION_DATA (TPM 2.0 Part 2 §15.1, §15.2): what
// TPM2_Create / TPM2_CreatePrimary report about the state in which an object
// was created. Its hash (creationHash) is what TPM2_CertifyCreation signs.
// Pure: tss2-mu only.
//
// Trust: untrusted until its hash has been matched to a creationHash that a
// trusted key certified (tpm/verify/ak_checks.h VerifyAkCreation).

#ifndef VIGIL_TPM_WIRE_CREATION_DATA_H_
#define VIGIL_TPM_WIRE_CREATION_DATA_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tpm/wire/attest_info.h"

namespace vigil::tpm {

struct CreationData {
  // The TPMS_CREATION_DATA encoding (the creationHash input, Part 3 §12.1).
  std::vector<uint8_t> marshalled;
  std::vector<PcrSelection> pcr_select;
  std::vector<uint8_t> pcr_digest;
  uint8_t locality = 0;                    // TPMA_LOCALITY
  uint16_t parent_name_alg = 0;
  std::vector<uint8_t> parent_name;
  std::vector<uint8_t> parent_qualified_name;
  std::vector<uint8_t> outside_info;
};

// Parses a marshalled TPM2B_CREATION_DATA (what `tpm2_createprimary
// --creation-data` writes). Fails with kInvalidArgument naming the field and
// offset on empty/oversized input, truncation, a size prefix that disagrees
// with the contents, trailing bytes, or an invalid PCR selection.
absl::StatusOr<CreationData> ParseTpm2bCreationData(
    absl::Span<const uint8_t> bytes);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_WIRE_CREATION_DATA_H_
