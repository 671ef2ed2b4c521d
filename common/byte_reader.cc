#include "common/byte_reader.h"

namespace vigil {

bool ByteReader::ReadU8(uint8_t* out) {
  if (remaining() < 1) return false;
  *out = data_[pos_++];
  return true;
}

bool ByteReader::ReadU16Le(uint16_t* out) {
  if (remaining() < 2) return false;
  *out = static_cast<uint16_t>(data_[pos_] | (data_[pos_ + 1] << 8));
  pos_ += 2;
  return true;
}

bool ByteReader::ReadU32Le(uint32_t* out) {
  if (remaining() < 4) return false;
  *out = static_cast<uint32_t>(data_[pos_]) |
         (static_cast<uint32_t>(data_[pos_ + 1]) << 8) |
         (static_cast<uint32_t>(data_[pos_ + 2]) << 16) |
         (static_cast<uint32_t>(data_[pos_ + 3]) << 24);
  pos_ += 4;
  return true;
}

bool ByteReader::ReadU64Le(uint64_t* out) {
  if (remaining() < 8) return false;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | data_[pos_ + i];
  *out = v;
  pos_ += 8;
  return true;
}

bool ByteReader::ReadVarint64(uint64_t* out) {
  uint64_t v = 0;
  for (size_t i = 0; i < 10; ++i) {
    if (pos_ + i >= data_.size()) return false;
    const uint8_t b = data_[pos_ + i];
    if (i == 9 && b > 1) return false;  // bits 64 and up
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *out = v;
      pos_ += i + 1;
      return true;
    }
  }
  return false;
}

bool ByteReader::ReadBytes(size_t n, absl::Span<const uint8_t>* out) {
  if (remaining() < n) return false;
  *out = data_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool ByteReader::ReadSub(size_t n, ByteReader* out) {
  if (remaining() < n) return false;
  *out = ByteReader(data_.subspan(pos_, n), offset());
  pos_ += n;
  return true;
}

bool ByteReader::ReadU16LePrefixed(ByteReader* out) {
  ByteReader copy = *this;
  uint16_t n;
  if (!copy.ReadU16Le(&n) || !copy.ReadSub(n, out)) return false;
  *this = copy;
  return true;
}

bool ByteReader::ReadU32LePrefixed(ByteReader* out) {
  ByteReader copy = *this;
  uint32_t n;
  if (!copy.ReadU32Le(&n) || !copy.ReadSub(n, out)) return false;
  *this = copy;
  return true;
}

bool ByteReader::Skip(size_t n) {
  if (remaining() < n) return false;
  pos_ += n;
  return true;
}

}  // namespace vigil
