#include "tpm/device/esys_context.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::tpm {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

TEST(TctiConfig, DefaultIsKernelResourceManager) {
  EXPECT_EQ(TctiConfig::Default().ToString(), "device:/dev/tpmrm0");
  ASSERT_OK_AND_ASSIGN(TctiConfig c, TctiConfig::Parse("device"));
  EXPECT_EQ(c.ToString(), "device:/dev/tpmrm0");
}

TEST(TctiConfig, ParsesEveryForm) {
  ASSERT_OK_AND_ASSIGN(TctiConfig d, TctiConfig::Parse("device:/dev/tpm0"));
  EXPECT_EQ(d.kind, TctiConfig::Kind::kDevice);
  EXPECT_EQ(d.loader_conf, "/dev/tpm0");
  ASSERT_OK_AND_ASSIGN(TctiConfig t, TctiConfig::Parse("tabrmd"));
  EXPECT_EQ(t.kind, TctiConfig::Kind::kTabrmd);
  EXPECT_EQ(t.ToString(), "tabrmd");
  ASSERT_OK_AND_ASSIGN(TctiConfig s, TctiConfig::Parse("swtpm:path=/tmp/x/tpm.sock"));
  EXPECT_EQ(s.kind, TctiConfig::Kind::kSwtpm);
  EXPECT_EQ(s.ToString(), "swtpm:path=/tmp/x/tpm.sock");
  ASSERT_OK_AND_ASSIGN(TctiConfig h, TctiConfig::Parse("swtpm:host=127.0.0.1,port=2321"));
  EXPECT_EQ(h.loader_conf, "host=127.0.0.1,port=2321");
}

TEST(TctiConfig, RejectsMalformedConfigurations) {
  EXPECT_THAT(TctiConfig::Parse("mssim:port=2321"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want device")));
  EXPECT_THAT(TctiConfig::Parse("swtpm"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("swtpm:path")));
  EXPECT_THAT(TctiConfig::Parse("swtpm:port=70000"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port")));
  EXPECT_THAT(TctiConfig::Parse("swtpm:port=65535"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port")));
  EXPECT_THAT(TctiConfig::Parse("swtpm:sock=/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown key")));
  EXPECT_THAT(TctiConfig::Parse("swtpm:path=/x,port=1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot be combined")));
  EXPECT_THAT(TctiConfig::Parse("swtpm:path="),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no value")));
}

TEST(EsysContext, MissingSocketIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(TctiConfig c,
                       TctiConfig::Parse("swtpm:path=/nonexistent/vigil/tpm.sock"));
  EXPECT_THAT(EsysContext::Open(c), StatusIs(absl::StatusCode::kUnavailable,
                                             HasSubstr("open tcti")));
}

}  // namespace
}  // namespace vigil::tpm
