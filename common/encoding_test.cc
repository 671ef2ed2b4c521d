#include "common/encoding.h"

#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

TEST(Hex, RoundTripsAndIsLowerCase) {
  std::vector<uint8_t> b = {0x00, 0xab, 0xff, 0x10};
  EXPECT_EQ(HexEncode(b), "00abff10");
  ASSERT_OK_AND_ASSIGN(auto decoded, HexDecode("00ABff10"));
  EXPECT_EQ(decoded, b);
}

TEST(Hex, RejectsOddLengthAndBadCharacterWithPosition) {
  EXPECT_THAT(HexDecode("abc"), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("odd length")));
  EXPECT_THAT(HexDecode("00zz"), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("position 2")));
}

TEST(Hex, HexDigitValueOfEveryCharacter) {
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    int want = -1;
    if (ch >= '0' && ch <= '9') want = c - '0';
    if (ch >= 'a' && ch <= 'f') want = c - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') want = c - 'A' + 10;
    EXPECT_EQ(HexDigitValue(ch), want) << "character " << c;
  }
}

TEST(Hex, IsLowerHexAcceptsOnlyWhatHexEncodeWrites) {
  EXPECT_TRUE(IsLowerHex(HexEncode(std::vector<uint8_t>{0x00, 0xab, 0xff})));
  EXPECT_TRUE(IsLowerHex("0123456789abcdef"));
  EXPECT_TRUE(IsLowerHex(""));
  EXPECT_FALSE(IsLowerHex("00AB"));  // HexDecode accepts it; this does not
  EXPECT_FALSE(IsLowerHex("0g"));
  EXPECT_FALSE(IsLowerHex("ab "));
  EXPECT_FALSE(IsLowerHex(std::string("a\0", 2)));
}

// RFC 4648 §10 test vectors.
TEST(Base64, MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(Bytes("")), "");
  EXPECT_EQ(Base64Encode(Bytes("f")), "Zg==");
  EXPECT_EQ(Base64Encode(Bytes("fo")), "Zm8=");
  EXPECT_EQ(Base64Encode(Bytes("foo")), "Zm9v");
  EXPECT_EQ(Base64Encode(Bytes("foob")), "Zm9vYg==");
  EXPECT_EQ(Base64Encode(Bytes("fooba")), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode(Bytes("foobar")), "Zm9vYmFy");
}

TEST(Base64Url, IsUnpaddedAndUsesUrlAlphabet) {
  std::vector<uint8_t> b = {0xfb, 0xff, 0x01};
  EXPECT_EQ(Base64Encode(b), "+/8B");
  EXPECT_EQ(Base64UrlEncode(b), "-_8B");
  EXPECT_EQ(Base64UrlEncode({0x01}), "AQ");  // the SecureBoot byte in MAA JSON
}

// Every length's tail (0, 1 or 2 bytes past a multiple of 3), both
// alphabets: unpadded is padded without its '=', and both decode back.
TEST(Base64, EveryLengthRoundTripsPaddedAndUnpadded) {
  std::vector<uint8_t> bytes;
  for (int n = 0; n < 64; ++n) {
    SCOPED_TRACE(n);
    const std::string padded = Base64Encode(bytes);
    const std::string url = Base64UrlEncode(bytes);
    EXPECT_EQ(padded.size() % 4, 0u);
    std::string stripped = padded.substr(0, padded.find('='));
    for (char& c : stripped) c = c == '+' ? '-' : c == '/' ? '_' : c;
    EXPECT_EQ(url, stripped);
    ASSERT_OK_AND_ASSIGN(auto a, Base64Decode(padded));
    ASSERT_OK_AND_ASSIGN(auto b, Base64UrlDecode(url));
    EXPECT_EQ(a, bytes);
    EXPECT_EQ(b, bytes);
    bytes.push_back(static_cast<uint8_t>(n * 37 + 250));
  }
}

TEST(Base64, DecodesWithAndWithoutPadding) {
  ASSERT_OK_AND_ASSIGN(auto a, Base64Decode("Zm8="));
  ASSERT_OK_AND_ASSIGN(auto b, Base64UrlDecode("Zm8"));
  EXPECT_EQ(a, Bytes("fo"));
  EXPECT_EQ(b, Bytes("fo"));
  ASSERT_OK_AND_ASSIGN(auto c, Base64UrlDecode("-_8B"));
  EXPECT_THAT(c, ElementsAre(0xfb, 0xff, 0x01));
}

TEST(Base64, RejectsWrongAlphabetBadLengthAndNonCanonicalBits) {
  EXPECT_THAT(
      Base64UrlDecode("+/8B"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("position 0")));
  EXPECT_THAT(Base64Decode("-_8B"), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("position 0")));
  EXPECT_THAT(Base64Decode("Z"), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("length")));
  EXPECT_THAT(
      Base64UrlDecode("QR"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("padding")));
}

TEST(Utf8, EncodesOneToFourByteSequences) {
  std::string out;
  for (uint32_t cp : {0x41u, 0xE9u, 0x20ACu, 0x1F600u}) AppendUtf8(cp, &out);
  EXPECT_EQ(out, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST(DecodeUtf8Sequence, DecodesStructureAndLeavesPolicyToTheCaller) {
  size_t len = 0;
  EXPECT_EQ(DecodeUtf8Sequence("\xC3\xA9", 0, &len), 0xE9);  // é
  EXPECT_EQ(len, 2u);
  EXPECT_EQ(DecodeUtf8Sequence("a\xE2\x82\xAC", 1, &len), 0x20AC);  // €
  EXPECT_EQ(len, 3u);
  EXPECT_EQ(DecodeUtf8Sequence("\xF0\x9F\x98\x80", 0, &len), 0x1F600);
  EXPECT_EQ(len, 4u);
  // Overlong and surrogate forms decode: refusing them is the caller's call.
  EXPECT_EQ(DecodeUtf8Sequence("\xC0\xAF", 0, &len), 0x2F);
  EXPECT_EQ(DecodeUtf8Sequence("\xED\xA0\x80", 0, &len), 0xD800);
  // Structural errors: continuation as lead, 5-byte lead, cut short, bad
  // continuation byte.
  EXPECT_EQ(DecodeUtf8Sequence("\x80", 0, &len), -1);
  EXPECT_EQ(DecodeUtf8Sequence("\xF8\x88\x80\x80\x80", 0, &len), -1);
  EXPECT_EQ(DecodeUtf8Sequence("\xE2\x82", 0, &len), -1);
  EXPECT_EQ(DecodeUtf8Sequence("\xE2\x28\xA1", 0, &len), -1);
}

TEST(FindInvalidUtf8, ReportsTheFirstIllFormedByte) {
  constexpr size_t kOk = absl::string_view::npos;
  EXPECT_EQ(FindInvalidUtf8(""), kOk);
  EXPECT_EQ(FindInvalidUtf8("version=1.0; \xC3\xA9 \xF0\x9F\x98\x80"), kOk);
  EXPECT_EQ(FindInvalidUtf8("ab\x80"), 2u);            // stray continuation
  EXPECT_EQ(FindInvalidUtf8("a\xC0\xAF"), 1u);         // overlong '/'
  EXPECT_EQ(FindInvalidUtf8("ab\xED\xA0\x80"), 2u);    // surrogate U+D800
  EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("abc\xE2\x82"), 3u);       // truncated
}

}  // namespace
}  // namespace vigil
