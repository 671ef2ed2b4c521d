#include "service/grpc/wire_check.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"

namespace vigil::service {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Wire types (protobuf encoding, "Message Structure").
constexpr int kVarint = 0;
constexpr int kI64 = 1;
constexpr int kLen = 2;
constexpr int kStartGroup = 3;
constexpr int kEndGroup = 4;
constexpr int kI32 = 5;

// Tags and lengths are 32-bit varints to protobuf's decoder: at most 5
// bytes however small the value (a padded 6-byte tag is refused).
bool ReadVarint32(ByteReader& r, uint64_t* out) {
  ByteReader look = r;
  if (!look.ReadVarint64(out) || r.remaining() - look.remaining() > 5 ||
      *out > 0xffffffffu) {
    return false;
  }
  r = look;
  return true;
}

absl::Status Error(size_t offset, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("offset ", offset, ": ", what));
}

// The wire type a field's values are written with when not packed.
int WireTypeOf(const FieldDescriptor& f) {
  switch (f.type()) {
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64:
      return kI64;
    case FieldDescriptor::TYPE_FLOAT:
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32:
      return kI32;
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
    case FieldDescriptor::TYPE_MESSAGE:
      return kLen;
    case FieldDescriptor::TYPE_GROUP:
      return kStartGroup;
    default:
      return kVarint;  // ints, bools, enums
  }
}

// Well-formed UTF-8 (RFC 3629 §4): no overlong forms, no surrogates, nothing
// past U+10FFFF. proto3 decoding refuses string fields that are not, with
// a line of its own on stderr each time and no word of which field to the
// caller; checked here it is the request's one error, naming the field.
bool IsUtf8(absl::Span<const uint8_t> s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t b = s[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    uint8_t lo = 0x80, hi = 0xbf;  // bounds of the second byte
    if (b >= 0xc2 && b <= 0xdf) {
      n = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b == 0xe0) lo = 0xa0;  // overlong
      if (b == 0xed) hi = 0x9f;  // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b == 0xf0) lo = 0x90;  // overlong
      if (b == 0xf4) hi = 0x8f;  // past U+10FFFF
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;  // cut short
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (size_t k = 2; k <= n; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xbf) return false;
    }
    i += n + 1;
  }
  return true;
}

class Walker {
 public:
  explicit Walker(const WireLimits& limits) : limits_(limits) {}

  // One message's fields, to the end of `r`. The payloads of fields that
  // `type` does not define are not walked: decoding keeps each as one
  // string.
  absl::Status Message(ByteReader r, const Descriptor& type, int depth) {
    if (depth > limits_.max_depth) {
      return Error(r.offset(), absl::StrCat("messages nested deeper than ",
                                            limits_.max_depth));
    }
    while (!r.empty()) {
      const size_t at = r.offset();
      uint64_t tag = 0;
      if (!ReadVarint32(r, &tag)) return Error(at, "malformed tag varint");
      const uint64_t number = tag >> 3;
      const int wire = static_cast<int>(tag & 7);
      // A tag of at most 32 bits cannot name a field past 2^29 - 1.
      if (number == 0) return Error(at, "field number 0 does not exist");
      if (wire == kStartGroup || wire == kEndGroup) {
        return Error(at, absl::StrCat("field ", number, ": groups (wire type ",
                                      wire, ") are not part of this protocol"));
      }
      if (wire > kI32) {
        return Error(at, absl::StrCat("field ", number, ": wire type ", wire,
                                      " does not exist"));
      }
      const FieldDescriptor* f =
          type.FindFieldByNumber(static_cast<int>(number));
      const bool packed =
          f != nullptr && wire == kLen && f->is_repeated() && f->is_packable();
      const bool known = f != nullptr && (WireTypeOf(*f) == wire || packed);
      if (!packed) {
        if (absl::Status s = Count(at, 1); !s.ok()) return s;
      }
      if (!known && ++unknown_ > limits_.max_unknown_fields) {
        return Error(at, absl::StrCat("more than ", limits_.max_unknown_fields,
                                      " fields unknown to this verifier "
                                      "(field ",
                                      number, ")"));
      }
      switch (wire) {
        case kVarint: {
          uint64_t ignored = 0;
          if (!r.ReadVarint64(&ignored)) {
            return Error(
                at, absl::StrCat("field ", number, ": malformed varint value"));
          }
          break;
        }
        case kI64:
        case kI32:
          if (!r.Skip(wire == kI64 ? 8 : 4)) {
            return Error(
                at, absl::StrCat("field ", number, ": ", wire == kI64 ? 8 : 4,
                                 "-byte value runs past the end"));
          }
          break;
        case kLen: {
          uint64_t length = 0;
          if (!ReadVarint32(r, &length) || length > 0x7fffffffu) {
            return Error(at, absl::StrCat("field ", number,
                                          ": malformed length varint"));
          }
          ByteReader payload;
          if (!r.ReadSub(static_cast<size_t>(length), &payload)) {
            return Error(at, absl::StrCat("field ", number, ": length ", length,
                                          " runs past the end (", r.remaining(),
                                          " bytes left)"));
          }
          if (packed) {
            if (absl::Status s = Packed(at, number, *f, payload); !s.ok()) {
              return s;
            }
          } else if (known && f->type() == FieldDescriptor::TYPE_STRING &&
                     f->file()->syntax() ==
                         google::protobuf::FileDescriptor::SYNTAX_PROTO3 &&
                     !IsUtf8(payload.Rest())) {
            return Error(at, absl::StrCat("field ", number, " (",
                                          f->full_name(), "): not UTF-8"));
          } else if (known && f->type() == FieldDescriptor::TYPE_MESSAGE) {
            if (absl::Status s =
                    Message(payload, *f->message_type(), depth + 1);
                !s.ok()) {
              return s;
            }
          }
          break;
        }
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Count(size_t at, size_t n) {
    fields_ += n;
    if (fields_ > limits_.max_fields) {
      return Error(at, absl::StrCat("more than ", limits_.max_fields,
                                    " fields; no message of this protocol "
                                    "has that many"));
    }
    return absl::OkStatus();
  }

  // A packed repeated scalar: each element counts as a field.
  absl::Status Packed(size_t at, uint64_t number, const FieldDescriptor& f,
                      ByteReader payload) {
    const int element = WireTypeOf(f);
    if (element == kVarint) {
      size_t n = 0;
      while (!payload.empty()) {
        uint64_t ignored = 0;
        if (!payload.ReadVarint64(&ignored)) {
          return Error(payload.offset(),
                       absl::StrCat("packed field ", number,
                                    ": malformed varint element"));
        }
        ++n;
      }
      return Count(at, n);
    }
    const size_t size = element == kI64 ? 8 : 4;
    if (payload.remaining() % size != 0) {
      return Error(
          at, absl::StrCat("packed field ", number, ": ", payload.remaining(),
                           " bytes are not whole ", size, "-byte elements"));
    }
    return Count(at, payload.remaining() / size);
  }

  const WireLimits& limits_;
  size_t fields_ = 0;
  size_t unknown_ = 0;
};

}  // namespace

absl::Status CheckWire(absl::Span<const uint8_t> bytes, const Descriptor& type,
                       const WireLimits& limits) {
  return Walker(limits).Message(ByteReader(bytes), type, /*depth=*/0);
}

}  // namespace vigil::service
