// File: tpm/wire/internal/mu_reader.h
// -----------------------------------------------------------------------------
// MuReader: a bounds-checked cursor over TPM big-endian wire bytes that calls
// the tss2-mu unmarshallers (libtss2-mu, pure marshalling, no TPM access) one
// field at a time, so that every failure names the structure, the field and
// the byte offset ("TPMS_ATTEST.extraData at offset 40: TPM2B size 300 exceeds
// the maximum 64"). This is tpm/wire's stand-in for common/byte_reader.h
// (style.md rule 8), which is little-endian only.
//
// Not part of tpm/wire's API: used by the parsers in this folder only.

#ifndef VIGIL_TPM_WIRE_INTERNAL_MU_READER_H_
#define VIGIL_TPM_WIRE_INTERNAL_MU_READER_H_

#include <tss2/tss2_common.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace vigil::tpm::wire_internal {

// Turns a tss2-mu return code for `field` (a value that starts at `offset` of
// `data`) into a kInvalidArgument Status naming the field and offset.
absl::Status MuError(TSS2_RC rc, absl::string_view field,
                     absl::Span<const uint8_t> data, size_t offset);

class MuReader {
 public:
  // `what` names the structure being read ("TPMS_ATTEST"); it prefixes every
  // error. `data` must outlive the reader.
  MuReader(absl::string_view what, absl::Span<const uint8_t> data)
      : what_(what), data_(data) {}

  // Reads one field with a Tss2_MU_<T>_Unmarshal function.
  template <typename T>
  absl::Status Read(TSS2_RC (*fn)(const uint8_t*, size_t, size_t*, T*),
                    absl::string_view field, T* out) {
    const size_t start = offset_;
    TSS2_RC rc = fn(data_.data(), data_.size(), &offset_, out);
    if (rc != TSS2_RC_SUCCESS) {
      offset_ = start;
      return MuError(rc, absl::StrCat(what_, ".", field), data_, start);
    }
    return absl::OkStatus();
  }

  // Reads a TPM2B (or other u16-size-prefixed field) whose payload may hold at
  // most `max_size` bytes, checking the size field first so that an
  // over-large or over-long size is reported as such, not as truncation.
  template <typename T>
  absl::Status ReadSized(TSS2_RC (*fn)(const uint8_t*, size_t, size_t*, T*),
                         absl::string_view field, size_t max_size, T* out) {
    if (data_.size() - offset_ >= 2) {
      const size_t size = (size_t{data_[offset_]} << 8) | data_[offset_ + 1];
      const size_t left = data_.size() - offset_ - 2;
      if (size > max_size || size > left) {
        return absl::InvalidArgumentError(absl::StrCat(
            what_, ".", field, " at offset ", offset_, ": size ", size,
            size > max_size ? absl::StrCat(" exceeds the maximum ", max_size)
                            : absl::StrCat(" exceeds the ", left,
                                           " byte(s) that follow")));
      }
    }
    return Read(fn, field, out);
  }

  // Reads one union member with a Tss2_MU_<TPMU>_Unmarshal function.
  template <typename T>
  absl::Status ReadUnion(
      TSS2_RC (*fn)(const uint8_t*, size_t, size_t*, uint32_t, T*),
      uint32_t selector, absl::string_view field, T* out) {
    const size_t start = offset_;
    TSS2_RC rc = fn(data_.data(), data_.size(), &offset_, selector, out);
    if (rc != TSS2_RC_SUCCESS) {
      offset_ = start;
      return MuError(rc, absl::StrCat(what_, ".", field), data_, start);
    }
    return absl::OkStatus();
  }

  // Fails (kInvalidArgument) unless every byte was consumed: trailing bytes
  // after a structure are never ignored.
  absl::Status ExpectEnd() const {
    if (offset_ == data_.size()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat(what_, ": ", data_.size() - offset_,
                     " trailing byte(s) after the structure at offset ",
                     offset_));
  }

  size_t offset() const { return offset_; }
  absl::Span<const uint8_t> consumed() const {
    return data_.subspan(0, offset_);
  }

 private:
  std::string what_;
  absl::Span<const uint8_t> data_;
  size_t offset_ = 0;
};

// Inputs above this size are rejected before any parsing: every structure
// tpm/wire reads is far smaller (TPM2B_PUBLIC <= 2 + sizeof(TPMT_PUBLIC),
// TPM2B_ATTEST <= 2 + sizeof(TPMS_ATTEST)).
inline constexpr size_t kMaxWireInput = 4096;

absl::Status CheckInputSize(absl::string_view what,
                            absl::Span<const uint8_t> data,
                            size_t max = kMaxWireInput);

}  // namespace vigil::tpm::wire_internal

#endif  // VIGIL_TPM_WIRE_INTERNAL_MU_READER_H_
