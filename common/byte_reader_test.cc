#include "common/byte_reader.h"

#include <vector>

#include "gtest/gtest.h"

namespace vigil {
namespace {

TEST(ByteReader, ReadsLittleEndianIntegersAndAdvances) {
  const std::vector<uint8_t> b = {0x01, 0x02, 0x03, 0x04, 0x05,
                                  0x06, 0x07, 0x08, 0x09, 0x0a,
                                  0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  ByteReader r(b);
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  ASSERT_TRUE(r.ReadU8(&u8));
  ASSERT_TRUE(r.ReadU16Le(&u16));
  ASSERT_TRUE(r.ReadU32Le(&u32));
  ASSERT_TRUE(r.ReadU64Le(&u64));
  EXPECT_EQ(u8, 0x01);
  EXPECT_EQ(u16, 0x0302);
  EXPECT_EQ(u32, 0x07060504u);
  EXPECT_EQ(u64, 0x0f0e0d0c0b0a0908ull);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.offset(), 15u);
}

TEST(ByteReader, ReadsVarintsOfOneToTenBytes) {
  struct Case {
    std::vector<uint8_t> bytes;
    uint64_t want;
  };
  for (const Case& c : std::vector<Case>{
           {{0x00}, 0},
           {{0x01}, 1},
           {{0x96, 0x01}, 150},  // the encoding guide's example
           {{0xff, 0xff, 0xff, 0xff, 0x0f}, 0xffffffffu},
           {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
            ~uint64_t{0}}}) {
    ByteReader r(c.bytes);
    uint64_t v = 0;
    ASSERT_TRUE(r.ReadVarint64(&v)) << c.want;
    EXPECT_EQ(v, c.want);
    EXPECT_TRUE(r.empty());
  }
}

TEST(ByteReader, RefusesTruncatedOverlongAndOverflowingVarints) {
  for (const std::vector<uint8_t>& bytes : std::vector<std::vector<uint8_t>>{
           {},
           {0x80},
           {0xff, 0xff},
           // 11 bytes
           {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00},
           // 10th byte carries bit 64
           {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}}) {
    ByteReader r(bytes);
    uint64_t v = 7;
    EXPECT_FALSE(r.ReadVarint64(&v)) << bytes.size();
    EXPECT_EQ(v, 7u);
    EXPECT_EQ(r.remaining(), bytes.size());  // the cursor did not move
  }
}

TEST(ByteReader, FailedReadLeavesCursorUnchanged) {
  const std::vector<uint8_t> b = {1, 2, 3};
  ByteReader r(b);
  uint32_t v;
  EXPECT_FALSE(r.ReadU32Le(&v));
  EXPECT_EQ(r.remaining(), 3u);
  EXPECT_EQ(r.offset(), 0u);
}

TEST(ByteReader, ReadsExactlyToTheEndButNotOnePast) {
  const std::vector<uint8_t> b = {1, 2, 3, 4};
  ByteReader r(b);
  absl::Span<const uint8_t> s;
  EXPECT_FALSE(r.ReadBytes(5, &s));
  EXPECT_TRUE(r.ReadBytes(4, &s));
  EXPECT_EQ(s.size(), 4u);
  EXPECT_FALSE(r.Skip(1));
  EXPECT_TRUE(r.Skip(0));
}

TEST(ByteReader, SubReaderIsBoundedAndKeepsAbsoluteOffsets) {
  const std::vector<uint8_t> b = {0xaa, 2, 0, 0, 0, 0x11, 0x22, 0x33};
  ByteReader r(b);
  ASSERT_TRUE(r.Skip(1));
  ByteReader sub;
  ASSERT_TRUE(r.ReadU32LePrefixed(&sub));
  EXPECT_EQ(sub.offset(), 5u);
  EXPECT_EQ(sub.remaining(), 2u);
  uint16_t v;
  ASSERT_TRUE(sub.ReadU16Le(&v));
  EXPECT_EQ(v, 0x2211);
  uint8_t extra;
  EXPECT_FALSE(sub.ReadU8(&extra));  // the parent's 0x33 is out of reach
  EXPECT_EQ(r.offset(), 7u);
}

TEST(ByteReader, LengthPrefixLargerThanRemainderFailsWithoutAdvancing) {
  const std::vector<uint8_t> b = {0xff, 0xff, 0xff, 0xff, 1, 2};
  ByteReader r(b);
  ByteReader sub;
  EXPECT_FALSE(r.ReadU32LePrefixed(&sub));
  EXPECT_EQ(r.offset(), 0u);
  const std::vector<uint8_t> c = {3, 0, 1, 2};
  ByteReader r2(c);
  EXPECT_FALSE(r2.ReadU16LePrefixed(&sub));  // 3 > 2 bytes left
  EXPECT_EQ(r2.offset(), 0u);
}

}  // namespace
}  // namespace vigil
