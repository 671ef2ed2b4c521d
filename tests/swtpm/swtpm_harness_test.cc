// Self-tests of the swtpm harness: instances start provisioned, run in
// parallel, and always tear down.
#include <signal.h>

#include <filesystem>
#include <thread>

#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/swtpm/swtpm_instance.h"
#include "tpm/device/ek.h"
#include "tpm/device/esys_context.h"
#include "tpm/device/tpm_info.h"

namespace vigil::testing {
namespace {

using ::testing::HasSubstr;

TEST(SwtpmInstance, StartsProvisionedOnUnixSocketsAndTearsDown) {
  std::string dir;
  pid_t pid = -1;
  {
    ASSERT_OK_AND_ASSIGN(auto swtpm, SwtpmInstance::Start());
    dir = swtpm->dir();
    pid = swtpm->pid();
    EXPECT_THAT(swtpm->tcti(), HasSubstr("swtpm:path=" + dir));
    EXPECT_TRUE(std::filesystem::exists(swtpm->ctrl_path()));
    EXPECT_TRUE(std::filesystem::exists(swtpm->ca_root_cert_path()));
    ASSERT_OK_AND_ASSIGN(tpm::EsysContext ctx, tpm::EsysContext::Open(swtpm->tcti_config()));
    ASSERT_OK_AND_ASSIGN(tpm::TpmInfo info, tpm::ReadTpmInfo(ctx));
    EXPECT_TRUE(info.is_software);
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> cert,
                         tpm::ReadEkCertificate(ctx, tpm::EkKind::kRsa2048));
    EXPECT_EQ(cert, ReadFileBytes(swtpm->ek_cert_path(tpm::EkKind::kRsa2048)));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_EQ(kill(pid, 0), -1);  // reaped
}

TEST(SwtpmInstance, ClonesShareTheTemplateEkAndDistinctEkDiffers) {
  ASSERT_OK_AND_ASSIGN(auto a, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(auto b, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(auto c, SwtpmInstance::Start(SwtpmOptions{.distinct_ek = true}));
  auto cert = [](const SwtpmInstance& s) {
    return ReadFileBytes(s.ek_cert_path(tpm::EkKind::kRsa2048));
  };
  EXPECT_EQ(cert(*a), cert(*b));
  EXPECT_NE(cert(*a), cert(*c));
  EXPECT_NE(a->dir(), b->dir());
}

TEST(SwtpmInstance, ManyRunInParallel) {
  constexpr int kN = 6;
  std::vector<std::unique_ptr<SwtpmInstance>> tpms(kN);
  std::vector<absl::Status> results(kN);
  std::vector<std::thread> threads;
  for (int i = 0; i < kN; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<std::unique_ptr<SwtpmInstance>> s = SwtpmInstance::Start();
      if (!s.ok()) {
        results[i] = s.status();
        return;
      }
      tpms[i] = *std::move(s);
      absl::StatusOr<tpm::EsysContext> ctx = tpm::EsysContext::Open(tpms[i]->tcti_config());
      results[i] = ctx.ok() ? tpm::ReadClock(*ctx).status() : ctx.status();
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kN; ++i) EXPECT_OK(results[i]) << i;
}

TEST(SwtpmInstance, KilledInstanceIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(auto swtpm, SwtpmInstance::Start());
  swtpm->Kill();
  EXPECT_THAT(tpm::EsysContext::Open(swtpm->tcti_config()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("open tcti")));
  ASSERT_OK(swtpm->Restart());
  EXPECT_OK(tpm::EsysContext::Open(swtpm->tcti_config()));
}

TEST(SwtpmInstance, OtherPcrBanksCanBeAllocated) {
  ASSERT_OK_AND_ASSIGN(auto swtpm, SwtpmInstance::Start(SwtpmOptions{
                                       .pcr_banks = {tpm::HashAlg::kSha256, tpm::HashAlg::kSha384}}));
  ASSERT_OK_AND_ASSIGN(tpm::EsysContext ctx, tpm::EsysContext::Open(swtpm->tcti_config()));
  ASSERT_OK_AND_ASSIGN(std::vector<tpm::HashAlg> banks, tpm::AllocatedPcrBanks(ctx));
  EXPECT_THAT(banks, ::testing::ElementsAre(tpm::HashAlg::kSha256, tpm::HashAlg::kSha384));
}

}  // namespace
}  // namespace vigil::testing
