// File: eventlog/uefi_variable.h
// -----------------------------------------------------------------------------
// UEFI_VARIABLE_DATA (PC Client PFP §10.3.3, Table 20), the data of the
// EV_EFI_VARIABLE_* events:
//   EFI_GUID VariableName; UINT64 UnicodeNameLength; UINT64 VariableDataLength;
//   CHAR16 UnicodeName[]; INT8 VariableData[];
// and the EFI_GUID text form. Pure parsing of untrusted bytes.

#ifndef VIGIL_EVENTLOG_UEFI_VARIABLE_H_
#define VIGIL_EVENTLOG_UEFI_VARIABLE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/byte_reader.h"

namespace vigil::eventlog {

// EFI_GUID in its on-disk (mixed-endian) byte order.
struct EfiGuid {
  std::array<uint8_t, 16> bytes{};
  // Canonical upper-case text, "8BE4DF61-93CA-11D2-AA0D-00E098032B8C", as
  // Azure Attestation renders it.
  std::string ToString() const;
  bool operator==(const EfiGuid& o) const { return bytes == o.bytes; }
  // Parses the canonical text form (either case). nullopt if malformed.
  static std::optional<EfiGuid> FromString(absl::string_view text);
};

// Reads 16 bytes as an EFI_GUID; false (cursor unchanged) if fewer remain.
bool ReadEfiGuid(ByteReader& r, EfiGuid* out);

// EFI_GLOBAL_VARIABLE (UEFI 2.x §3.3): SecureBoot, PK, KEK, Boot####, ...
const EfiGuid& EfiGlobalVariableGuid();
// EFI_IMAGE_SECURITY_DATABASE_GUID (UEFI §32.6.1): db, dbx, dbt, dbr.
const EfiGuid& EfiImageSecurityDatabaseGuid();

struct UefiVariableData {
  EfiGuid vendor_guid;
  std::string name_utf8;  // UnicodeName converted from UTF-16LE
  absl::Span<const uint8_t> variable_data;
  // Bytes after VariableData (shim appends some; go-attestation#157).
  size_t trailing_bytes = 0;
};

// Parses UEFI_VARIABLE_DATA. `base_offset` is the absolute offset of data[0]
// for error messages. Fails with kInvalidArgument ("offset N: ...") when a
// length runs past the data, the name has more than 1024 characters, or the
// name is not valid UTF-16.
absl::StatusOr<UefiVariableData> ParseUefiVariableData(
    absl::Span<const uint8_t> data, size_t base_offset = 0);

// UTF-16LE (no terminator required; stops at the first NUL) to UTF-8.
// Unpaired surrogates fail with kInvalidArgument.
absl::StatusOr<std::string> Utf16LeToUtf8(absl::Span<const uint8_t> data);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_UEFI_VARIABLE_H_
