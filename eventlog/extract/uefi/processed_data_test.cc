#include "eventlog/extract/uefi/processed_data.h"

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "eventlog/event_types.h"
#include "eventlog/extract/uefi/efi_signature_list.h"
#include "eventlog/extract/uefi/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::eventlog {
namespace {

using ::testing::HasSubstr;
using namespace uefi_test;  // NOLINT: test builders

RawEvent Event(uint32_t type, const Bytes& data) {
  RawEvent ev;
  ev.pcr_index = 7;
  ev.untrusted_type = type;
  ev.data = data;
  return ev;
}

TEST(ProcessedData, SecureBootVariableMatchesMaaShape) {
  Bytes data = UefiVariable(EfiGlobalVariableGuid(), "SecureBoot", {0x01});
  auto pd = UefiProcessedData(Event(EV_EFI_VARIABLE_DRIVER_CONFIG, data));
  ASSERT_TRUE(pd.has_value());
  EXPECT_EQ(pd->dump(),
            R"({"UnicodeName":"SecureBoot","VariableGuid":)"
            R"("8BE4DF61-93CA-11D2-AA0D-00E098032B8C","VariableData":"AQ"})");
}

TEST(ProcessedData, DbIsSignatureListArray) {
  Bytes list = SignatureList(EfiCertSha256Guid(), {Bytes(32, 0)});
  Bytes data = UefiVariable(EfiImageSecurityDatabaseGuid(), "db", list);
  auto pd = UefiProcessedData(Event(EV_EFI_VARIABLE_DRIVER_CONFIG, data));
  ASSERT_TRUE(pd.has_value());
  const auto& v = (*pd)["VariableData"];
  ASSERT_TRUE(v.is_array());
  EXPECT_EQ(v[0]["SignatureType"], "C1C41626-504C-4092-ACA9-41F936934328");
  EXPECT_EQ(v[0]["SignatureTypeString"], "EFI_CERT_SHA256_GUID");
  EXPECT_EQ(v[0]["Signatures"][0]["SignatureOwner"],
            "8BE4DF61-93CA-11D2-AA0D-00E098032B8C");
  EXPECT_EQ(v[0]["Signatures"][0]["SignatureData"],
            Base64UrlEncode(Bytes(32, 0)));
}

TEST(ProcessedData, MalformedDbFallsBackToBase64) {
  Bytes list = SignatureList(EfiCertSha256Guid(), {Bytes(32, 0)});
  PutU32(&list, 24, 3);
  Bytes data = UefiVariable(EfiImageSecurityDatabaseGuid(), "db", list);
  auto pd = UefiProcessedData(Event(EV_EFI_VARIABLE_DRIVER_CONFIG, data));
  ASSERT_TRUE(pd.has_value());
  EXPECT_EQ((*pd)["VariableData"], Base64UrlEncode(list));
  EXPECT_THAT(DescribeUefiEvent(Event(EV_EFI_VARIABLE_DRIVER_CONFIG, data)),
              HasSubstr("db: malformed: offset 0: SignatureSize 3"));
}

TEST(ProcessedData, HostileVariableLengthsGiveNullopt) {
  Bytes data = UefiVariable(EfiGlobalVariableGuid(), "SecureBoot", {0x01});
  for (size_t at : {16u, 24u}) {  // UnicodeNameLength, VariableDataLength
    Bytes bad = data;
    PutU64(&bad, at, 0xFFFFFFFFFFFFFFFF);
    EXPECT_FALSE(
        UefiProcessedData(Event(EV_EFI_VARIABLE_DRIVER_CONFIG, bad)).has_value());
    EXPECT_THAT(DescribeUefiEvent(Event(EV_EFI_VARIABLE_DRIVER_CONFIG, bad)),
                HasSubstr("malformed"));
  }
  EXPECT_FALSE(UefiProcessedData(Event(EV_EFI_VARIABLE_BOOT, Bytes(10, 0)))
                   .has_value());
}

TEST(ProcessedData, AuthorityIsSignatureData) {
  Bytes sig = GuidBytes(EfiGlobalVariableGuid());
  Append(&sig, SelfSignedCertDer("Vigil CA"));
  Bytes data = UefiVariable(EfiImageSecurityDatabaseGuid(), "db", sig);
  RawEvent ev = Event(EV_EFI_VARIABLE_AUTHORITY, data);
  auto pd = UefiProcessedData(ev);
  ASSERT_TRUE(pd.has_value());
  EXPECT_EQ((*pd)["VariableData"]["SignatureOwner"],
            "8BE4DF61-93CA-11D2-AA0D-00E098032B8C");
  EXPECT_EQ(DescribeUefiEvent(ev), "db: X.509 CN=Vigil CA");
}

TEST(ProcessedData, SeparatorHasCappedHashPerBank) {
  Bytes data = {0, 0, 0, 0};
  Bytes digest = Sha256(data);
  RawEvent ev = Event(EV_SEPARATOR, data);
  ev.digests.push_back({tpm::HashAlg::kSha256, digest});
  auto pd = UefiProcessedData(ev);
  ASSERT_TRUE(pd.has_value());
  EXPECT_EQ(pd->dump(), absl::StrCat(R"({"CappedHash[SHA256]":")",
                                     Base64UrlEncode(digest), R"("})"));
}

TEST(ProcessedData, EfiActionIsData) {
  auto pd = UefiProcessedData(
      Event(EV_EFI_ACTION, Ascii("Exit Boot Services Invocation")));
  ASSERT_TRUE(pd.has_value());
  EXPECT_EQ(pd->dump(), R"({"Data":"Exit Boot Services Invocation"})");
}

TEST(ProcessedData, FirmwareBlobKeepsExact64BitIntegers) {
  Bytes b;
  AppendU64(&b, 0xFFFFFFFFFFFFFFFF);
  AppendU64(&b, 0x10000);
  auto pd = UefiProcessedData(Event(EV_EFI_PLATFORM_FIRMWARE_BLOB, b));
  ASSERT_TRUE(pd.has_value());
  EXPECT_EQ(pd->dump(),
            R"({"BlobBase":18446744073709551615,"BlobLength":65536})");
}

TEST(ProcessedData, BootServicesApplicationHasDevicePath) {
  Bytes path = PciRootNode(0);
  Append(&path, FileNode("\\EFI\\BOOT\\BOOTX64.EFI"));
  Append(&path, EndNode());
  Bytes b;
  AppendU64(&b, 0x7E000000);
  AppendU64(&b, 0x1000);
  AppendU64(&b, 0);
  AppendU64(&b, path.size());
  Append(&b, path);
  RawEvent ev = Event(EV_EFI_BOOT_SERVICES_APPLICATION, b);
  auto pd = UefiProcessedData(ev);
  ASSERT_TRUE(pd.has_value());
  EXPECT_EQ(pd->dump(),
            R"({"ImageLocationInMemory":2113929216,"ImageLengthInMemory":4096,)"
            R"("ImageLinkTimeAddress":0,"DevicePath":{"Type":{"String":"ACPI",)"
            R"("Value":2},"SubType":1}})");
  EXPECT_EQ(DescribeUefiEvent(ev),
            "\\EFI\\BOOT\\BOOTX64.EFI [PciRoot(0x0)/\\EFI\\BOOT\\BOOTX64.EFI]");
}

TEST(ProcessedData, UnknownTypeIsNullopt) {
  EXPECT_FALSE(UefiProcessedData(Event(EV_S_CRTM_VERSION, Bytes{1})).has_value());
  EXPECT_FALSE(UefiProcessedData(Event(0x1234, Bytes{1})).has_value());
}

TEST(ProcessedData, BootVariablesDescribe) {
  Bytes order = UefiVariable(EfiGlobalVariableGuid(), "BootOrder", {1, 0, 0x0A, 0});
  EXPECT_EQ(DescribeUefiEvent(Event(EV_EFI_VARIABLE_BOOT, order)),
            "BootOrder = 0001,000A");
}

}  // namespace
}  // namespace vigil::eventlog
