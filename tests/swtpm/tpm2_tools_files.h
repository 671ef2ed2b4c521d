// File: tests/swtpm/tpm2_tools_files.h
// -----------------------------------------------------------------------------
// Writes our TPM outputs in the file formats tpm2-tools reads, so tests can
// cross-check them with an independent implementation (tpm2_checkquote,
// tpm2_makecredential).

#ifndef VIGIL_TESTS_SWTPM_TPM2_TOOLS_FILES_H_
#define VIGIL_TESTS_SWTPM_TPM2_TOOLS_FILES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tpm/device/attestation_key.h"

namespace vigil::testing {

// The public key of a TPM2B_PUBLIC (RSA, or ECC P-256/P-384) as a PEM
// SubjectPublicKeyInfo. Fails with kInvalidArgument for other keys.
absl::StatusOr<std::string> PublicAreaToPem(absl::Span<const uint8_t> public_area);

// "sha1:0,1,...+sha256:0,1,..." for the banks and PCRs of `pcrs`.
std::string Tpm2ToolsPcrList(const std::vector<tpm::PcrBank>& pcrs);

// The PCR values concatenated in selection order (banks as listed, PCRs
// ascending): the "values" form tpm2_pcrread -o writes and tpm2_checkquote
// -f reads together with -l.
std::string Tpm2ToolsPcrValues(const std::vector<tpm::PcrBank>& pcrs);

// The "serialized" form tpm2_quote -o writes by default (raw
// TPML_PCR_SELECTION, UINT32 count, TPML_DIGEST structs); tpm2_checkquote
// reads it with -f and no -l.
std::string Tpm2ToolsSerializedPcrs(const std::vector<tpm::PcrBank>& pcrs);

// The argv of tpm2_checkquote for `quote`, after writing ak.pem, quote.msg
// (TPMS_ATTEST), quote.sig (TPMT_SIGNATURE, "tss" format) and quote.pcrs
// (serialized form)
// into `dir`.
absl::StatusOr<std::vector<std::string>> WriteCheckquoteInputs(
    const std::string& dir, absl::Span<const uint8_t> ak_public,
    const tpm::QuoteResult& quote, absl::Span<const uint8_t> nonce);

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SWTPM_TPM2_TOOLS_FILES_H_
