#include "agent/collect/event_log_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::agent {
namespace {

using ::vigil::testing::StatusIs;

class EventLogSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-eventlog-test.XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = tmpl;
  }
  void TearDown() override { unlink(path_.c_str()); }
  void Append(const std::string& bytes) {
    FILE* f = std::fopen(path_.c_str(), "ab");
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  std::string path_;
};

TEST_F(EventLogSourceTest, SysfsSourceRereadsTheWholeGrownLogFromOffsetZero) {
  Append("first");
  ASSERT_OK_AND_ASSIGN(auto log, SysfsEventLogSource::Open(path_));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> a, log->Read());
  EXPECT_EQ(std::string(a.begin(), a.end()), "first");
  Append("+second");
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> b, log->Read());
  EXPECT_EQ(std::string(b.begin(), b.end()), "first+second");
}

TEST_F(EventLogSourceTest, LargeLogIsReadCompletely) {
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  Append(big);
  FileEventLogSource log(path_);
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> got, log.Read());
  EXPECT_EQ(std::string(got.begin(), got.end()), big);
}

TEST_F(EventLogSourceTest, LogOverTheLimitIsRefused) {
  Append(std::string(1000, 'x'));
  int fd = open(path_.c_str(), O_RDONLY);
  EXPECT_THAT(internal::PreadAll(fd, path_, 999),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       ::testing::HasSubstr("999-byte limit")));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> exact,
                       internal::PreadAll(fd, path_, 1000));
  EXPECT_EQ(exact.size(), 1000u);
  close(fd);
}

TEST(EventLogSource, MissingFileIsNotFound) {
  EXPECT_THAT(
      SysfsEventLogSource::Open("/nonexistent/binary_bios_measurements"),
      StatusIs(absl::StatusCode::kNotFound,
               ::testing::HasSubstr("/nonexistent")));
  EXPECT_THAT(FileEventLogSource("/nonexistent/log").Read(),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

}  // namespace
}  // namespace vigil::agent
