#include "tpm/device/tss_status.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tss2/tss2_common.h"
#include "tss2/tss2_tpm2_types.h"

namespace vigil::tpm {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;

TEST(TssStatus, SuccessIsOk) { EXPECT_THAT(TssStatus("Esys_Quote", 0), IsOk()); }

TEST(TssStatus, MessageNamesOpAndDecodedText) {
  absl::Status s = TssStatus("Esys_Quote", TPM2_RC_INITIALIZE);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInternal,
                          HasSubstr("Esys_Quote: tpm:error(2.0): TPM not initialized")));
}

TEST(TssStatus, RawRcIsCarriedAsPayload) {
  absl::Status s = TssStatus("Esys_ActivateCredential", 0x1DF);
  EXPECT_THAT(TssRcFromStatus(s), Optional(0x1DFu));
  EXPECT_EQ(TssRcFromStatus(absl::InternalError("x")), std::nullopt);
  EXPECT_EQ(TssRcFromStatus(absl::OkStatus()), std::nullopt);
}

TEST(TssStatus, TctiAndResourceManagerErrorsAreRetryable) {
  EXPECT_EQ(TssStatus("op", TSS2_TCTI_RC_IO_ERROR).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(TssStatus("op", TSS2_TCTI_RC_GENERAL_FAILURE).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(TssStatus("op", TSS2_RESMGR_RC_LAYER | TSS2_BASE_RC_GENERAL_FAILURE).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(TssStatus("op", TSS2_RESMGR_TPM_RC_LAYER | TPM2_RC_RETRY).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(TssStatus("op", TSS2_ESYS_RC_TRY_AGAIN).code(), absl::StatusCode::kUnavailable);
}

TEST(TssStatus, TpmWarningsThatInviteARetryAreRetryable) {
  for (uint32_t rc : {TPM2_RC_RETRY, TPM2_RC_YIELDED, TPM2_RC_TESTING, TPM2_RC_NV_RATE}) {
    EXPECT_EQ(TssStatus("op", rc).code(), absl::StatusCode::kUnavailable) << rc;
  }
}

TEST(TssStatus, AuthorizationFailuresArePermissionDenied) {
  // TPM_RC_AUTH_FAIL on session 1 (0x98E) and TPM_RC_BAD_AUTH on session 1.
  EXPECT_EQ(TssStatus("op", 0x98E).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(TssStatus("op", TPM2_RC_BAD_AUTH | TPM2_RC_S | TPM2_RC_1).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(TssStatus("op", TPM2_RC_LOCKOUT).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(TssStatus("op", TPM2_RC_POLICY_FAIL | TPM2_RC_S | TPM2_RC_1).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(TssStatus, OtherErrorsAreInternal) {
  EXPECT_EQ(TssStatus("op", 0x1DF).code(), absl::StatusCode::kInternal);  // integrity
  EXPECT_EQ(TssStatus("op", TSS2_ESYS_RC_BAD_REFERENCE).code(), absl::StatusCode::kInternal);
}

TEST(TpmRcBase, StripsParameterNumberFromFormatOneCodes) {
  EXPECT_THAT(TpmRcBase(0x1DF), Optional(uint32_t{TPM2_RC_INTEGRITY}));
  EXPECT_THAT(TpmRcBase(0x18B), Optional(uint32_t{TPM2_RC_HANDLE}));
  EXPECT_THAT(TpmRcBase(TPM2_RC_RETRY), Optional(uint32_t{TPM2_RC_RETRY}));
  EXPECT_EQ(TpmRcBase(TSS2_TCTI_RC_IO_ERROR), std::nullopt);
}

}  // namespace
}  // namespace vigil::tpm
