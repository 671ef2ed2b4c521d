// Golden tests over the real-log corpus (testdata/corpus, provenance and
// licences in testdata/corpus/MANIFEST.md and PROVENANCE.txt). Expectations
// come from testdata/corpus_golden.json, which make_corpus_golden.py derives
// from the MANIFEST's independent decoder and the upstream test sources, and
// from testdata/corpus/expected_pcrs.json.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/testing/sanitizers.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "eventlog/event_types.h"
#include "eventlog/parser.h"
#include "eventlog/replay.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace vigil::eventlog {
namespace {

using json = nlohmann::json;
using ::vigil::testing::ReadFileBytes;
using ::vigil::testing::ReadFileText;
using ::vigil::testing::SourcePath;

std::string CorpusPath(const std::string& log) {
  return SourcePath("eventlog/testdata/corpus/" + log);
}

const json& Golden() {
  static const json* g = new json(json::parse(
      ReadFileText(SourcePath("eventlog/testdata/corpus_golden.json")), nullptr, false));
  return *g;
}

const json& ExpectedPcrs() {
  static const json* e = new json(json::parse(
      ReadFileText(CorpusPath("expected_pcrs.json")), nullptr, false));
  return *e;
}

tpm::PcrBank ToBank(const json& entry) {
  tpm::PcrBank bank;
  bank.alg = *tpm::HashAlgFromName(entry["alg"].get<std::string>());
  for (auto it = entry["pcrs"].begin(); it != entry["pcrs"].end(); ++it) {
    bank.values[std::stoul(it.key())] = *HexDecode(it.value().get<std::string>());
  }
  return bank;
}

EventLog ParseCorpusLog(const std::string& name) {
  std::vector<uint8_t> bytes = ReadFileBytes(CorpusPath(name));
  EXPECT_FALSE(bytes.empty()) << name;
  absl::StatusOr<EventLog> log = Parse(bytes);
  EXPECT_OK(log) << name;
  return log.ok() ? *std::move(log) : EventLog{};
}

class CorpusLog : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusLog, ParsesWithTheIndependentDecodersShape) {
  const std::string& name = GetParam();
  const json& g = Golden()[name];
  EventLog log = ParseCorpusLog(name);
  EXPECT_EQ(log.events.size(), g["events"].get<size_t>());
  EXPECT_EQ(log.format == LogFormat::kCryptoAgile ? "crypto-agile" : "sha1",
            g["format"].get<std::string>());
  if (g["startup_locality"].is_null()) {
    EXPECT_FALSE(log.startup_locality.has_value());
  } else {
    EXPECT_EQ(log.startup_locality, g["startup_locality"].get<int>());
  }
  size_t no_pcr = std::count_if(log.events.begin(), log.events.end(),
                                [](const RawEvent& e) { return e.pcr_index == kNoPcr; });
  EXPECT_EQ(no_pcr, g["trailing_no_pcr_events"].get<size_t>());
  EXPECT_EQ(log.trailing_zero_bytes, 0u);
}

TEST_P(CorpusLog, TouchesExactlyThePcrsTheIndependentDecoderSaw) {
  const std::string& name = GetParam();
  EventLog log = ParseCorpusLog(name);
  ASSERT_OK_AND_ASSIGN(std::vector<BankReplay> banks, ReplayDigests(log));
  ASSERT_FALSE(banks.empty());
  std::vector<int> touched;
  for (uint32_t p = 0; p < tpm::kNumPcrs; ++p) {
    // Union over banks: some Windows events are in the SHA-256 bank only.
    bool any = false;
    for (const BankReplay& b : banks) any = any || b.event_count[p] > 0;
    if (any) touched.push_back(static_cast<int>(p));
  }
  EXPECT_EQ(touched, Golden()[name]["pcrs_touched"].get<std::vector<int>>());
}

TEST_P(CorpusLog, ReplaysToEverySuppliedPcrSetExceptTheDocumentedMismatches) {
  const std::string& name = GetParam();
  EventLog log = ParseCorpusLog(name);
  for (const json& r : Golden()[name]["replays"]) {
    const std::string source_log = r["log"].get<std::string>();
    const json& entry = ExpectedPcrs()[source_log][r["entry"].get<size_t>()];
    ASSERT_OK_AND_ASSIGN(ReplayedLog replayed, Replay(log, {ToBank(entry)}));
    std::vector<int> mismatched;
    for (const PcrMismatch& m : replayed.mismatches()) {
      mismatched.push_back(static_cast<int>(m.pcr));
    }
    EXPECT_EQ(mismatched, r["mismatches"].get<std::vector<int>>())
        << name << " vs " << entry["source"];
    for (const json& pcr : r["mismatches"]) {
      EXPECT_FALSE(replayed.PcrVerified(pcr.get<uint32_t>()));
    }
    EXPECT_TRUE(replayed.quirks().empty()) << name;
  }
}

// ValueKeyedPcrs: for every corpus log and bank, a PCR outside the mask
// (one the log never extends) changes Replay's outcome only by whether its
// quoted value is the initial one; two different non-initial values give
// the same verified PCRs, mismatches (but for the quoted value), quirks and
// integrity findings. Every PCR the log extends is in the mask.
TEST_P(CorpusLog, ReplayDependsOnlyOnWhetherAnUnextendedPcrMoved) {
  const std::string& name = GetParam();
  EventLog log = ParseCorpusLog(name);
  ASSERT_OK_AND_ASSIGN(std::vector<BankReplay> banks, ReplayDigests(log));
  for (const BankReplay& b : banks) {
    SCOPED_TRACE(tpm::HashAlgName(b.alg));
    const uint32_t keyed = ValueKeyedPcrs(log, b.alg);
    tpm::PcrBank honest{b.alg, {}};
    for (uint32_t p = 0; p < tpm::kNumPcrs; ++p) {
      if (b.event_count[p] > 0) {
        EXPECT_TRUE(keyed & (1u << p)) << "pcr " << p;
      }
      honest.values[p] = b.values[p];
    }
    int unkeyed = 0;
    for (uint32_t p = 0; p < tpm::kNumPcrs; ++p) {
      if (keyed & (1u << p)) continue;
      ++unkeyed;
      auto outcome = [&](uint8_t fill) {
        tpm::PcrBank q = honest;
        q.values[p] = tpm::Digest(tpm::DigestSize(b.alg), fill);
        absl::StatusOr<ReplayedLog> r = Replay(log, {q});
        EXPECT_OK(r);
        std::string out;
        if (!r.ok()) return out;
        for (uint32_t i = 0; i < tpm::kNumPcrs; ++i) {
          out += r->PcrVerified(i) ? 'v' : '-';
        }
        for (const PcrMismatch& m : r->mismatches()) {
          out += absl::StrCat(";m", m.pcr, "/", HexEncode(m.replayed), "/",
                              m.last_event.value_or(9999));
        }
        for (const AppliedQuirk& qk : r->quirks()) {
          out += absl::StrCat(";q", qk.id, qk.pcr);
        }
        for (const IntegrityFinding& f : r->findings()) {
          out += absl::StrCat(";f", f.event_index, f.detail);
        }
        return out;
      };
      const std::string a = outcome(0x5a), b2 = outcome(0xa5);
      EXPECT_EQ(a, b2) << "pcr " << p;
      // ... and moving it at all does change it (the PCR is unverified).
      EXPECT_NE(a, outcome(tpm::InitialPcrValue(b.alg, p)[0])) << "pcr " << p;
    }
    EXPECT_GT(unkeyed, 0);
  }
}

// No real log breaks a trust rule: every event whose type says digest = H(data)
// matches (allowing the documented firmware conventions), and every type is
// registered. Only the deliberately altered HIRS log is flagged.
TEST_P(CorpusLog, HasNoIntegrityFindingsUnlessDeliberatelyAltered) {
  const std::string& name = GetParam();
  EventLog log = ParseCorpusLog(name);
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, InsecureReplayWithoutQuote(log));
  if (name == "nsacyber-HIRS/TPMLog_Altered.bin") {
    ASSERT_EQ(r.findings().size(), 1u);
    EXPECT_EQ(r.findings()[0].pcr, 1u);  // the altered boot variable event 25
    EXPECT_EQ(r.findings()[0].event_index, 25u);
    return;
  }
  for (const IntegrityFinding& f : r.findings()) {
    ADD_FAILURE() << name << ": event " << f.event_index << ": " << f.detail;
  }
}

std::vector<std::string> AllCorpusLogs() {
  std::vector<std::string> names;
  for (auto it = Golden().begin(); it != Golden().end(); ++it) names.push_back(it.key());
  return names;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusLog, ::testing::ValuesIn(AllCorpusLogs()),
                         TestName);

TEST(Corpus, GoldenCoversAll49Logs) { EXPECT_EQ(AllCorpusLogs().size(), 49u); }

TEST(Corpus, Sha384SetForALogWithoutThatBankIsReportedUnreplayable) {
  const std::string name = "immune-gmbh-guard-oss/derived/ludmilla.evidence.eventlog.bin";
  EventLog log = ParseCorpusLog(name);
  const json& entry = ExpectedPcrs()[name][1];
  ASSERT_EQ(entry["alg"], "sha384");
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, Replay(log, {ToBank(entry)}));
  EXPECT_THAT(r.unreplayable_banks(), ::testing::ElementsAre(tpm::HashAlg::kSha384));
  EXPECT_TRUE(r.mismatches().empty());
  EXPECT_FALSE(r.PcrVerified(0));
}

// The altered HIRS log (data of event 6 changed to "BAD  DATA", digests of
// events 6 and 25 changed): the mismatch names PCR0's last event.
TEST(Corpus, AlteredHirsLogMismatchesPcr0AndPcr1NamingTheLastEvents) {
  EventLog log = ParseCorpusLog("nsacyber-HIRS/TPMLog_Altered.bin");
  const json& entry = ExpectedPcrs()["nsacyber-HIRS/TpmLog.bin"][0];
  ASSERT_OK_AND_ASSIGN(ReplayedLog r, Replay(log, {ToBank(entry)}));
  ASSERT_EQ(r.mismatches().size(), 2u);
  for (const PcrMismatch& m : r.mismatches()) {
    ASSERT_TRUE(m.last_event.has_value());
    EXPECT_EQ(log.events[*m.last_event].pcr_index, m.pcr);
  }
  EXPECT_TRUE(r.PcrVerified(7));
}

// Every log in the corpus, cut at every offset: the parser returns OK or
// kInvalidArgument (never crashes or hangs), and a prefix that ends on a
// record boundary parses to exactly the records before it. Under sanitizers
// (10-50x slower) every 13th offset is tried, plus every boundary.
constexpr size_t kTruncationStride =
    ::vigil::testing::kUnderSanitizers ? 13 : 1;

TEST_P(CorpusLog, EveryTruncationFailsCleanlyOrParsesTheRecordsBeforeIt) {
  const std::string& name = GetParam();
  std::vector<uint8_t> bytes = ReadFileBytes(CorpusPath(name));
  ASSERT_OK_AND_ASSIGN(EventLog full, Parse(bytes));
  std::map<size_t, size_t> records_before;  // boundary offset -> record count
  for (const RawEvent& e : full.events) records_before[e.offset] = e.index;
  for (size_t n = 1; n < bytes.size(); ++n) {
    const bool boundary = records_before.count(n) > 0;
    if (!boundary && n % kTruncationStride != 0) continue;
    absl::StatusOr<EventLog> r = Parse(absl::MakeConstSpan(bytes.data(), n));
    if (boundary && records_before[n] > 0) {
      ASSERT_OK(r) << name << " prefix " << n;
      EXPECT_EQ(r->events.size(), records_before[n]) << name << " prefix " << n;
    } else if (!r.ok()) {
      ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument)
          << name << " prefix " << n;
      ASSERT_THAT(std::string(r.status().message()), ::testing::StartsWith("offset "));
    }
  }
}

}  // namespace
}  // namespace vigil::eventlog
