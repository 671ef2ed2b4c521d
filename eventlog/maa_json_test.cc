#include "eventlog/maa_json.h"

#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "eventlog/claims.h"
#include "eventlog/event_types.h"
#include "eventlog/parser.h"
#include "eventlog/replay.h"
#include "eventlog/testing/log_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::eventlog {
namespace {

using json = nlohmann::ordered_json;
using testing::HashOf;
using testing::LogBuilder;
using testing::Str;
using tpm::HashAlg;

ReplayedLog Insecure(const LogBuilder& b) {
  return *InsecureReplayWithoutQuote(*Parse(b.Bytes()));
}

TEST(EventsJson, HasAzuresShapeAndOmitsNoActionRecords) {
  LogBuilder b({HashAlg::kSha1, HashAlg::kSha256});
  b.AddStartupLocality(3)
      .Add(5, EV_EFI_ACTION, Str("Exit Boot Services Invocation"))
      .Add(kNoPcr, EV_NO_ACTION, Str("trust point"));
  json j = RenderEventsJson(Insecure(b));
  ASSERT_EQ(j["Events"].size(), 1u);
  const json& e = j["Events"][0];
  EXPECT_EQ(e["EventSeq"], 2);  // header 0, StartupLocality 1
  EXPECT_EQ(e["PcrIndex"], 5);
  EXPECT_EQ(e["EventType"], 2147483655u);
  EXPECT_EQ(e["EventTypeString"], "EV_EFI_ACTION");
  EXPECT_EQ(e["Digests"]["SHA256"],
            Base64UrlEncode(HashOf(HashAlg::kSha256, Str("Exit Boot Services Invocation"))));
  EXPECT_TRUE(e["Digests"].contains("SHA1"));
  EXPECT_EQ(e["RawData"], Base64UrlEncode(Str("Exit Boot Services Invocation")));
  EXPECT_EQ(e["ProcessedData"]["Data"], "Exit Boot Services Invocation");
}

TEST(EventsJson, Sha1LogWithoutHeaderNumbersItsFirstRecordOne) {
  LogBuilder b({});
  b.Add(4, EV_SEPARATOR, {0, 0, 0, 0});
  json j = RenderEventsJson(Insecure(b));
  ASSERT_EQ(j["Events"].size(), 1u);
  EXPECT_EQ(j["Events"][0]["EventSeq"], 1);
}

TEST(EventsJson, UntrustedEventsAreLeftOut) {
  LogBuilder b({HashAlg::kSha256});
  b.Add(4, EV_SEPARATOR, {0, 0, 0, 0});                     // trusted
  b.AddWithDigests(5, EV_EFI_ACTION, Str("forged"),          // data forged
                   {{HashAlg::kSha256, HashOf(HashAlg::kSha256, Str("real"))}});
  b.Add(6, 0x0000ABCD, Str("relabeled"));                    // unknown type
  b.Add(7, EV_SEPARATOR, {0, 0, 0, 0});                      // PCR 7 not quoted
  EventLog log = *Parse(b.Bytes());
  std::vector<BankReplay> banks = *ReplayDigests(log);
  tpm::PcrBank quoted{HashAlg::kSha256, {}};
  for (uint32_t p : {4u, 5u, 6u}) quoted.values[p] = banks[0].values[p];
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, Replay(log, {quoted}));
  json j = RenderEventsJson(r);
  ASSERT_EQ(j["Events"].size(), 1u);
  EXPECT_EQ(j["Events"][0]["PcrIndex"], 4);
}

TEST(PcrsJson, ListsEachPcrOnceWithLowerCaseHexPerBank) {
  tpm::PcrBank sha1{HashAlg::kSha1, {{0, tpm::Digest(20, 0xAB)}, {7, tpm::Digest(20, 1)}}};
  tpm::PcrBank sha256{HashAlg::kSha256, {{7, tpm::Digest(32, 0xCD)}}};
  json j = RenderPcrsJson(std::vector<tpm::PcrBank>{sha1, sha256});
  ASSERT_EQ(j["PCRs"].size(), 2u);
  EXPECT_EQ(j["PCRs"][0]["Index"], 0);
  EXPECT_EQ(j["PCRs"][0]["Digests"]["SHA1"], HexEncode(tpm::Digest(20, 0xAB)));
  EXPECT_EQ(j["PCRs"][0]["Digests"]["SHA1"].get<std::string>().substr(0, 4), "abab");
  EXPECT_FALSE(j["PCRs"][0]["Digests"].contains("SHA256"));
  EXPECT_EQ(j["PCRs"][1]["Index"], 7);
  EXPECT_EQ(j["PCRs"][1]["Digests"]["SHA256"], HexEncode(tpm::Digest(32, 0xCD)));
  EXPECT_EQ(j["PCRs"][1]["Digests"]["SHA1"], HexEncode(tpm::Digest(20, 1)));
}

TEST(Claims, AQuirkUsedInReplayIsVisibleAsAClaim) {
  LogBuilder b({HashAlg::kSha256});
  b.Add(5, EV_EFI_ACTION, Str("Calling EFI Application from Boot Option"));
  EventLog log = *Parse(b.Bytes());
  tpm::Digest pcr5 = ReplayDigests(log)->at(0).values[5];
  for (const char* s : {"Exit Boot Services Invocation",
                        "Exit Boot Services Returned with Success"}) {
    ASSERT_OK(tpm::Extend(HashAlg::kSha256, &pcr5, HashOf(HashAlg::kSha256, Str(s))));
  }
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, Replay(log, {tpm::PcrBank{HashAlg::kSha256, {{5, pcr5}}}}));
  DerivedClaims claims = DeriveClaims(r);
  const ClaimValue* quirks = claims.Find("vigilReplayQuirks");
  ASSERT_NE(quirks, nullptr);
  EXPECT_EQ(std::get<std::string>(*quirks), "ebs-invocation-success-unlogged@pcr5/sha256");
}

TEST(Claims, NoQuirkNoQuirkClaimAndJsonKeepsTypes) {
  LogBuilder b({HashAlg::kSha256});
  b.Add(7, EV_SEPARATOR, {0, 0, 0, 0});
  DerivedClaims claims = DeriveClaims(Insecure(b));
  EXPECT_EQ(claims.Find("vigilReplayQuirks"), nullptr);
  json j = ClaimsToJson(claims);
  ASSERT_TRUE(j.contains("secureBootEnabled"));
  EXPECT_TRUE(j["secureBootEnabled"].is_boolean());
  ASSERT_TRUE(j.contains("depPolicy"));
  EXPECT_TRUE(j["depPolicy"].is_number_integer());
}

}  // namespace
}  // namespace vigil::eventlog
