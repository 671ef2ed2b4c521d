#include "tpm/wire/internal/mu_reader.h"

#include <tss2/tss2_mu.h>

namespace vigil::tpm::wire_internal {

absl::Status MuError(TSS2_RC rc, absl::string_view field,
                     absl::Span<const uint8_t> data, size_t offset) {
  const size_t remaining = offset <= data.size() ? data.size() - offset : 0;
  switch (rc) {
    case TSS2_MU_RC_INSUFFICIENT_BUFFER:
      return absl::InvalidArgumentError(
          absl::StrCat(field, " at offset ", offset,
                       ": truncated, or a size inside exceeds its maximum (",
                       remaining, " byte(s) left)"));
    case TSS2_MU_RC_BAD_SIZE: {
      // Every TPM2B and TPML starts with its size or count; report it.
      std::string detail = "size or count field out of range";
      if (remaining >= 2) {
        const uint32_t v = (uint32_t{data[offset]} << 8) | data[offset + 1];
        detail = absl::StrCat("size or count ", v,
                              " exceeds the structure's maximum or the input");
      }
      return absl::InvalidArgumentError(
          absl::StrCat(field, " at offset ", offset, ": ", detail));
    }
    case TSS2_MU_RC_BAD_VALUE:
      return absl::InvalidArgumentError(absl::StrCat(
          field, " at offset ", offset, ": invalid value or union selector"));
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          field, " at offset ", offset, ": unmarshal failed (rc 0x",
          absl::Hex(rc), ")"));
  }
}

absl::Status CheckInputSize(absl::string_view what,
                            absl::Span<const uint8_t> data, size_t max) {
  if (data.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": empty input"));
  }
  if (data.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": input of ", data.size(),
                     " bytes exceeds the maximum of ", max));
  }
  return absl::OkStatus();
}

}  // namespace vigil::tpm::wire_internal
