// File: common/byte_reader.h
// -----------------------------------------------------------------------------
// A bounds-checked, non-owning cursor over untrusted bytes, shaped like
// BoringSSL's CBS (include/openssl/bytestring.h; style.md rule 8). Every binary
// parser in Vigil reads through it: each Read* either succeeds and advances,
// or fails, returns false and leaves the cursor where it was. Nothing reads
// past the end. Sub-readers made by ReadSub() are bounded by their length
// prefix, so a malformed inner record cannot overrun its parent.
//
// Offsets are absolute: a sub-reader remembers where it starts in the
// outermost buffer, so error messages can name the byte offset in the file.
//
//   ByteReader r(bytes);
//   uint32_t pcr, type;
//   ByteReader body;
//   if (!r.ReadU32Le(&pcr) || !r.ReadU32Le(&type) ||
//   !r.ReadU32LePrefixed(&body))
//     return Error(r.offset(), "truncated event header");
//
// Thread-compatible: a reader is a value; copy it to fork a look-ahead cursor.

#ifndef VIGIL_COMMON_BYTE_READER_H_
#define VIGIL_COMMON_BYTE_READER_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"

namespace vigil {

class ByteReader {
 public:
  ByteReader() = default;
  // `base_offset` is the absolute offset of data[0] in the outermost buffer.
  explicit ByteReader(absl::Span<const uint8_t> data, size_t base_offset = 0)
      : data_(data), base_offset_(base_offset) {}

  // Bytes left to read.
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  // Absolute offset of the next byte to be read.
  size_t offset() const { return base_offset_ + pos_; }
  // The unread bytes, without advancing.
  absl::Span<const uint8_t> Rest() const { return data_.subspan(pos_); }

  bool ReadU8(uint8_t* out);
  bool ReadU16Le(uint16_t* out);
  bool ReadU32Le(uint32_t* out);
  bool ReadU64Le(uint64_t* out);
  // An unsigned LEB128 varint of at most 10 bytes, as protobuf encodes
  // integers and lengths (protobuf.dev/programming-guides/encoding, "Base
  // 128 Varints"). Fails on a truncated one, on more than 10 bytes, and on
  // a 10th byte that would carry bits past 64.
  bool ReadVarint64(uint64_t* out);

  // Reads `n` bytes as a span into the underlying buffer (no copy).
  bool ReadBytes(size_t n, absl::Span<const uint8_t>* out);
  // Reads `n` bytes as a bounded child cursor with absolute offsets.
  bool ReadSub(size_t n, ByteReader* out);
  // Reads a little-endian u16/u32 length, then that many bytes as a child.
  bool ReadU16LePrefixed(ByteReader* out);
  bool ReadU32LePrefixed(ByteReader* out);
  bool Skip(size_t n);

 private:
  absl::Span<const uint8_t> data_;
  size_t base_offset_ = 0;
  size_t pos_ = 0;
};

}  // namespace vigil

#endif  // VIGIL_COMMON_BYTE_READER_H_
