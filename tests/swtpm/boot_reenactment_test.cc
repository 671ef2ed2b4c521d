// A re-enacted corpus log replays (eventlog::Replay) to exactly the PCR values
// the swtpm quotes, for every log in the corpus whose start a TPM can
// reproduce.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "eventlog/parser.h"
#include "eventlog/replay.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/swtpm/boot_reenactment.h"
#include "tests/swtpm/subprocess.h"
#include "tests/swtpm/tpm2_tools_files.h"
#include "tpm/device/attestation_key.h"
#include "tpm/device/ek.h"
#include "tpm/device/esys_context.h"
#include "tpm/device/pcrs.h"

namespace vigil::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kCorpus[] = "eventlog/testdata/corpus";

// Re-enacts `relative`, quotes every PCR of every bank, checks the quote with
// tpm2_checkquote, and replays the log against the quoted values.
void ReenactAndReplay(const std::string& relative, bool checkquote) {
  SCOPED_TRACE(relative);
  std::vector<uint8_t> bytes = ReadFileBytes(SourcePath(relative));
  ASSERT_FALSE(bytes.empty());
  ASSERT_OK_AND_ASSIGN(eventlog::EventLog log, eventlog::Parse(bytes));
  ReenactReport report;
  ASSERT_OK_AND_ASSIGN(auto swtpm, StartSwtpmWithBootLog(log, SwtpmOptions{}, &report));
  EXPECT_TRUE(report.missing_banks.empty());
  EXPECT_EQ(report.startup_locality, log.startup_locality.value_or(0));
  ASSERT_OK_AND_ASSIGN(tpm::EsysContext ctx, tpm::EsysContext::Open(swtpm->tcti_config()));
  ASSERT_OK_AND_ASSIGN(tpm::EndorsementKey ek, tpm::CreateEk(ctx, tpm::EkKind::kRsa2048));
  ASSERT_OK_AND_ASSIGN(tpm::AttestationKey ak, tpm::CreateAk(ctx, ek, tpm::AkOptions{}));
  ek = tpm::EndorsementKey();
  const std::vector<uint8_t> nonce(20, 0x5a);
  ASSERT_OK_AND_ASSIGN(tpm::QuoteResult quote, tpm::Quote(ctx, ak, nonce, tpm::QuoteOptions{}));
  if (checkquote) {
    ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("vigil-reenact"));
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> argv,
                         WriteCheckquoteInputs(tmp.path(), ak.public_area, quote, nonce));
    ASSERT_OK_AND_ASSIGN(CommandResult r, RunCommand(argv));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  ASSERT_OK_AND_ASSIGN(eventlog::ReplayedLog replayed, eventlog::Replay(log, quote.pcrs));
  for (const eventlog::PcrMismatch& m : replayed.mismatches()) {
    ADD_FAILURE() << tpm::HashAlgName(m.alg) << " pcr " << m.pcr << " mismatch";
  }
  EXPECT_TRUE(replayed.quirks().empty());
  ASSERT_OK_AND_ASSIGN(std::vector<eventlog::BankReplay> banks, eventlog::ReplayDigests(log));
  for (const eventlog::BankReplay& b : banks) {
    for (uint32_t pcr = 0; pcr < tpm::kNumPcrs; ++pcr) {
      if (b.event_count[pcr] > 0) {
        EXPECT_TRUE(replayed.PcrVerified(pcr)) << pcr;
      }
    }
  }
}

TEST(BootReenactment, LinuxLogOnGceReplaysToQuotedPcrs) {
  ReenactAndReplay(absl::StrCat(kCorpus, "/google-go-tpm-tools/ubuntu-2404-amd-sevsnp.bin"),
                   /*checkquote=*/true);
}

TEST(BootReenactment, WindowsLogWithStartupLocality3ReplaysToQuotedPcrs) {
  const std::string path =
      absl::StrCat(kCorpus, "/immune-gmbh-guard-oss/derived/x1carbon.eventlog.bin");
  ASSERT_OK_AND_ASSIGN(eventlog::EventLog log,
                       eventlog::Parse(ReadFileBytes(SourcePath(path))));
  ASSERT_EQ(log.startup_locality, std::optional<uint8_t>(3));
  ReenactAndReplay(path, /*checkquote=*/true);
}

TEST(BootReenactment, Locality3StartupStartsPcr0At3) {
  ASSERT_OK_AND_ASSIGN(auto swtpm, SwtpmInstance::Start(SwtpmOptions{.startup_clear = false}));
  ASSERT_OK_AND_ASSIGN(tpm::EsysContext ctx, tpm::EsysContext::Open(swtpm->tcti_config()));
  ASSERT_OK(ctx.SetLocality(3));
  ASSERT_OK(ctx.StartupClear());
  ASSERT_OK(ctx.SetLocality(0));
  ASSERT_OK_AND_ASSIGN(tpm::PcrReadResult r, tpm::ReadPcrs(ctx, {tpm::HashAlg::kSha256}, {0}));
  tpm::Digest want(32, 0);
  want.back() = 3;
  EXPECT_EQ(r.banks[0].values.at(0), want);
}

TEST(BootReenactment, StartupAtLocality1IsRefusedByTheTpm) {
  ASSERT_OK_AND_ASSIGN(auto swtpm, SwtpmInstance::Start(SwtpmOptions{.startup_clear = false}));
  ASSERT_OK_AND_ASSIGN(tpm::EsysContext ctx, tpm::EsysContext::Open(swtpm->tcti_config()));
  ASSERT_OK(ctx.SetLocality(1));
  EXPECT_THAT(ctx.StartupClear(), StatusIs(absl::StatusCode::kInternal, HasSubstr("locality")));
}

// Every corpus log. Logs a TPM cannot reproduce would be listed here with the
// reason; there are none in the corpus today (no H-CRTM log, no
// StartupLocality other than 0 or 3).
TEST(BootReenactment, EveryCorpusLogReplaysToQuotedPcrs) {
  int reenacted = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(SourcePath(kCorpus))) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    const std::string ext = entry.path().extension().string();
    if (ext == ".json" || ext == ".md" || ext == ".txt" || ext == ".b64" ||
        ext == ".yaml" || ext == ".warn") {
      continue;
    }
    absl::StatusOr<eventlog::EventLog> log = eventlog::Parse(ReadFileBytes(path));
    if (!log.ok()) continue;  // not a log (evidence JSON and the like)
    std::string relative = path.substr(SourcePath("").size());
    ReenactAndReplay(relative, /*checkquote=*/false);
    ++reenacted;
  }
  EXPECT_GE(reenacted, 40);
}

}  // namespace
}  // namespace vigil::testing
