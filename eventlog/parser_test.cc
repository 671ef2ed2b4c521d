#include "eventlog/parser.h"

#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "eventlog/event_types.h"
#include "eventlog/testing/log_builder.h"
#include "eventlog/uefi_variable.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::eventlog {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;
using testing::LogBuilder;
using testing::PutU16;
using testing::PutU32;
using testing::Str;
constexpr auto kBad = absl::StatusCode::kInvalidArgument;

TEST(Parse, CryptoAgileLogWithTwoBanks) {
  LogBuilder b({tpm::HashAlg::kSha1, tpm::HashAlg::kSha256});
  b.Add(0, EV_S_CRTM_VERSION, Str("v1")).Add(7, EV_SEPARATOR, {0, 0, 0, 0});
  ASSERT_OK_AND_ASSIGN(EventLog log, Parse(b.Bytes()));
  EXPECT_EQ(log.format, LogFormat::kCryptoAgile);
  EXPECT_THAT(log.algorithms,
              ::testing::ElementsAre(tpm::HashAlg::kSha1, tpm::HashAlg::kSha256));
  ASSERT_EQ(log.events.size(), 3u);
  EXPECT_EQ(log.events[2].pcr_index, 7u);
  EXPECT_EQ(log.events[2].untrusted_type, EV_SEPARATOR);
  EXPECT_EQ(log.events[2].digests.size(), 2u);
  EXPECT_EQ(log.events[2].DigestFor(tpm::HashAlg::kSha256)->size(), 32u);
  EXPECT_EQ(log.spec_id->signature, "Spec ID Event03");
}

TEST(Parse, Sha1FormatLog) {
  LogBuilder b({});
  b.Add(0, EV_POST_CODE, Str("abc")).Add(4, EV_SEPARATOR, {0, 0, 0, 0});
  ASSERT_OK_AND_ASSIGN(EventLog log, Parse(b.Bytes()));
  EXPECT_EQ(log.format, LogFormat::kSha1);
  EXPECT_EQ(log.events.size(), 2u);
  EXPECT_EQ(log.events[1].offset, 35u);  // 32-byte header + 3 data bytes
}

TEST(Parse, StartupLocalityIsRecorded) {
  LogBuilder b({tpm::HashAlg::kSha256});
  b.AddStartupLocality(3);
  ASSERT_OK_AND_ASSIGN(EventLog log, Parse(b.Bytes()));
  EXPECT_EQ(log.startup_locality, 3);
}

TEST(Parse, PcrIndexAllOnesIsAcceptedOthersAbove23Rejected) {
  LogBuilder ok({tpm::HashAlg::kSha256});
  ok.Add(kNoPcr, EV_NO_ACTION, Str("trustpoint"));
  EXPECT_OK(Parse(ok.Bytes()));
  LogBuilder edge({tpm::HashAlg::kSha256});
  edge.Add(23, EV_POST_CODE, Str("x"));
  EXPECT_OK(Parse(edge.Bytes()));
  LogBuilder bad({tpm::HashAlg::kSha256});
  const size_t at = bad.size();
  bad.Add(24, EV_POST_CODE, Str("x"));
  EXPECT_THAT(Parse(bad.Bytes()),
              StatusIs(kBad, HasSubstr("offset " + std::to_string(at) +
                                       ": event 1: pcr index 24")));
}

TEST(Parse, EmptyAndOversizedInputsAreRejected) {
  EXPECT_THAT(Parse({}), StatusIs(kBad, HasSubstr("empty")));
  std::vector<uint8_t> huge(kMaxLogSize + 1, 0);
  EXPECT_THAT(Parse(huge), StatusIs(kBad, HasSubstr("exceeds the limit")));
}

// go-attestation TestParseEventLogEventSizeTooLarge: a 3.18 GB event size.
TEST(Parse, EventSizeLargerThanTheLogIsRejectedWithOffset) {
  LogBuilder b({tpm::HashAlg::kSha256});
  const size_t at = b.size();
  b.Add(0, EV_POST_CODE, Str("abcd"));
  std::vector<uint8_t>& bytes = b.MutableBytes();
  // eventSize sits after pcr(4) type(4) count(4) alg(2) digest(32).
  const size_t size_at = at + 4 + 4 + 4 + 2 + 32;
  bytes[size_at] = 0x00;
  bytes[size_at + 1] = 0x00;
  bytes[size_at + 2] = 0xb8;
  bytes[size_at + 3] = 0xbd;
  EXPECT_THAT(Parse(bytes), StatusIs(kBad, HasSubstr("offset " +
                                                     std::to_string(size_at) +
                                                     ": event 1: eventSize exceeds")));
}

TEST(Parse, DigestCountZeroOrAboveTheDeclaredBanksIsRejected) {
  LogBuilder b({tpm::HashAlg::kSha1, tpm::HashAlg::kSha256});
  for (uint32_t count : {0u, 3u, 0xffffffffu}) {
    std::vector<uint8_t> bytes = b.Bytes();
    const size_t at = bytes.size();
    PutU32(&bytes, 0);
    PutU32(&bytes, EV_POST_CODE);
    PutU32(&bytes, count);
    PutU16(&bytes, 0x000B);
    bytes.insert(bytes.end(), 32, 0xaa);
    PutU32(&bytes, 0);
    EXPECT_THAT(Parse(bytes),
                StatusIs(kBad, HasSubstr("offset " + std::to_string(at + 8) +
                                         ": event 1: has " + std::to_string(count) +
                                         " digests")));
  }
}

// Windows logs measure some events into the SHA-256 bank only.
TEST(Parse, FewerDigestsThanBanksIsAccepted) {
  LogBuilder b({tpm::HashAlg::kSha1, tpm::HashAlg::kSha256});
  std::vector<uint8_t> bytes = b.Bytes();
  PutU32(&bytes, 11);
  PutU32(&bytes, EV_COMPACT_HASH);
  PutU32(&bytes, 1);
  PutU16(&bytes, 0x000B);
  bytes.insert(bytes.end(), 32, 0xaa);
  PutU32(&bytes, 0);
  ASSERT_OK_AND_ASSIGN(EventLog log, Parse(bytes));
  EXPECT_FALSE(log.events[1].DigestFor(tpm::HashAlg::kSha1).has_value());
  EXPECT_TRUE(log.events[1].DigestFor(tpm::HashAlg::kSha256).has_value());
}

TEST(Parse, UndeclaredOrRepeatedDigestAlgorithmIsRejected) {
  LogBuilder b({tpm::HashAlg::kSha1, tpm::HashAlg::kSha256});
  std::vector<uint8_t> undeclared = b.Bytes();
  PutU32(&undeclared, 0);
  PutU32(&undeclared, EV_POST_CODE);
  PutU32(&undeclared, 2);
  PutU16(&undeclared, 0x000C);  // sha384, not declared
  undeclared.insert(undeclared.end(), 48, 0);
  EXPECT_THAT(Parse(undeclared), StatusIs(kBad, HasSubstr("not declared")));

  std::vector<uint8_t> repeated = b.Bytes();
  PutU32(&repeated, 0);
  PutU32(&repeated, EV_POST_CODE);
  PutU32(&repeated, 2);
  PutU16(&repeated, 0x0004);
  repeated.insert(repeated.end(), 20, 0);
  PutU16(&repeated, 0x0004);
  repeated.insert(repeated.end(), 20, 0);
  PutU32(&repeated, 0);
  EXPECT_THAT(Parse(repeated), StatusIs(kBad, HasSubstr("appears twice")));
}

std::vector<uint8_t> SpecIdLog(uint32_t num_algs,
                               std::vector<std::pair<uint16_t, uint16_t>> algs,
                               bool truncate_vendor = false) {
  std::vector<uint8_t> spec = Str(std::string("Spec ID Event03") + '\0');
  PutU32(&spec, 0);
  spec.insert(spec.end(), {0, 2, 0, 2});
  PutU32(&spec, num_algs);
  for (auto [id, size] : algs) {
    PutU16(&spec, id);
    PutU16(&spec, size);
  }
  if (!truncate_vendor) spec.push_back(0);
  std::vector<uint8_t> out;
  PutU32(&out, 0);
  PutU32(&out, EV_NO_ACTION);
  out.insert(out.end(), 20, 0);
  PutU32(&out, static_cast<uint32_t>(spec.size()));
  out.insert(out.end(), spec.begin(), spec.end());
  return out;
}

TEST(Parse, MalformedSpecIdEventsAreRejected) {
  EXPECT_THAT(Parse(SpecIdLog(0, {})), StatusIs(kBad, HasSubstr("numberOfAlgorithms 0")));
  EXPECT_THAT(Parse(SpecIdLog(0xffffffff, {{0x0b, 32}})),
              StatusIs(kBad, HasSubstr("numberOfAlgorithms 4294967295")));
  EXPECT_THAT(Parse(SpecIdLog(1, {{0x0b, 20}})),
              StatusIs(kBad, HasSubstr("sha256 declared with digest size 20")));
  EXPECT_THAT(Parse(SpecIdLog(2, {{0x0b, 32}, {0x0b, 32}})),
              StatusIs(kBad, HasSubstr("listed twice")));
  EXPECT_THAT(Parse(SpecIdLog(1, {{0x0b, 32}}, /*truncate_vendor=*/true)),
              StatusIs(kBad, HasSubstr("vendorInfo")));
  EXPECT_THAT(Parse(SpecIdLog(1, {{0x1234, 0}})), StatusIs(kBad, HasSubstr("implausible")));
}

TEST(Parse, UnknownAlgorithmInSpecIdIsSkippedUsingItsDeclaredSize) {
  std::vector<uint8_t> bytes = SpecIdLog(2, {{0x0b, 32}, {0x1234, 7}});
  PutU32(&bytes, 1);
  PutU32(&bytes, EV_POST_CODE);
  PutU32(&bytes, 2);
  PutU16(&bytes, 0x1234);
  bytes.insert(bytes.end(), 7, 0x55);
  PutU16(&bytes, 0x0b);
  bytes.insert(bytes.end(), 32, 0x66);
  PutU32(&bytes, 1);
  bytes.push_back('z');
  ASSERT_OK_AND_ASSIGN(EventLog log, Parse(bytes));
  ASSERT_EQ(log.events.size(), 2u);
  ASSERT_EQ(log.events[1].digests.size(), 1u);
  EXPECT_EQ(log.events[1].digests[0].alg, tpm::HashAlg::kSha256);
  EXPECT_EQ(log.events[1].data.size(), 1u);
  EXPECT_EQ(log.algorithms.size(), 1u);
}

TEST(Parse, TrailingZeroPaddingIsAcceptedAndCounted) {
  LogBuilder b({tpm::HashAlg::kSha256});
  b.Add(0, EV_POST_CODE, Str("x"));
  std::vector<uint8_t> bytes = b.Bytes();
  bytes.insert(bytes.end(), 100, 0);
  ASSERT_OK_AND_ASSIGN(EventLog log, Parse(bytes));
  EXPECT_EQ(log.trailing_zero_bytes, 100u);
  EXPECT_EQ(log.events.size(), 2u);
}

TEST(Parse, TrailingGarbageIsRejected) {
  LogBuilder b({tpm::HashAlg::kSha256});
  b.Add(0, EV_POST_CODE, Str("x"));
  std::vector<uint8_t> bytes = b.Bytes();
  const size_t at = bytes.size();
  bytes.insert(bytes.end(), {1, 2, 3});
  EXPECT_THAT(Parse(bytes), StatusIs(kBad, HasSubstr("offset " + std::to_string(at) +
                                                     ": event 2: truncated header")));
}

TEST(Parse, NotAnEventLogIsRejectedClearly) {
  std::vector<uint8_t> text = Str("this is not an event log");
  EXPECT_THAT(Parse(text), StatusIs(kBad, HasSubstr("not a TCG event log")));
}

// Every prefix of a valid log either parses or fails cleanly (no crash, no
// hang). A prefix parses exactly when it ends on a record boundary or the
// bytes after the last boundary are all zero (accepted as padding).
TEST(Parse, EveryTruncationOfASyntheticLogFailsCleanly) {
  LogBuilder b({tpm::HashAlg::kSha1, tpm::HashAlg::kSha256});
  const size_t header_end = b.size();
  b.Add(0, EV_S_CRTM_VERSION, Str("1.0"));
  const size_t first_end = b.size();
  b.Add(7, EV_SEPARATOR, {0, 0, 0, 0});
  const std::vector<uint8_t>& full = b.Bytes();
  for (size_t n = 0; n < full.size(); ++n) {
    auto r = Parse(absl::MakeConstSpan(full.data(), n));
    // The first record starts with PCR index 0: up to 4 zero bytes after the
    // header read as padding.
    const bool want_ok = n == header_end || n == first_end ||
                         (n > header_end && n <= header_end + 4);
    EXPECT_EQ(r.ok(), want_ok) << "prefix " << n << ": " << r.status();
    if (!r.ok() && n > 0) {
      EXPECT_THAT(r.status().message(), HasSubstr("offset "));
    }
  }
}

}  // namespace
}  // namespace vigil::eventlog

namespace vigil::eventlog {
namespace {

// The canonical text: the first three fields little-endian in the bytes
// (UEFI spec appendix A), upper case; FromString accepts either case.
TEST(EfiGuid, ToStringIsMixedEndianUpperCaseAndRoundTrips) {
  std::optional<EfiGuid> g =
      EfiGuid::FromString("8be4df61-93ca-11d2-aa0d-00e098032b8c");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->bytes[0], 0x61);
  EXPECT_EQ(g->bytes[3], 0x8B);
  EXPECT_EQ(g->bytes[4], 0xCA);
  EXPECT_EQ(g->bytes[6], 0xD2);
  EXPECT_EQ(g->bytes[8], 0xAA);
  EXPECT_EQ(g->bytes[15], 0x8C);
  EXPECT_EQ(g->ToString(), "8BE4DF61-93CA-11D2-AA0D-00E098032B8C");
  EfiGuid all;
  for (int i = 0; i < 16; ++i) all.bytes[i] = static_cast<uint8_t>(i * 17);
  EXPECT_EQ(all.ToString(), "33221100-5544-7766-8899-AABBCCDDEEFF");
  EXPECT_EQ(EfiGuid::FromString(all.ToString()), all);
}

}  // namespace
}  // namespace vigil::eventlog
