#include "service/grpc/wire_check.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "vigil/v1/attestation_service.pb.h"

namespace vigil::service {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

constexpr char kDir[] = "service/grpc/testdata/wire";

absl::Span<const uint8_t> Bytes(const std::string& s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                             s.size());
}

absl::Status Check(
    const std::string& bytes,
    const google::protobuf::Descriptor& type = *v1::AgentMessage::descriptor(),
    const WireLimits& limits = WireLimits()) {
  return CheckWire(Bytes(bytes), type, limits);
}

// Every file in testdata/wire/ has its expected verdict in
// wire_expected.txt, and every well-formed one decodes.
TEST(CheckWire, GoldenFiles) {
  std::map<std::string, std::string> want;
  for (absl::string_view line : absl::StrSplit(
           ::vigil::testing::ReadFileText(::vigil::testing::SourcePath(
               "service/grpc/testdata/wire_expected.txt")),
           '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits('\t', 1));
    ASSERT_EQ(f.size(), 2u) << line;
    want[f[0]] = f[1];
  }
  ASSERT_FALSE(want.empty());
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(
           ::vigil::testing::SourcePath(kDir))) {
    ++files;
    const std::string name = e.path().filename().string();
    ASSERT_EQ(want.count(name), 1u) << name << " has no expected verdict";
    std::vector<uint8_t> raw = ::vigil::testing::ReadFileBytes(e.path());
    const std::string bytes(raw.begin(), raw.end());
    absl::Status s = Check(bytes);
    EXPECT_EQ(s.ok() ? "OK" : std::string(s.message()), want[name]) << name;
    if (s.ok()) {
      v1::AgentMessage m;
      EXPECT_TRUE(m.ParseFromString(bytes)) << name;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << name;
    }
  }
  EXPECT_EQ(files, want.size()) << "wire_expected.txt lists missing files";
}

// A length-delimited field (wire type 2) with its varint length.
std::string Len(int field, const std::string& payload) {
  std::string out(1, static_cast<char>((field << 3) | 2));
  size_t n = payload.size();
  do {
    out.push_back(static_cast<char>((n & 0x7f) | (n > 0x7f ? 0x80 : 0)));
    n >>= 7;
  } while (n != 0);
  return out + payload;
}

std::string EmptyUnknownFields(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += Len(15, "");
  return out;
}

// The flood the check exists for: 2-byte fields that each decode into an
// object. 64 unknown fields pass; the 65th does, at any depth, not.
TEST(CheckWire, UnknownFieldsCountAtEveryDepth) {
  EXPECT_OK(Check(Len(3, EmptyUnknownFields(64))));  // evidence { ... }
  EXPECT_THAT(Check(Len(3, EmptyUnknownFields(65))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "offset 131: more than 64 fields unknown to this "
                       "verifier (field 15)"));
  // Split between two levels, they add up.
  EXPECT_THAT(Check(EmptyUnknownFields(32) + Len(3, EmptyUnknownFields(33))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("more than 64 fields unknown")));
}

// An unknown field's payload is not walked: decoding keeps it as one string,
// whatever it holds.
TEST(CheckWire, AnUnknownFieldsPayloadIsOneField) {
  WireLimits one;
  one.max_unknown_fields = 1;
  EXPECT_OK(Check(Len(15, EmptyUnknownFields(1000)),
                  *v1::AgentMessage::descriptor(), one));
}

// A known field with a wire type its definition does not have is decoded as
// an unknown field, and counted as one.
TEST(CheckWire, AKnownFieldWithAnotherWireTypeIsUnknown) {
  WireLimits none;
  none.max_unknown_fields = 0;
  const std::string hello_as_varint("\x08\x01", 2);  // hello = 1 (a varint)
  EXPECT_OK(Check(Len(1, "")));                      // hello {}
  EXPECT_OK(Check(Len(1, ""), *v1::AgentMessage::descriptor(), none));
  EXPECT_THAT(Check(hello_as_varint, *v1::AgentMessage::descriptor(), none),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "offset 0: more than 0 fields unknown to this verifier "
                       "(field 1)"));
}

TEST(CheckWire, NestingDeeperThanTheLimitIsRefused) {
  // evidence { quotes { pcrs { values { index: 1 } } } }: depth 4.
  const std::string deep =
      Len(3, Len(2, Len(3, Len(2, std::string("\x08\x01", 2)))));
  WireLimits shallow;
  shallow.max_depth = 3;
  EXPECT_OK(Check(deep));
  EXPECT_THAT(Check(deep, *v1::AgentMessage::descriptor(), shallow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "offset 8: messages nested deeper than 3"));
}

// Packed repeated scalars (none in vigil's protocol; descriptor.proto's
// SourceCodeInfo.Location.path is one) count each element.
TEST(CheckWire, PackedElementsCountAsFields) {
  const google::protobuf::Descriptor& location =
      *google::protobuf::SourceCodeInfo_Location::descriptor();
  WireLimits three;
  three.max_fields = 3;
  EXPECT_OK(Check(Len(1, "\x01\x02\x03"), location, three));
  EXPECT_THAT(Check(Len(1, "\x01\x02\x03\x04"), location, three),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("more than 3 fields")));
  // A varint element cut off by the field's end.
  EXPECT_THAT(Check(Len(1, "\x01\x80"), location),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "offset 3: packed field 1: malformed varint element"));
}

// proto3 string fields must be UTF-8 (decoding would refuse them and log a
// line each time); bytes fields may hold anything.
TEST(CheckWire, StringFieldsMustBeUtf8) {
  // hello { agent_version: ... } (AgentHello.agent_version = 2).
  for (const std::string& ok :
       {std::string("1.0"), std::string("\xc3\xa9"),                   // é
        std::string("\xe2\x82\xac"), std::string("\xf0\x9f\x94\x92"),  // € 🔒
        std::string("\xf4\x8f\xbf\xbf")}) {  // U+10FFFF
    EXPECT_OK(Check(Len(1, Len(2, ok)))) << ok;
  }
  for (const std::string& bad :
       {std::string("\xff"), std::string("\xc3"),  // cut short
        std::string("\xc0\xaf"),                   // overlong '/'
        std::string("\xe0\x80\xaf"),               // overlong
        std::string("\xed\xa0\x80"),               // surrogate
        std::string("\xf4\x90\x80\x80"),           // > U+10FFFF
        std::string("a\xe2\x82")}) {               // cut short
    EXPECT_THAT(
        Check(Len(1, Len(2, bad))),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 "offset 2: field 2 (vigil.v1.AgentHello.agent_version): "
                 "not UTF-8"))
        << absl::CEscape(bad);
  }
  // ek_public is bytes.
  EXPECT_OK(Check(Len(1, Len(4, "\xff\xfe"))));
}

// Varints of more than 10 bytes, or lengths beyond the message, never
// reach the decoder.
TEST(CheckWire, MalformedLengthsAreRefusedWithTheirOffset) {
  EXPECT_THAT(Check(std::string("\x1a\xff\xff\xff\xff\x07", 6)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "offset 0: field 3: length 2147483647 runs past the "
                       "end (0 bytes left)"));
  // Lengths and tags are 32-bit varints to the decoder: 5 bytes at most,
  // even when the value is small, and no more than 2^31 - 1 for a length.
  EXPECT_THAT(Check(std::string("\x1a\x80\x80\x80\x80\x80\x00", 7)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "offset 0: field 3: malformed length varint"));
  EXPECT_THAT(Check(std::string("\x1a\xff\xff\xff\xff\x0f", 6)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "offset 0: field 3: malformed length varint"));
  EXPECT_THAT(
      Check(std::string("\x8d\x80\x80\x80\x80\x00\x01\x02\x03\x04", 10)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "offset 0: malformed tag varint"));
  EXPECT_THAT(Check(std::string("\x1a\xff\xff\xff\xff\xff\xff\xff\xff"
                                "\xff\xff\x01",
                                12)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "offset 0: field 3: malformed length varint"));
}

}  // namespace
}  // namespace vigil::service
