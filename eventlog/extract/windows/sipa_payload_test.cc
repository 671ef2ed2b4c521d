#include "eventlog/extract/windows/sipa_payload.h"

#include <cstdint>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "eventlog/extract/windows/sipa_ids.h"
#include "eventlog/testing/log_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::eventlog {
namespace {

using ::vigil::eventlog::testing::PutU16;
using ::vigil::eventlog::testing::PutU32;
using ::vigil::eventlog::testing::PutU64;
using ::vigil::eventlog::testing::Utf16;
using json = nlohmann::ordered_json;

std::vector<uint8_t> Hex(const std::string& hex) { return *HexDecode(hex); }

std::string B64(const std::vector<uint8_t>& bytes) {
  return Base64UrlEncode(bytes);
}

TEST(SipaPayloadJson, BooleanIsTrueOrFalse) {
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_CODEINTEGRITY, std::vector<uint8_t>{1}),
            json(true));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_SAFEMODE, std::vector<uint8_t>{0}),
            json(false));
}

TEST(SipaPayloadJson, BooleanOtherThanZeroOrOneIsRawBytes) {
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_CODEINTEGRITY, std::vector<uint8_t>{2}),
            json("Ag"));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_CODEINTEGRITY,
                            std::vector<uint8_t>{1, 0, 0, 0}),
            json("AQAAAA"));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_SAFEMODE, std::vector<uint8_t>{}),
            json(""));
}

TEST(SipaPayloadJson, CountersKeepAllSixtyFourBits) {
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_BOOTCOUNTER, Hex("ce00000000000000")),
            json(206));
  json big = SipaPayloadJson(SIPAEVENT_BOOTCOUNTER, Hex("ffffffffffffffff"));
  ASSERT_TRUE(big.is_number_unsigned());
  EXPECT_EQ(big.get<uint64_t>(), 0xFFFFFFFFFFFFFFFFull);
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_APPLICATION_SVN, Hex("01000000")),
            json(1));
}

TEST(SipaPayloadJson, CounterOfOddWidthIsRawBytes) {
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_APPLICATION_SVN, Hex("010000")),
            json("AQAA"));
}

TEST(SipaPayloadJson, EnumerationsCarryStringAndValue) {
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_TRANSFER_CONTROL, Hex("01000000")),
            json::parse(R"({"String":"SiBootAppOsLoader","Value":1})"));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_TRANSFER_CONTROL, Hex("05000000")),
            json::parse(R"({"String":"SiBootHypervisor","Value":5})"));
  EXPECT_EQ(
      SipaPayloadJson(SIPAEVENT_VBS_HVCI_POLICY, Hex("0100000000000000")),
      json::parse(
          R"({"String":"HypervisorEnforcedCodeIntegrityEnable","Value":1})"));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_HASHALGORITHMID, Hex("0c800000")),
            json::parse(R"({"String":"CALG_SHA_256","Value":32780})"));
  EXPECT_EQ(
      SipaPayloadJson(SIPAEVENT_OSDEVICE, Hex("04000100")),
      json::parse(
          R"({"String":"OSDEVICE_TYPE_BLOCKIO_PARTITION","Value":65540})"));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_DATAEXECUTIONPREVENTION,
                            Hex("0000000000000000")),
            json::parse(R"({"String":"NxPolicyOptIn","Value":0})"));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_DRIVER_LOAD_POLICY, Hex("01000000")),
            json::parse(R"({"String":"GoodPlusUnknown","Value":1})"));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_VSM_LAUNCH_TYPE, Hex("0100000000000000")),
            json::parse(R"({"String":"VsmLaunchAuto","Value":1})"));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_HYPERVISOR_LAUNCH_TYPE,
                            Hex("0100000000000000")),
            json::parse(R"({"String":"HypervisorLaunchAuto","Value":1})"));
}

TEST(SipaPayloadJson, UnknownEnumerationValueHasNoString) {
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_VBS_HVCI_POLICY, Hex("0200000000000000")),
            json::parse(R"({"Value":2})"));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_DRTM_SMM_LEVEL, Hex("03")),
            json::parse(R"({"Value":3})"));
}

TEST(SipaPayloadJson, BitlockerUnlockFlagsAreNamed) {
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_BITLOCKER_UNLOCK, Hex("04000000")),
            json::parse(R"({"String":"TPM","Value":4})"));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_BITLOCKER_UNLOCK, Hex("00000000")),
            json::parse(R"({"String":"NONE","Value":0})"));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_BITLOCKER_UNLOCK, Hex("14000000")),
            json::parse(R"({"String":"TPM|PIN","Value":20})"));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_BITLOCKER_UNLOCK, Hex("08000000")),
            json::parse(R"({"Value":8})"));
}

TEST(SipaPayloadJson, Utf16StringsDropTrailingNuls) {
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_FILEPATH,
                            Utf16("\\WINDOWS\\system32\\winload.efi", true)),
            json("\\WINDOWS\\system32\\winload.efi"));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_FILEPATH, Utf16("a")), json("a"));
}

TEST(SipaPayloadJson, InvalidUtf16IsRawBytes) {
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_FILEPATH, Hex("610062")),
            json("YQBi"));  // odd
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_FILEPATH, Hex("61000000620000")),
            json("YQAAAGIAAA"));  // odd
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_FILEPATH, Hex("6100000062000000")),
            json("YQAAAGIAAAA"));  // embedded NUL
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_FILEPATH, Hex("00d86100")),
            json("ANhhAA"));
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_FILEPATH, Hex("00dc")), json("ANw"));
}

TEST(SipaUtf16ToUtf8, DecodesSurrogatePairs) {
  EXPECT_EQ(SipaUtf16ToUtf8(Hex("3dd800de")), "\xF0\x9F\x98\x80");
  EXPECT_EQ(SipaUtf16ToUtf8(Hex("e900")), "\xC3\xA9");
  EXPECT_EQ(SipaUtf16ToUtf8(Hex("0000")), "");
}

TEST(SipaPayloadJson, BlobsAreBase64Url) {
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_AUTHORITYPUBKEY, Hex("fbff")),
            json("-_8"));
}

// Bytes of a real BOOT_REVOCATION_LIST (x1carbon corpus log, PCR 13).
constexpr char kRevocationList[] =
    "0033171a9b2cd701200000000b0033deea740fc6907241a538dcd19756c2f72a96eabd4d"
    "83607142b5984b315b14";

TEST(SipaPayloadJson, RevocationListIsAnObject) {
  std::vector<uint8_t> p = Hex(kRevocationList);
  json j = SipaPayloadJson(SIPAEVENT_BOOT_REVOCATION_LIST, p);
  EXPECT_EQ(j["CreationTime"], json(132623758700000000ll));
  EXPECT_EQ(j["HashAlgId"], json("SHA256"));
  EXPECT_EQ(j["Digest"],
            json(B64(std::vector<uint8_t>(p.begin() + 14, p.end()))));
  EXPECT_EQ(j["RawData"], json(B64(p)));
  EXPECT_EQ(j.size(), 4u);
}

TEST(SipaPayloadJson, RevocationListWithWrongDigestLengthIsRawBytes) {
  std::vector<uint8_t> p = Hex(kRevocationList);
  p[8] = 0x21;  // DigestLength 33 > the 32 bytes present
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_OS_REVOCATION_LIST, p), json(B64(p)));
  p[8] = 0x1F;  // 31: one trailing byte left over
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_OS_REVOCATION_LIST, p), json(B64(p)));
}

std::vector<uint8_t> SiPolicy(uint16_t name_len_delta = 0) {
  std::vector<uint8_t> name = Utf16("DriverSiPolicy.p7b", true);
  std::vector<uint8_t> p;
  PutU64(&p, 0x000A000053020000ull);
  PutU16(&p, static_cast<uint16_t>(name.size() + name_len_delta));
  PutU16(&p, 0x000B);
  PutU32(&p, 4);
  p.insert(p.end(), name.begin(), name.end());
  p.insert(p.end(), {0xDE, 0xAD, 0xBE, 0xEF});
  return p;
}

TEST(SipaPayloadJson, SiPolicyIsAnObject) {
  std::vector<uint8_t> p = SiPolicy();
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_SI_POLICY, p),
            json({{"PolicyName", "DriverSiPolicy.p7b"},
                  {"PolicyVersion", 0x000A000053020000ull},
                  {"HashAlgId", "SHA256"},
                  {"Digest", "3q2-7w"},
                  {"RawData", B64(p)}}));
}

TEST(SipaPayloadJson, SiPolicyWithInconsistentLengthsIsRawBytes) {
  std::vector<uint8_t> p = SiPolicy(/*name_len_delta=*/6);
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_SI_POLICY, p), json(B64(p)));
}

TEST(SipaPayloadJson, SbcpInfoIsAnObject) {
  std::vector<uint8_t> p =
      Hex("01000000140000000b0020000000000000000000ece4c1841c6a72fa3f782e2b2139"
          "e338d7"
          "8abd41761f8952f5691797712bacda");
  json j = SipaPayloadJson(0x00050029, p);
  EXPECT_EQ(j["PayloadVersion"], json(1));
  EXPECT_EQ(j["HashAlgId"], json("SHA256"));
  EXPECT_EQ(j["Digest"],
            json(B64(std::vector<uint8_t>(p.begin() + 20, p.end()))));
  EXPECT_EQ(j["Options"], json("SecureBootPolicy: default (no options set)"));
  EXPECT_EQ(j["SignersCount"], json(0));
}

TEST(SipaPayloadJson, SbcpInfoWithVarDataPastEndIsRawBytes) {
  std::vector<uint8_t> p =
      Hex("0100000015000000"
          "0b002000"
          "00000000"
          "00000000");
  p.resize(52, 0xAA);  // VarDataOffset 21 + 32 > 52
  EXPECT_EQ(SipaPayloadJson(0x00050029, p), json(B64(p)));
}

std::vector<uint8_t> VsmIdk(uint32_t modulus_len_field) {
  std::vector<uint8_t> p;
  PutU32(&p, 1);  // VSM_IDK_ALG_ID_RSA
  PutU32(&p, 2048);
  PutU32(&p, 3);
  PutU32(&p, modulus_len_field);
  p.insert(p.end(), {0x01, 0x00, 0x01});
  p.insert(p.end(), 256, 0xC3);
  return p;
}

TEST(SipaPayloadJson, VsmIdkInfoIsAnObject) {
  json j = SipaPayloadJson(0x00050023, VsmIdk(256));
  EXPECT_EQ(j["Vsm_idk_alg_id"], json("VSM_IDK_ALG_ID_RSA"));
  EXPECT_EQ(j["RsaKeyBitLength"], json(2048));
  EXPECT_EQ(j["RsaPublicExponent"], json("AQAB"));
  EXPECT_EQ(j["RsaModulus"], json(B64(std::vector<uint8_t>(256, 0xC3))));
}

TEST(SipaPayloadJson, VsmIdkInfoWithOversizedModulusIsRawBytes) {
  std::vector<uint8_t> p = VsmIdk(0x80000000);
  EXPECT_EQ(SipaPayloadJson(0x00050020, p), json(B64(p)));
}

std::vector<uint8_t> PolicySigner(uint16_t cert_count) {
  std::vector<uint8_t> name = Utf16("P", true);
  std::vector<uint8_t> ekus = {3, 0x2B, 0x06, 0x01};
  std::vector<uint8_t> cert;
  std::vector<uint8_t> pub = Utf16("Pub"), iss = Utf16("Iss");
  PutU16(&cert, static_cast<uint16_t>(pub.size()));
  PutU16(&cert, static_cast<uint16_t>(iss.size()));
  PutU32(&cert, 0x800C);
  PutU16(&cert, 2);
  cert.insert(cert.end(), pub.begin(), pub.end());
  cert.insert(cert.end(), iss.begin(), iss.end());
  cert.insert(cert.end(), {0xAB, 0xCD});
  std::vector<uint8_t> p;
  PutU32(&p, 7);  // RootID
  PutU32(&p, static_cast<uint32_t>(cert.size()));
  PutU16(&p, cert_count);
  PutU16(&p, static_cast<uint16_t>(name.size()));
  PutU16(&p, static_cast<uint16_t>(ekus.size()));
  PutU16(&p, 1);
  p.insert(p.end(), name.begin(), name.end());
  p.insert(p.end(), ekus.begin(), ekus.end());
  p.insert(p.end(), cert.begin(), cert.end());
  return p;
}

TEST(SipaPayloadJson, SiPolicySignerIsAnObject) {
  std::vector<uint8_t> p = PolicySigner(1);
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_SI_POLICY_SIGNER, p), json::parse(R"({
      "PolicyName": "P", "RootId": 7, "EKUs": ["KwYB"],
      "Certificates": [{"CapiHashAlgId": {"String": "CALG_SHA_256", "Value": 32780},
                        "Digest": "q80", "IssuerCommonName": "Iss",
                        "PublisherCommonName": "Pub"}],
      "RawData": ")" + B64(p) + R"("})"));
}

TEST(SipaPayloadJson, SiPolicySignerWithWrongCertificateCountIsRawBytes) {
  std::vector<uint8_t> p = PolicySigner(2);
  EXPECT_EQ(SipaPayloadJson(SIPAEVENT_SI_POLICY_SIGNER, p), json(B64(p)));
}

TEST(SipaPayloadJson, DrtmStateAuthHasNoComputedSignatureValid) {
  EXPECT_EQ(SipaPayloadJson(0x000C0001, Hex("0102")),
            json::parse(R"({"RawData":"AQI"})"));
}

TEST(SipaPayloadJson, UnknownIdIsRawBytes) {
  EXPECT_EQ(SipaPayloadJson(0x00050015, Hex("01")), json("AQ"));
}

}  // namespace
}  // namespace vigil::eventlog
