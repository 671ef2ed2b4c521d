// A regression golden for the `events` claim (maa-spec.md §3.3) over the
// whole real-log corpus (testdata/corpus, provenance in its MANIFEST.md):
// for each log, replayed as if every PCR were quoted (all events trusted,
// so every event is rendered), the number of events and the SHA-256 of the
// rendered JSON (compact dump). There is no independent renderer to
// compare with; the maa_json_test cases check the shape against the spec.
// This file pins what those produce on real firmware, so a change to the
// renderer (an optimisation above all) that changes a single byte of any
// corpus log's `events` fails here, naming the log.
//
// After an intended change: VIGIL_UPDATE_GOLDEN=1 rewrites
// testdata/events_json_golden.json (review its diff).
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/testing/testdata.h"
#include "eventlog/maa_json.h"
#include "eventlog/parser.h"
#include "eventlog/replay.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tpm/types/hash_alg.h"

namespace vigil::eventlog {
namespace {

using ::vigil::testing::ReadFileBytes;
using ::vigil::testing::ReadFileText;
using ::vigil::testing::SourcePath;

constexpr char kGolden[] = "eventlog/testdata/events_json_golden.json";

// What the golden records for one log.
nlohmann::ordered_json Render(const std::string& name) {
  std::vector<uint8_t> bytes =
      ReadFileBytes(SourcePath("eventlog/testdata/corpus/" + name));
  absl::StatusOr<EventLog> log = Parse(bytes);
  if (!log.ok()) return {{"error", std::string(log.status().message())}};
  absl::StatusOr<ReplayedLog> r = InsecureReplayWithoutQuote(*std::move(log));
  if (!r.ok()) return {{"error", std::string(r.status().message())}};
  const nlohmann::ordered_json events = RenderEventsJson(*r);
  const std::string text = events.dump();
  absl::StatusOr<tpm::Digest> sha = tpm::Hash(
      tpm::HashAlg::kSha256,
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(text.data()),
                          text.size()));
  return {{"events", events["Events"].size()},
          {"bytes", text.size()},
          {"sha256", sha.ok() ? HexEncode(*sha) : "?"}};
}

// Every corpus log, by corpus_golden.json's keys (49 logs).
std::vector<std::string> CorpusLogs() {
  const nlohmann::json g = nlohmann::json::parse(
      ReadFileText(SourcePath("eventlog/testdata/corpus_golden.json")));
  std::vector<std::string> names;
  for (auto it = g.begin(); it != g.end(); ++it) names.push_back(it.key());
  return names;
}

TEST(EventsJsonGolden, EveryCorpusLogRendersAsRecorded) {
  const std::vector<std::string> logs = CorpusLogs();
  ASSERT_EQ(logs.size(), 49u);
  nlohmann::ordered_json now = nlohmann::ordered_json::object();
  for (const std::string& name : logs) now[name] = Render(name);
  if (const char* u = std::getenv("VIGIL_UPDATE_GOLDEN"); u && *u == '1') {
    std::ofstream(SourcePath(kGolden)) << now.dump(1) << "\n";
    GTEST_SKIP() << "rewrote " << kGolden;
  }
  const nlohmann::ordered_json golden =
      nlohmann::ordered_json::parse(ReadFileText(SourcePath(kGolden)));
  ASSERT_EQ(golden.size(), logs.size());
  int rendered = 0;
  for (const std::string& name : logs) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(golden.contains(name));
    EXPECT_EQ(now[name], golden[name]);
    rendered += now[name].contains("events") && now[name]["events"] > 0;
  }
  // The golden is about rendering: most of the corpus renders events.
  EXPECT_GE(rendered, 40);
}

}  // namespace
}  // namespace vigil::eventlog
