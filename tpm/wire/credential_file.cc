#include "tpm/wire/credential_file.h"

#include "absl/strings/str_cat.h"

namespace vigil::tpm {
namespace {

constexpr uint32_t kTpm2ToolsMagic = 0xBADCC0DE;
constexpr uint32_t kTpm2ToolsCredentialVersion = 1;

uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Reads one marshalled TPM2B (2-byte big-endian size, then data) at *offset.
bool ReadTpm2b(absl::Span<const uint8_t> in, size_t* offset,
               std::vector<uint8_t>* out) {
  if (in.size() - *offset < 2) return false;
  size_t n = (size_t{in[*offset]} << 8) | in[*offset + 1];
  if (in.size() - *offset - 2 < n) return false;
  out->assign(in.begin() + *offset, in.begin() + *offset + 2 + n);
  *offset += 2 + n;
  return true;
}

}  // namespace

std::vector<uint8_t> EncodeTpm2ToolsCredential(const CredentialBlob& blob) {
  std::vector<uint8_t> out = {0xBA, 0xDC, 0xC0, 0xDE, 0, 0, 0, 1};
  out.insert(out.end(), blob.id_object.begin(), blob.id_object.end());
  out.insert(out.end(), blob.encrypted_secret.begin(),
             blob.encrypted_secret.end());
  return out;
}

absl::StatusOr<CredentialBlob> ParseTpm2ToolsCredential(
    absl::Span<const uint8_t> bytes) {
  if (bytes.size() < 8) {
    return absl::InvalidArgumentError(
        "credential file: shorter than its 8-byte header");
  }
  if (Be32(bytes.data()) != kTpm2ToolsMagic) {
    return absl::InvalidArgumentError(
        absl::StrCat("credential file: magic 0x", absl::Hex(Be32(bytes.data())),
                     ", want 0xbadcc0de (a tpm2_makecredential output file)"));
  }
  if (Be32(bytes.data() + 4) != kTpm2ToolsCredentialVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        "credential file: version ", Be32(bytes.data() + 4), ", want 1"));
  }
  CredentialBlob blob;
  size_t offset = 8;
  if (!ReadTpm2b(bytes, &offset, &blob.id_object)) {
    return absl::InvalidArgumentError(
        "credential file: TPM2B_ID_OBJECT at offset 8 runs past the end");
  }
  if (!ReadTpm2b(bytes, &offset, &blob.encrypted_secret)) {
    return absl::InvalidArgumentError(
        absl::StrCat("credential file: TPM2B_ENCRYPTED_SECRET at offset ",
                     offset, " runs past the end"));
  }
  if (offset != bytes.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "credential file: ", bytes.size() - offset, " trailing bytes"));
  }
  return blob;
}

}  // namespace vigil::tpm
