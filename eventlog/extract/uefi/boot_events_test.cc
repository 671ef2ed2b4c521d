#include "eventlog/extract/uefi/boot_events.h"

#include "common/testing/status_matchers.h"
#include "eventlog/extract/uefi/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::eventlog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::vigil::testing::StatusIs;
using namespace uefi_test;  // NOLINT: test builders

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

Bytes ImageLoad(const Bytes& path, uint64_t path_len) {
  Bytes b;
  AppendU64(&b, 0x7E000000);
  AppendU64(&b, 0x1000);
  AppendU64(&b, 0);
  AppendU64(&b, path_len);
  Append(&b, path);
  return b;
}

TEST(ImageLoadEvent, ParsesFieldsAndPath) {
  Bytes path = FileNode("\\EFI\\BOOT\\BOOTX64.EFI");
  Append(&path, EndNode());
  // The result's spans point into the input, which must outlive it.
  const Bytes data = ImageLoad(path, path.size());
  ASSERT_OK_AND_ASSIGN(UefiImageLoadEvent ev, ParseUefiImageLoadEvent(data));
  EXPECT_EQ(ev.image_location_in_memory, 0x7E000000u);
  EXPECT_EQ(ev.image_length_in_memory, 0x1000u);
  EXPECT_EQ(DevicePathFileName(ev.device_path), "\\EFI\\BOOT\\BOOTX64.EFI");
  EXPECT_EQ(ev.trailing_bytes, 0u);
}

TEST(ImageLoadEvent, HugeLengthOfDevicePathFails) {
  Bytes path = EndNode();
  EXPECT_THAT(ParseUefiImageLoadEvent(ImageLoad(path, 0xFFFFFFFFFFFFFFFF), 100),
              StatusIs(kInvalid, HasSubstr("offset 132: LengthOfDevicePath")));
}

TEST(ImageLoadEvent, TruncatedFixedFieldsFail) {
  EXPECT_THAT(ParseUefiImageLoadEvent(Bytes(31, 0)),
              StatusIs(kInvalid, HasSubstr("truncated")));
}

TEST(ImageLoadEvent, MalformedPathFails) {
  Bytes path = {0x04, 0x04, 0x00, 0x00};
  EXPECT_THAT(ParseUefiImageLoadEvent(ImageLoad(path, path.size())),
              StatusIs(kInvalid, HasSubstr("offset 32: device path node")));
}

TEST(ImageLoadEvent, ThirtyTwoBitUintn) {
  Bytes b;
  AppendU64(&b, 1);
  AppendU32(&b, 2);
  AppendU32(&b, 3);
  AppendU32(&b, 0);
  ASSERT_OK_AND_ASSIGN(UefiImageLoadEvent ev, ParseUefiImageLoadEvent(b, 0, 4));
  EXPECT_EQ(ev.image_link_time_address, 3u);
  EXPECT_THAT(ParseUefiImageLoadEvent(b, 0, 5),
              StatusIs(kInvalid, HasSubstr("UINTN")));
}

Bytes LoadOption(const std::string& desc, const Bytes& paths,
                 uint16_t list_len) {
  Bytes b;
  AppendU32(&b, 1);
  AppendU16(&b, list_len);
  Append(&b, Utf16(desc));
  AppendU16(&b, 0);
  Append(&b, paths);
  return b;
}

TEST(LoadOption, ParsesDescriptionPathsAndOptionalData) {
  Bytes paths = FileNode("\\EFI\\ubuntu\\shimx64.efi");
  Append(&paths, EndNode());
  Bytes opt = LoadOption("ubuntu", paths, static_cast<uint16_t>(paths.size()));
  opt.push_back(0x42);
  ASSERT_OK_AND_ASSIGN(EfiLoadOption o, ParseEfiLoadOption(opt));
  EXPECT_EQ(o.attributes, 1u);
  EXPECT_EQ(o.description, "ubuntu");
  ASSERT_THAT(o.file_path_list, SizeIs(1));
  EXPECT_EQ(DevicePathToText(o.file_path_list[0]), "\\EFI\\ubuntu\\shimx64.efi");
  EXPECT_THAT(o.optional_data, ElementsAre(0x42));
}

TEST(LoadOption, FilePathListLengthOverrunFails) {
  Bytes paths = EndNode();
  EXPECT_THAT(ParseEfiLoadOption(LoadOption("x", paths, 0xFFFF)),
              StatusIs(kInvalid, HasSubstr("FilePathListLength 65535")));
}

TEST(LoadOption, DescriptionWithoutNulFails) {
  Bytes b;
  AppendU32(&b, 1);
  AppendU16(&b, 0);
  Append(&b, Utf16("abc"));
  EXPECT_THAT(ParseEfiLoadOption(b),
              StatusIs(kInvalid, HasSubstr("offset 6: EFI_LOAD_OPTION "
                                           "Description has no NUL")));
}

TEST(LoadOption, OverlongDescriptionFails) {
  Bytes desc = Utf16(std::string(kMaxLoadOptionDescriptionChars + 1, 'a'));
  Bytes b;
  AppendU32(&b, 1);
  AppendU16(&b, 0);
  Append(&b, desc);
  AppendU16(&b, 0);
  EXPECT_THAT(ParseEfiLoadOption(b), StatusIs(kInvalid, HasSubstr("longer")));
}

TEST(LoadOption, TruncatedHeaderFails) {
  EXPECT_THAT(ParseEfiLoadOption(Bytes(5, 0)),
              StatusIs(kInvalid, HasSubstr("truncated")));
}

TEST(BootOrder, ParsesAndRejectsOddLength) {
  EXPECT_THAT(*ParseBootOrder(Bytes{1, 0, 3, 0}), ElementsAre(1, 3));
  EXPECT_THAT(ParseBootOrder(Bytes{1, 0, 3}),
              StatusIs(kInvalid, HasSubstr("odd length 3")));
  EXPECT_TRUE(IsBootOptionName("Boot000A"));
  EXPECT_FALSE(IsBootOptionName("BootOrder"));
  EXPECT_FALSE(IsBootOptionName("Boot00G1"));
}

TEST(FirmwareBlob, ParsesBlobAndBlob2) {
  Bytes b;
  AppendU64(&b, 0xFFFFFFFFFFFF0000);
  AppendU64(&b, 0x10000);
  ASSERT_OK_AND_ASSIGN(FirmwareBlob blob, ParseFirmwareBlob(b));
  EXPECT_EQ(blob.blob_base, 0xFFFFFFFFFFFF0000u);
  EXPECT_THAT(ParseFirmwareBlob(Bytes(15, 0)),
              StatusIs(kInvalid, HasSubstr("truncated")));
  Bytes b2 = {3, 'P', 'E', 'I'};
  Append(&b2, b);
  ASSERT_OK_AND_ASSIGN(FirmwareBlob blob2, ParseFirmwareBlob2(b2));
  EXPECT_EQ(*blob2.description, "PEI");
  Bytes bad = {200, 'x'};
  EXPECT_THAT(ParseFirmwareBlob2(bad),
              StatusIs(kInvalid, HasSubstr("description size")));
}

TEST(HandoffTables, CountIsBoundedByData) {
  Bytes b;
  AppendU64(&b, 1);
  Append(&b, GuidBytes(EfiGlobalVariableGuid()));
  AppendU64(&b, 0x1234);
  ASSERT_OK_AND_ASSIGN(HandoffTables t, ParseHandoffTables(b));
  ASSERT_THAT(t.tables, SizeIs(1));
  EXPECT_EQ(t.tables[0].vendor_table, 0x1234u);
  PutU64(&b, 0, 0x0AAAAAAAAAAAAAAB);  // * 24 overflows 64 bits
  EXPECT_THAT(ParseHandoffTables(b),
              StatusIs(kInvalid, HasSubstr("NumberOfTables")));
}

Bytes Gpt(uint64_t count, uint32_t entry_size, size_t entries) {
  Bytes b;
  AppendU64(&b, 0x5452415020494645);  // "EFI PART"
  AppendU32(&b, 0x00010000);
  AppendU32(&b, 92);
  AppendU32(&b, 0xDEADBEEF);
  AppendU32(&b, 0);
  AppendU64(&b, 1);
  AppendU64(&b, 0x3FFFFF);
  AppendU64(&b, 34);
  AppendU64(&b, 0x3FFFDE);
  Append(&b, GuidBytes(EfiGlobalVariableGuid()));
  AppendU64(&b, 2);
  AppendU32(&b, 128);
  AppendU32(&b, entry_size);
  AppendU32(&b, 0);
  AppendU64(&b, count);
  for (size_t i = 0; i < entries; ++i) {
    Bytes e = GuidBytes(EfiGlobalVariableGuid());
    Append(&e, GuidBytes(EfiGlobalVariableGuid()));
    AppendU64(&e, 2048);
    AppendU64(&e, 4095);
    AppendU64(&e, 0x8000000000000000);
    Bytes name = Utf16("EFI System");
    name.resize(72, 0);
    Append(&e, name);
    e.resize(entry_size, 0);
    Append(&b, e);
  }
  return b;
}

TEST(GptData, ParsesHeaderAndPartitions) {
  ASSERT_OK_AND_ASSIGN(GptData g, ParseGptData(Gpt(2, 128, 2)));
  EXPECT_EQ(g.signature, 0x5452415020494645u);
  ASSERT_THAT(g.partitions, SizeIs(2));
  EXPECT_EQ(g.partitions[1].attributes, 0x8000000000000000u);
  EXPECT_EQ(g.partitions[1].partition_name, "EFI System");
}

TEST(GptData, LargerEntrySizeIsHonoured) {
  ASSERT_OK_AND_ASSIGN(GptData g, ParseGptData(Gpt(1, 256, 1)));
  EXPECT_EQ(g.partitions[0].ending_lba, 4095u);
}

TEST(GptData, AbsurdPartitionCountFails) {
  EXPECT_THAT(ParseGptData(Gpt(0xFFFFFFFFFFFFFFFF, 128, 1), 40),
              StatusIs(kInvalid, HasSubstr("offset 132: NumberOfPartitions")));
  EXPECT_THAT(ParseGptData(Gpt(kMaxGptPartitions + 1, 128, 0)),
              StatusIs(kInvalid, HasSubstr("exceeds the limit")));
}

TEST(GptData, CountBeyondDataFails) {
  EXPECT_THAT(ParseGptData(Gpt(3, 128, 2)),
              StatusIs(kInvalid, HasSubstr("run past the end")));
}

TEST(GptData, EntrySizeOutOfRangeFails) {
  EXPECT_THAT(ParseGptData(Gpt(0, 127, 0)),
              StatusIs(kInvalid, HasSubstr("SizeOfPartitionEntry 127")));
  EXPECT_THAT(ParseGptData(Gpt(0, 0, 0)),
              StatusIs(kInvalid, HasSubstr("SizeOfPartitionEntry 0")));
  EXPECT_THAT(ParseGptData(Gpt(0, 0xFFFFFFFF, 0)),
              StatusIs(kInvalid, HasSubstr("SizeOfPartitionEntry 4294967295")));
}

TEST(GptData, TruncatedHeaderAndTrailingBytesFail) {
  EXPECT_THAT(ParseGptData(Bytes(91, 0)),
              StatusIs(kInvalid, HasSubstr("92-byte")));
  Bytes g = Gpt(1, 128, 1);
  g.push_back(0);
  EXPECT_THAT(ParseGptData(g), StatusIs(kInvalid, HasSubstr("1 bytes follow")));
}

TEST(EventText, DecodesAsciiUtf16AndBinary) {
  EventText a = DecodeEventText(Ascii("Exit Boot Services Invocation"));
  EXPECT_EQ(a.encoding, EventText::Encoding::kAscii);
  EXPECT_EQ(a.text, "Exit Boot Services Invocation");
  Bytes u = Utf16("GCE Virtual Firmware v1");
  AppendU16(&u, 0);
  EventText w = DecodeEventText(u);
  EXPECT_EQ(w.encoding, EventText::Encoding::kUtf16);
  EXPECT_EQ(w.text, "GCE Virtual Firmware v1");
  Bytes grub = Ascii("grub_cmd: linux /vmlinuz");
  grub.push_back(0);
  EXPECT_EQ(DecodeEventText(grub).text, "grub_cmd: linux /vmlinuz");
  EventText bin = DecodeEventText(Bytes{0x01, 0xFF});
  EXPECT_EQ(bin.encoding, EventText::Encoding::kBinary);
  EXPECT_EQ(bin.text, "01ff");
}

TEST(Separator, RequiresFourBytes) {
  ASSERT_OK_AND_ASSIGN(Separator s, ParseSeparator(Bytes{0xFF, 0xFF, 0xFF, 0xFF}));
  EXPECT_TRUE(s.is_error);
  EXPECT_THAT(ParseSeparator(Bytes{0}), StatusIs(kInvalid, HasSubstr("want 4")));
}

}  // namespace
}  // namespace vigil::eventlog
