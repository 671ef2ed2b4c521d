#include "eventlog/extract/windows/sipa.h"

#include <cstdint>
#include <vector>

#include "common/testing/status_matchers.h"
#include "eventlog/testing/log_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::eventlog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::vigil::eventlog::testing::PutU32;
using ::vigil::testing::StatusIs;
using json = nlohmann::ordered_json;

constexpr uint32_t kInformation = 0x00020001;  // SIPAEVENT_INFORMATION

std::vector<uint8_t> Tag(uint32_t id, const std::vector<uint8_t>& payload) {
  return ::vigil::eventlog::testing::SipaTag(id, payload);
}
using ::vigil::eventlog::testing::Cat;

// `levels` aggregations nested inside each other around one BOOLEAN.
std::vector<uint8_t> Nested(int levels) {
  std::vector<uint8_t> data = Tag(SIPAEVENT_CODEINTEGRITY, {1});
  for (int i = 0; i < levels; ++i) data = Tag(SIPAEVENT_TRUSTBOUNDARY, data);
  return data;
}

TEST(ParseSipaEvents, ParsesNestedAggregationsWithOffsets) {
  std::vector<uint8_t> data =
      Tag(SIPAEVENT_TRUSTBOUNDARY,
          Cat({Tag(SIPAEVENT_CODEINTEGRITY, {1}),
               Tag(SIPAEVENT_LOADEDMODULE_AGGREGATION,
                   Tag(SIPAEVENT_MODULE_SVN, {1, 0, 0, 0}))}));
  ASSERT_OK_AND_ASSIGN(std::vector<SipaEvent> events,
                       ParseSipaEvents(data, 100));
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].id, SIPAEVENT_TRUSTBOUNDARY);
  EXPECT_EQ(events[0].offset, 100u);
  ASSERT_THAT(events[0].children, SizeIs(2));
  EXPECT_EQ(events[0].children[0].offset, 108u);
  EXPECT_THAT(events[0].children[0].data, ElementsAre(1));
  EXPECT_EQ(events[0].children[1].offset, 117u);
  ASSERT_THAT(events[0].children[1].children, SizeIs(1));
  EXPECT_EQ(events[0].children[1].children[0].offset, 125u);
}

TEST(ParseSipaEvents, EmptyDataIsRejected) {
  EXPECT_THAT(ParseSipaEvents({}, 40),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("offset 40: no SIPA")));
}

TEST(ParseSipaEvents, TruncatedHeaderIsRejectedWithItsOffset) {
  std::vector<uint8_t> data = Tag(SIPAEVENT_CODEINTEGRITY, {1});
  data.insert(data.end(),
              {0x02, 0x00, 0x05, 0x00, 0x01});  // 5 of 8 header bytes
  EXPECT_THAT(
      ParseSipaEvents(data),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr("offset 9: truncated SIPA event header: 5 bytes left")));
}

TEST(ParseSipaEvents, EventDataSizePastEndIsRejected) {
  std::vector<uint8_t> data;
  PutU32(&data, SIPAEVENT_BOOTCOUNTER);
  PutU32(&data, 100);
  data.insert(data.end(), 8, 0);
  EXPECT_THAT(
      ParseSipaEvents(data, 7),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("offset 7: SIPA event 0x00020002: EventDataSize 100 "
                         "runs past the end (8 bytes left)")));
}

TEST(ParseSipaEvents, HugeEventDataSizeIsRejectedWithoutAllocating) {
  std::vector<uint8_t> data;
  PutU32(&data, SIPAEVENT_AUTHORITYPUBKEY);
  PutU32(&data, 0xFFFFFFFF);
  EXPECT_THAT(
      ParseSipaEvents(data),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr(
              "offset 0: SIPA event 0x00060002: EventDataSize 4294967295")));
}

TEST(ParseSipaEvents, ChildSizeIsBoundedByItsAggregation) {
  // The child claims 4 bytes; the aggregation holds only 8 + 1, although the
  // outer data has 4 more bytes after it.
  std::vector<uint8_t> child;
  PutU32(&child, SIPAEVENT_CODEINTEGRITY);
  PutU32(&child, 4);
  child.push_back(1);
  std::vector<uint8_t> data =
      Cat({Tag(SIPAEVENT_TRUSTBOUNDARY, child), {0, 0, 0, 0}});
  EXPECT_THAT(
      ParseSipaEvents(data),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("offset 8: SIPA event 0x00050002: EventDataSize 4 "
                         "runs past the end (1 bytes left)")));
}

TEST(ParseSipaEvents, TruncatedHeaderInsideAggregationIsRejected) {
  std::vector<uint8_t> data = Tag(SIPAEVENT_TRUSTBOUNDARY, {1, 2, 3});
  EXPECT_THAT(
      ParseSipaEvents(data),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr("offset 8: truncated SIPA event header: 3 bytes left")));
}

TEST(ParseSipaEvents, AcceptsMaximumNesting) {
  EXPECT_OK(ParseSipaEvents(Nested(kMaxSipaNesting)));
}

TEST(ParseSipaEvents, NestingTooDeepIsRejected) {
  const int levels = kMaxSipaNesting + 1;
  EXPECT_THAT(
      ParseSipaEvents(Nested(levels)),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr(
              "offset 64: SIPA aggregation 0x40010001 nested deeper than 8")));
}

TEST(ParseSipaEvents, TooManyEventsAreRejected) {
  std::vector<uint8_t> data;
  for (size_t i = 0; i <= kMaxSipaEvents; ++i) {
    PutU32(&data, kInformation);
    PutU32(&data, 0);
  }
  EXPECT_THAT(ParseSipaEvents(data),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("more than 65536")));
}

TEST(SipaEventsJson, RendersLevelsAsObjectsKeyedByEventName) {
  std::vector<uint8_t> data = Tag(
      SIPAEVENT_TRUSTBOUNDARY,
      Cat({Tag(SIPAEVENT_BOOTCOUNTER, {0xCE, 0, 0, 0, 0, 0, 0, 0}),
           Tag(SIPAEVENT_CODEINTEGRITY, {1}), Tag(SIPAEVENT_TESTSIGNING, {0}),
           Tag(SIPAEVENT_BITLOCKER_UNLOCK, {4, 0, 0, 0})}));
  ASSERT_OK_AND_ASSIGN(std::vector<SipaEvent> events, ParseSipaEvents(data));
  EXPECT_EQ(SipaEventsJson(events), json::parse(R"({"EVENT_TRUSTBOUNDARY": {
      "EVENT_BOOTCOUNTER": 206, "EVENT_CODEINTEGRITY": true,
      "EVENT_TESTSIGNING": false,
      "EVENT_BITLOCKER_UNLOCK": {"String": "TPM", "Value": 4}}})"));
}

TEST(SipaEventsJson, DocumentedArrayKeysAreArraysEvenWithOneElement) {
  std::vector<uint8_t> data =
      Cat({Tag(SIPAEVENT_TRUSTBOUNDARY,
               Cat({Tag(SIPAEVENT_LOADEDMODULE_AGGREGATION,
                        Tag(SIPAEVENT_MODULE_SVN, {1, 0, 0, 0}))})),
           Tag(SIPAEVENT_AUTHORITYPUBKEY, {0x30, 0x00})});
  ASSERT_OK_AND_ASSIGN(std::vector<SipaEvent> events, ParseSipaEvents(data));
  EXPECT_EQ(SipaEventsJson(events), json::parse(R"({
      "EVENT_TRUSTBOUNDARY": {"EVENT_LOADEDMODULE_AGGREGATION": [{"EVENT_MODULE_SVN": 1}]},
      "EVENT_AUTHORITYPUBKEY": ["MAA"]})"));
}

TEST(SipaEventsJson, RepeatedOtherKeyBecomesArrayOfItsValues) {
  std::vector<uint8_t> data =
      Tag(SIPAEVENT_TRUSTBOUNDARY,
          Cat({Tag(SIPAEVENT_CODEINTEGRITY, {1}), Tag(SIPAEVENT_SAFEMODE, {0}),
               Tag(SIPAEVENT_CODEINTEGRITY, {1}),
               Tag(SIPAEVENT_CODEINTEGRITY, {0})}));
  ASSERT_OK_AND_ASSIGN(std::vector<SipaEvent> events, ParseSipaEvents(data));
  EXPECT_EQ(SipaEventsJson(events), json::parse(R"({"EVENT_TRUSTBOUNDARY": {
      "EVENT_CODEINTEGRITY": [true, true, false], "EVENT_SAFEMODE": false}})"));
}

TEST(SipaEventsJson, UnknownIdsKeepTheirHexIdAndBase64UrlPayload) {
  std::vector<uint8_t> data = Cat({Tag(0x00000005, {0xFB, 0xFF}),
                                   Tag(0x40FF0001, Tag(SIPAEVENT_WINPE, {0}))});
  ASSERT_OK_AND_ASSIGN(std::vector<SipaEvent> events, ParseSipaEvents(data));
  EXPECT_EQ(SipaEventsJson(events), json::parse(R"({
      "EVENT_UNKNOWN_0x00000005": "-_8",
      "EVENT_UNKNOWN_0x40FF0001": {"EVENT_WINPE": false}})"));
}

TEST(SipaEventsJson, DrtmSmmLevelUsesThePolicyKey) {
  std::vector<uint8_t> data = Tag(SIPAEVENT_DRTM_SMM_LEVEL, {3});
  ASSERT_OK_AND_ASSIGN(std::vector<SipaEvent> events, ParseSipaEvents(data));
  EXPECT_EQ(SipaEventsJson(events),
            json::parse(R"({"EVENT_DRTM_SMM": {"Value": 3}})"));
}

TEST(SipaProcessedData, MalformedDataIsNullopt) {
  std::vector<uint8_t> data = {1, 0, 1, 0x40, 9, 0, 0, 0};
  RawEvent ev;
  ev.data = data;
  EXPECT_EQ(SipaProcessedData(ev), std::nullopt);
}

TEST(SipaProcessedData, WellFormedDataIsKeyedByOuterTag) {
  std::vector<uint8_t> data =
      Tag(SIPAEVENT_TRUSTBOUNDARY, Tag(SIPAEVENT_WINPE, {1}));
  RawEvent ev;
  ev.data = data;
  EXPECT_EQ(SipaProcessedData(ev),
            json::parse(R"({"EVENT_TRUSTBOUNDARY": {"EVENT_WINPE": true}})"));
}

TEST(SipaJsonKey, FollowsTheMaaNamingRules) {
  EXPECT_EQ(SipaJsonKey(SIPAEVENT_TRUSTBOUNDARY), "EVENT_TRUSTBOUNDARY");
  EXPECT_EQ(SipaJsonKey(SIPAEVENT_TRUSTPOINT_AGGREGATION),
            "EVENT_TRUSTPOINT_AGGREGATION");
  EXPECT_EQ(SipaJsonKey(0x80080003), "EVENT_AIKID");
  EXPECT_EQ(SipaJsonKey(SIPAEVENT_DRTM_SMM_LEVEL), "EVENT_DRTM_SMM");
  EXPECT_EQ(SipaJsonKey(0x000C0001), "EVENT_DRTM_STATE_AUTH");
  EXPECT_EQ(SipaJsonKey(0x0005000B), "EVENT_HYPERVISOR_PATH");
  EXPECT_EQ(SipaJsonKey(0x00050015), "EVENT_UNKNOWN_0x00050015");
  EXPECT_EQ(SipaJsonKey(0xFFFFFFFF), "EVENT_UNKNOWN_0xFFFFFFFF");
}

TEST(LookupSipaId, KnowsEveryIdOfTheSpecTable) {
  // maa-spec.md §3.4, one entry per listed ID.
  const uint32_t kSpecIds[] = {
      0x40010001, 0x40010002, 0x40010003, 0xC0010004, 0x40010005, 0x40010006,
      0x00030001, 0x80030002, 0x00030003, 0x80030004, 0x00020001, 0x00020002,
      0x00020003, 0x00020004, 0x00020005, 0x00020006, 0x00020007, 0x00020008,
      0x00020009, 0x0002000A, 0x0002000B, 0x00040001, 0x00040002, 0x00050001,
      0x00050002, 0x00050003, 0x00050004, 0x00050005, 0x00050006, 0x00050007,
      0x00050008, 0x00050009, 0x0005000A, 0x0005000B, 0x0005000C, 0x0005000D,
      0x0005000E, 0x0005000F, 0x00050010, 0x00050011, 0x00050012, 0x00050013,
      0x00050014, 0x00050020, 0x00050021, 0x00050022, 0x00050023, 0x00050024,
      0x00050025, 0x00050026, 0x00050027, 0x00050028, 0x00050029, 0x00050030,
      0x00060001, 0x00060002, 0x00070001, 0x00070002, 0x00070003, 0x00070004,
      0x00070005, 0x00070006, 0x00070007, 0x00070008, 0x00070009, 0x0007000A,
      0x0007000B, 0x80080001, 0x80080002, 0x80080003, 0x80080004, 0x00090001,
      0x00090002, 0x00090003, 0x00090004, 0x000A0001, 0x000A0002, 0x000A0003,
      0x000A0004, 0x000A0005, 0x000A0006, 0x000A0007, 0x000A0008, 0x000A0009,
      0x000A000A, 0x000B0001, 0x000C0001, 0x000C0002, 0x000C0003, 0x000C0004};
  for (uint32_t id : kSpecIds) {
    EXPECT_TRUE(LookupSipaId(id).has_value()) << std::hex << id;
  }
  // Boundaries around the table.
  EXPECT_FALSE(LookupSipaId(0).has_value());
  EXPECT_FALSE(LookupSipaId(0x00020000).has_value());
  EXPECT_FALSE(LookupSipaId(0xC0010005).has_value());
  EXPECT_FALSE(LookupSipaId(0xFFFFFFFF).has_value());
}

TEST(SipaAlwaysArray, CoversExactlyTheDocumentedKeys) {
  EXPECT_TRUE(SipaAlwaysArray(SIPAEVENT_LOADEDMODULE_AGGREGATION));
  EXPECT_TRUE(SipaAlwaysArray(SIPAEVENT_SI_POLICY));
  EXPECT_TRUE(SipaAlwaysArray(SIPAEVENT_SI_POLICY_SIGNER));
  EXPECT_TRUE(SipaAlwaysArray(SIPAEVENT_AUTHORITYPUBKEY));
  EXPECT_FALSE(SipaAlwaysArray(SIPAEVENT_TRUSTBOUNDARY));
  EXPECT_FALSE(SipaAlwaysArray(SIPAEVENT_ELAM_AGGREGATION));
}

}  // namespace
}  // namespace vigil::eventlog
