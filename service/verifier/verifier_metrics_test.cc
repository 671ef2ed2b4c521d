#include "service/verifier/verifier_metrics.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Reason ReplayReason(std::string code, int pcr) {
  Reason r = Reason::Of("replay", std::move(code), "m");
  r.pcr = pcr;
  return r;
}

TEST(VerifierMetrics, EveryNameAndLabelIsValid) {
  VerifierMetrics m;
  ASSERT_OK(m.registry().status());
  const std::string text = m.registry().Render();
  for (const char* family :
       {"vigil_attestations_total", "vigil_attestation_denials_total",
        "vigil_replay_findings_total", "vigil_attestation_duration_seconds",
        "vigil_enrolments_total", "vigil_agent_streams",
        "vigil_agent_streams_refused_total", "vigil_policy_reloads_total",
        "vigil_signing_key_rotations_total", "process_start_time_seconds"}) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("# TYPE ", family, " ")))
        << family;
  }
  // Results a dashboard sums exist from the start, at 0.
  EXPECT_THAT(text, HasSubstr("vigil_attestations_total{result=\"denied\"} 0"));
  EXPECT_THAT(text,
              HasSubstr("vigil_attestations_total{result=\"permitted\"} 0"));
}

TEST(VerifierMetrics, DenialCountsItsFirstReasonAndReplayFindingsByPcr) {
  VerifierMetrics m;
  m.CountAttestation(
      /*permitted=*/false,
      {ReplayReason("pcr_mismatch", 7), ReplayReason("pcr_not_in_log", 10),
       Reason::Of("policy", "denied", "not reached")},
      absl::Microseconds(300));
  // The same finding in two banks counts once.
  m.CountAttestation(
      /*permitted=*/true,
      {ReplayReason("pcr_not_in_log", 10), ReplayReason("pcr_not_in_log", 10)},
      absl::Milliseconds(3));
  m.CountAttestation(/*permitted=*/false,
                     {Reason::Of("nonce", "nonce_expired", "late")},
                     absl::Microseconds(100));
  const std::string text = m.registry().Render();
  EXPECT_THAT(text, HasSubstr("vigil_attestations_total{result=\"denied\"} 2"));
  EXPECT_THAT(text,
              HasSubstr("vigil_attestations_total{result=\"permitted\"} 1"));
  EXPECT_THAT(text, HasSubstr("vigil_attestation_denials_total{stage=\"nonce\","
                              "code=\"nonce_expired\"} 1"));
  EXPECT_THAT(text, HasSubstr("vigil_attestation_denials_total{stage="
                              "\"replay\",code=\"pcr_mismatch\"} 1"));
  // Only the first reason names the denial.
  EXPECT_THAT(text, Not(HasSubstr("stage=\"policy\"")));
  EXPECT_THAT(text, HasSubstr("vigil_replay_findings_total{code=\"pcr_"
                              "mismatch\",pcr=\"7\"} 1"));
  EXPECT_THAT(text, HasSubstr("vigil_replay_findings_total{code=\"pcr_not_"
                              "in_log\",pcr=\"10\"} 2"));
  // 0.1 ms and 0.3 ms under the first bounds, 3 ms under 4 ms.
  EXPECT_THAT(text, HasSubstr("vigil_attestation_duration_seconds_bucket{le="
                              "\"0.00025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vigil_attestation_duration_seconds_bucket{le="
                              "\"0.0005\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("vigil_attestation_duration_seconds_bucket{le="
                              "\"0.004\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("vigil_attestation_duration_seconds_count 3\n"));
}

TEST(VerifierMetrics, UnknownReplayCodesAndPcrsStillCount) {
  VerifierMetrics m;
  m.CountAttestation(
      true,
      {ReplayReason("something_new", 3), ReplayReason("pcr_mismatch", 30)},
      absl::ZeroDuration());
  const std::string text = m.registry().Render();
  EXPECT_THAT(text, HasSubstr("{code=\"something_new\",pcr=\"3\"} 1"));
  EXPECT_THAT(text, HasSubstr("{code=\"pcr_mismatch\",pcr=\"30\"} 1"));
}

TEST(VerifierMetrics, EnrolmentStepsByResult) {
  VerifierMetrics m;
  m.CountEnrolment("challenge", true);
  m.CountEnrolment("challenge", true);
  m.CountEnrolment("activation", false);
  const std::string text = m.registry().Render();
  EXPECT_THAT(text, HasSubstr("vigil_enrolments_total{step=\"challenge\","
                              "result=\"ok\"} 2"));
  EXPECT_THAT(text, HasSubstr("vigil_enrolments_total{step=\"activation\","
                              "result=\"refused\"} 1"));
}

}  // namespace
}  // namespace vigil::service
