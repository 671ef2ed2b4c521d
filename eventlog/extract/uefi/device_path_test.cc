#include "eventlog/extract/uefi/device_path.h"

#include "common/testing/status_matchers.h"
#include "eventlog/extract/uefi/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::eventlog {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::vigil::testing::StatusIs;
using namespace uefi_test;  // NOLINT: test builders

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

Bytes HardDriveNode() {
  Bytes body;
  AppendU32(&body, 1);
  AppendU64(&body, 0x800);
  AppendU64(&body, 0x100000);
  Append(&body, GuidBytes(*EfiGuid::FromString(
                    "12345678-9ABC-DEF0-1122-334455667788")));
  body.push_back(0x02);  // MBRType: GPT
  body.push_back(0x02);  // SignatureType: GUID
  return Node(0x04, 0x01, body);
}

TEST(DevicePath, RendersShimPathLikeUefiToText) {
  Bytes p = PciRootNode(0);
  Append(&p, PciNode(0x1F, 0x2));
  Append(&p, HardDriveNode());
  Append(&p, FileNode("\\EFI\\ubuntu\\shimx64.efi"));
  Append(&p, EndNode());
  size_t used = 0;
  ASSERT_OK_AND_ASSIGN(DevicePath path, ParseDevicePath(p, 0, &used));
  EXPECT_TRUE(path.terminated);
  EXPECT_EQ(used, p.size());
  EXPECT_THAT(path.nodes, SizeIs(4));
  EXPECT_EQ(DevicePathToText(path),
            "PciRoot(0x0)/Pci(0x1F,0x2)/HD(1,GPT,12345678-9ABC-DEF0-1122-"
            "334455667788,0x800,0x100000)/\\EFI\\ubuntu\\shimx64.efi");
  EXPECT_EQ(DevicePathFileName(path), "\\EFI\\ubuntu\\shimx64.efi");
  EXPECT_EQ(DevicePathMaaJson(path).dump(),
            R"({"Type":{"String":"ACPI","Value":2},"SubType":1})");
}

TEST(DevicePath, JoinsSplitFileNodes) {
  Bytes p = FileNode("\\EFI\\centos");
  Append(&p, FileNode("grubx64.efi"));
  Append(&p, EndNode());
  ASSERT_OK_AND_ASSIGN(DevicePath path, ParseDevicePath(p));
  EXPECT_EQ(DevicePathFileName(path), "\\EFI\\centos\\grubx64.efi");
}

TEST(DevicePath, UnknownNodeRendersGenerically) {
  Bytes p = Node(0x09, 0x07, {0xAB, 0xCD});
  ASSERT_OK_AND_ASSIGN(DevicePath path, ParseDevicePath(p));
  EXPECT_FALSE(path.terminated);
  EXPECT_EQ(DevicePathToText(path), "Path(9,7,abcd)");
}

TEST(DevicePath, ShortKnownNodeBodyRendersGenerically) {
  Bytes p = Node(0x01, 0x01, {0x01});  // PCI node needs 2 bytes
  ASSERT_OK_AND_ASSIGN(DevicePath path, ParseDevicePath(p));
  EXPECT_EQ(DevicePathToText(path), "Path(1,1,01)");
}

TEST(DevicePath, NodeLengthZeroFailsWithOffset) {
  Bytes p = PciRootNode(0);
  Append(&p, Bytes{0x01, 0x01, 0x00, 0x00});
  EXPECT_THAT(ParseDevicePath(p, 500),
              StatusIs(kInvalid, HasSubstr("offset 512: device path node "
                                           "Length 0")));
}

TEST(DevicePath, NodeLengthThreeFails) {
  Bytes p = {0x04, 0x04, 0x03, 0x00};
  EXPECT_THAT(ParseDevicePath(p), StatusIs(kInvalid, HasSubstr("Length 3")));
}

TEST(DevicePath, NodeLengthOverrunFails) {
  Bytes p = FileNode("\\a.efi");
  PutU16(&p, 2, 0xFFFF);
  EXPECT_THAT(ParseDevicePath(p, 10),
              StatusIs(kInvalid, HasSubstr("offset 10: device path node "
                                           "Length 65535 runs past the end")));
}

TEST(DevicePath, TruncatedHeaderFails) {
  Bytes p = EndNode();
  p.resize(3);
  EXPECT_THAT(ParseDevicePath(p), StatusIs(kInvalid, HasSubstr("truncated")));
}

TEST(DevicePath, NodeCountIsBounded) {
  Bytes p;
  for (size_t i = 0; i <= kMaxDevicePathNodes; ++i) {
    Append(&p, Node(0x01, 0x05, {0, 0, 0, 0}));
  }
  EXPECT_THAT(ParseDevicePath(p),
              StatusIs(kInvalid, HasSubstr("more than 256 nodes")));
}

TEST(DevicePath, ListParsesPathsBackToBack) {
  Bytes p = FileNode("\\a.efi");
  Append(&p, EndNode());
  Append(&p, FileNode("\\initrd"));
  Append(&p, EndNode());
  ASSERT_OK_AND_ASSIGN(auto paths, ParseDevicePathList(p));
  ASSERT_THAT(paths, SizeIs(2));
  EXPECT_EQ(DevicePathToText(paths[1]), "\\initrd");
}

TEST(DevicePath, BbsNodeRendersDescription) {
  Bytes body = {0x02, 0x00, 0x00, 0x01};
  Append(&body, Ascii("VirtScsi Disk"));
  body.push_back(0);
  Bytes node = Node(0x05, 0x01, body);  // outlives the spans in `path`
  ASSERT_OK_AND_ASSIGN(DevicePath path, ParseDevicePath(node));
  EXPECT_EQ(DevicePathToText(path), "BBS(0x2,VirtScsi Disk,0x100)");
}

TEST(DevicePath, EmptyPathIsNullJson) {
  ASSERT_OK_AND_ASSIGN(DevicePath path, ParseDevicePath({}));
  EXPECT_TRUE(DevicePathMaaJson(path).is_null());
  EXPECT_EQ(DevicePathToText(path), "");
}

}  // namespace
}  // namespace vigil::eventlog
