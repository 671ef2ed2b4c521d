#include "eventlog/extract/uefi/efi_signature_list.h"

#include <cstdint>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "eventlog/extract/uefi/test_util.h"

namespace vigil::eventlog {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::vigil::testing::StatusIs;
using uefi_test::Bytes;
using uefi_test::GuidBytes;
using uefi_test::PutU32;
using uefi_test::SelfSignedCertDer;
using uefi_test::SignatureList;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

TEST(EfiSignatureList, ParsesSha256ListWithOwners) {
  Bytes h1(32, 0x11), h2(32, 0x22);
  Bytes data = SignatureList(EfiCertSha256Guid(), {h1, h2});
  ASSERT_OK_AND_ASSIGN(auto lists, ParseEfiSignatureLists(data));
  ASSERT_THAT(lists, SizeIs(1));
  EXPECT_EQ(lists[0].signature_type, EfiCertSha256Guid());
  EXPECT_EQ(lists[0].signature_size, 48u);
  ASSERT_THAT(lists[0].signatures, SizeIs(2));
  EXPECT_EQ(lists[0].signatures[1].owner, EfiGlobalVariableGuid());
  EXPECT_EQ(Bytes(lists[0].signatures[1].data.begin(),
                  lists[0].signatures[1].data.end()),
            h2);
  EXPECT_EQ(lists[0].signatures[1].offset, 28u + 48u);
  EXPECT_EQ(*SignatureTypeName(lists[0].signature_type), "EFI_CERT_SHA256_GUID");
}

TEST(EfiSignatureList, EmptyInputIsNoLists) {
  ASSERT_OK_AND_ASSIGN(auto lists, ParseEfiSignatureLists({}));
  EXPECT_TRUE(lists.empty());
}

TEST(EfiSignatureList, DecodesX509Entries) {
  Bytes der = SelfSignedCertDer("Vigil Test PK");
  Bytes data = SignatureList(EfiCertX509Guid(), {der});
  ASSERT_OK_AND_ASSIGN(auto lists, ParseEfiSignatureLists(data));
  const EfiSignatureData& s = lists.at(0).signatures.at(0);
  ASSERT_TRUE(s.x509.has_value()) << s.x509_error;
  EXPECT_EQ(s.x509->subject, "CN=Vigil Test PK");
  EXPECT_EQ(s.x509->issuer, "CN=Vigil Test PK");
  EXPECT_EQ(s.x509->serial_hex, "2a");
  EXPECT_EQ(s.x509->sha256_fingerprint.size(), 64u);
}

TEST(EfiSignatureList, UndecodableCertificateIsKeptAndFlagged) {
  Bytes junk = {0x30, 0x03, 0x02, 0x01};  // truncated DER
  Bytes good(32, 0x33);
  Bytes data = SignatureList(EfiCertX509Guid(), {junk});
  Bytes more = SignatureList(EfiCertSha256Guid(), {good});
  data.insert(data.end(), more.begin(), more.end());
  ASSERT_OK_AND_ASSIGN(auto lists, ParseEfiSignatureLists(data));
  ASSERT_THAT(lists, SizeIs(2));
  const EfiSignatureData& s = lists[0].signatures.at(0);
  EXPECT_FALSE(s.x509.has_value());
  EXPECT_THAT(s.x509_error, HasSubstr("x509"));
  EXPECT_THAT(s.data, SizeIs(4));
  EXPECT_THAT(lists[1].signatures, SizeIs(1));
}

TEST(EfiSignatureList, TruncatedHeaderFailsWithOffset) {
  Bytes data = SignatureList(EfiCertSha256Guid(), {Bytes(32, 1)});
  Bytes two = data;
  two.insert(two.end(), data.begin(), data.begin() + 20);
  EXPECT_THAT(ParseEfiSignatureLists(two, 100),
              StatusIs(kInvalid, HasSubstr("offset 176: truncated")));
}

TEST(EfiSignatureList, ListSizeSmallerThanHeaderFails) {
  Bytes data = SignatureList(EfiCertSha256Guid(), {Bytes(32, 1)});
  PutU32(&data, 16, 27);
  EXPECT_THAT(ParseEfiSignatureLists(data),
              StatusIs(kInvalid, HasSubstr("offset 0: SignatureListSize 27")));
}

TEST(EfiSignatureList, ListSizeOverrunFails) {
  Bytes data = SignatureList(EfiCertSha256Guid(), {Bytes(32, 1)});
  PutU32(&data, 16, 0xFFFFFFFF);
  EXPECT_THAT(ParseEfiSignatureLists(data),
              StatusIs(kInvalid, HasSubstr("runs past the end")));
}

TEST(EfiSignatureList, HeaderSizeOverrunFails) {
  Bytes data = SignatureList(EfiCertSha256Guid(), {Bytes(32, 1)});
  PutU32(&data, 20, 49);  // list has 48 bytes after the fixed header
  EXPECT_THAT(ParseEfiSignatureLists(data),
              StatusIs(kInvalid, HasSubstr("SignatureHeaderSize 49")));
}

TEST(EfiSignatureList, SignatureSizeBelowSixteenFails) {
  for (uint32_t size : {0u, 1u, 15u}) {
    Bytes data = SignatureList(EfiCertX509Guid(), {Bytes(32, 1)});
    PutU32(&data, 24, size);
    EXPECT_THAT(ParseEfiSignatureLists(data),
                StatusIs(kInvalid, HasSubstr("is smaller than 16")))
        << size;
  }
}

TEST(EfiSignatureList, EntriesNotMultipleOfSignatureSizeFails) {
  Bytes data = SignatureList(EfiCertX509Guid(), {Bytes(32, 1)});
  PutU32(&data, 24, 47);
  EXPECT_THAT(ParseEfiSignatureLists(data),
              StatusIs(kInvalid, HasSubstr("not a multiple of SignatureSize 47")));
}

TEST(EfiSignatureList, FixedSizeTypeWithWrongSizeFails) {
  Bytes data = SignatureList(EfiCertSha256Guid(), {Bytes(20, 1)});
  EXPECT_THAT(ParseEfiSignatureLists(data),
              StatusIs(kInvalid, HasSubstr("want 48")));
}

TEST(EfiSignatureList, SecondListErrorNamesItsOffset) {
  Bytes data = SignatureList(EfiCertSha256Guid(), {Bytes(32, 1)});
  Bytes bad = SignatureList(EfiCertSha256Guid(), {Bytes(32, 1)});
  PutU32(&bad, 24, 3);
  data.insert(data.end(), bad.begin(), bad.end());
  EXPECT_THAT(ParseEfiSignatureLists(data, 1000),
              StatusIs(kInvalid, HasSubstr("offset 1076:")));
}

TEST(EfiSignatureList, TooManySignaturesFails) {
  // 70000 16-byte entries (owner only): bounded before allocation.
  Bytes data(28 + 16 * 70000, 0);
  std::copy(EfiCertX509Guid().bytes.begin(), EfiCertX509Guid().bytes.end(),
            data.begin());
  PutU32(&data, 16, static_cast<uint32_t>(data.size()));
  PutU32(&data, 24, 16);
  EXPECT_THAT(ParseEfiSignatureLists(data),
              StatusIs(kInvalid, HasSubstr("more than 65536 signatures")));
}

TEST(EfiSignatureData, ParsesOwnerAndData) {
  Bytes data = GuidBytes(EfiGlobalVariableGuid());
  data.push_back(0xAB);
  ASSERT_OK_AND_ASSIGN(EfiSignatureData s, ParseEfiSignatureData(data));
  EXPECT_EQ(s.owner, EfiGlobalVariableGuid());
  EXPECT_THAT(s.data, SizeIs(1));
  EXPECT_FALSE(s.x509.has_value());
}

TEST(EfiSignatureData, ShorterThanOwnerFails) {
  EXPECT_THAT(ParseEfiSignatureData(Bytes(15, 0), 7),
              StatusIs(kInvalid, HasSubstr("offset 7:")));
}

TEST(DecodeX509, TrailingBytesFail) {
  Bytes der = SelfSignedCertDer("x");
  der.push_back(0);
  EXPECT_THAT(DecodeX509(der), StatusIs(kInvalid, HasSubstr("follow")));
}

}  // namespace
}  // namespace vigil::eventlog
