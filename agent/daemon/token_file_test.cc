#include "agent/daemon/token_file.h"

#include <dirent.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::agent {
namespace {

using ::vigil::testing::StatusIs;

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-token-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const std::string& name : List()) {
      std::remove((dir_ + "/" + name).c_str());
    }
    rmdir(dir_.c_str());
  }
  std::vector<std::string> List() const {
    std::vector<std::string> names;
    DIR* d = opendir(dir_.c_str());
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
    return names;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_;
};

TEST_F(TokenFileTest, WritesExactlyTheContentsWithMode0644WhateverTheUmask) {
  const mode_t old = umask(077);
  const std::string path = dir_ + "/token";
  ASSERT_OK(WriteFileAtomically(path, "header.payload.signature"));
  umask(old);
  EXPECT_EQ(Read(path), "header.payload.signature");
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_THAT(List(), ::testing::ElementsAre("token"));  // no temp file left
}

TEST_F(TokenFileTest, ReadersNeverSeeAPartialFile) {
  const std::string path = dir_ + "/token";
  const std::string a(1 << 20, 'a');
  const std::string b(1 << 20, 'b');
  ASSERT_OK(WriteFileAtomically(path, a));
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!done) {
      std::string got = Read(path);
      if (got != a && got != b) ++torn;
      ++reads;
    }
  });
  for (int i = 0; i < 40; ++i) {
    ASSERT_OK(WriteFileAtomically(path, i % 2 == 0 ? b : a));
  }
  done = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_THAT(List(), ::testing::ElementsAre("token"));
}

TEST_F(TokenFileTest, MissingDirectoryFailsAndLeavesNothing) {
  EXPECT_THAT(WriteFileAtomically(dir_ + "/no/such/dir/token", "x"),
              StatusIs(absl::StatusCode::kUnavailable,
                       ::testing::HasSubstr("no/such/dir")));
  EXPECT_TRUE(List().empty());
}

TEST_F(TokenFileTest, RemoveIsIdempotent) {
  const std::string path = dir_ + "/token";
  ASSERT_OK(WriteFileAtomically(path, "t"));
  EXPECT_OK(RemoveFile(path));
  EXPECT_OK(RemoveFile(path));
  EXPECT_TRUE(List().empty());
}

}  // namespace
}  // namespace vigil::agent
