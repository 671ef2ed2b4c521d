// File: tpm/wire/credential_file.h
// -----------------------------------------------------------------------------
// The two outputs of TPM2_MakeCredential (Part 3 §12.6) as one value, and the
// file format tpm2-tools keeps them in. Shared by the software MakeCredential
// (tpm/verify) and TPM2_ActivateCredential (tpm/device), so a test or tool
// that uses both links one definition.

#ifndef VIGIL_TPM_WIRE_CREDENTIAL_FILE_H_
#define VIGIL_TPM_WIRE_CREDENTIAL_FILE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace vigil::tpm {

// TPM2_MakeCredential's outputs, marshalled.
struct CredentialBlob {
  // TPM2B_ID_OBJECT: size || TPM2B_DIGEST integrityHMAC || encIdentity.
  std::vector<uint8_t> id_object;
  // TPM2B_ENCRYPTED_SECRET: size || (RSA: OAEP ciphertext | ECC: the
  // marshalled TPMS_ECC_POINT of the ephemeral public key).
  std::vector<uint8_t> encrypted_secret;
};

// The file `tpm2_makecredential -o` writes and `tpm2_activatecredential -i`
// reads (tpm2-tools 5.x): magic 0xBADCC0DE and version 1 (each a big-endian
// uint32), then TPM2B_ID_OBJECT, then TPM2B_ENCRYPTED_SECRET.
std::vector<uint8_t> EncodeTpm2ToolsCredential(const CredentialBlob& blob);

// Parses that file format. Untrusted input; any bytes are safe. The TPM2B
// contents are not unmarshalled further (ActivateCredential does that).
// Fails with kInvalidArgument naming the field and offset on a short header,
// wrong magic or version, truncation, or trailing bytes.
absl::StatusOr<CredentialBlob> ParseTpm2ToolsCredential(
    absl::Span<const uint8_t> bytes);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_WIRE_CREDENTIAL_FILE_H_
