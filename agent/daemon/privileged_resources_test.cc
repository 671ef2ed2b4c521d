#include "agent/daemon/privileged_resources.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>

#include "agent/collect/event_log_source.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::agent {
namespace {

// Runs `body` in a forked child (privilege changes must not leak into the
// test process) and returns its exit status: 0 when every check passed,
// else the number of the first failed check.
int InChild(const std::function<int()>& body) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

class DropPrivilegesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    passwd* pw = getpwnam("nobody");
    if (pw == nullptr) GTEST_SKIP() << "no user nobody";
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
  }
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

TEST_F(DropPrivilegesTest, RootDropsToNobodyAndCannotRegainRoot) {
  const uid_t uid = uid_;
  const gid_t gid = gid_;
  EXPECT_EQ(InChild([&] {
              absl::StatusOr<DropOutcome> d = DropPrivileges("nobody", "");
              if (!d.ok() || *d != DropOutcome::kDropped) return 1;
              uid_t r, e, s;
              gid_t rg, eg, sg;
              getresuid(&r, &e, &s);
              getresgid(&rg, &eg, &sg);
              if (r != uid || e != uid || s != uid) return 2;
              if (rg != gid || eg != gid || sg != gid) return 3;
              gid_t groups[8];
              int n = getgroups(8, groups);
              if (n != 1 || groups[0] != gid) return 4;
              if (setuid(0) != -1 || seteuid(0) != -1) return 5;
              if (setgid(0) != -1) return 6;
              return 0;
            }),
            0);
}

TEST_F(DropPrivilegesTest, DescriptorOpenedBeforeTheDropStaysReadable) {
  char path[] = "/tmp/vigil-log-test.XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "log-bytes", 9), 9);
  close(fd);
  ASSERT_EQ(chmod(path, 0400), 0);  // like securityfs: root only
  EXPECT_EQ(InChild([&] {
              absl::StatusOr<std::unique_ptr<SysfsEventLogSource>> log =
                  SysfsEventLogSource::Open(path);
              if (!log.ok()) return 1;
              if (!DropPrivileges("nobody", "nogroup").ok()) return 2;
              absl::StatusOr<std::vector<uint8_t>> bytes = (*log)->Read();
              if (!bytes.ok() || bytes->size() != 9) return 3;
              // Opening it anew is what the dropped user cannot do.
              FileEventLogSource reopened(path);
              if (reopened.Read().status().code() !=
                  absl::StatusCode::kPermissionDenied) {
                return 4;
              }
              return 0;
            }),
            0);
  unlink(path);
}

TEST_F(DropPrivilegesTest, UnknownUserOrGroupIsNotFoundAndChangesNothing) {
  EXPECT_EQ(
      InChild([] {
        if (DropPrivileges("no-such-user-vigil", "").status().code() !=
            absl::StatusCode::kNotFound) {
          return 1;
        }
        if (DropPrivileges("nobody", "no-such-group-vigil").status().code() !=
            absl::StatusCode::kNotFound) {
          return 2;
        }
        return geteuid() == 0 ? 0 : 3;
      }),
      0);
}

TEST_F(DropPrivilegesTest, NotRootSkipsWithAWarning) {
  const uid_t uid = uid_;
  EXPECT_EQ(InChild([uid] {
              if (setresuid(uid, uid, uid) != 0) return 1;
              absl::StatusOr<DropOutcome> d = DropPrivileges("nobody", "");
              return d.ok() && *d == DropOutcome::kNotRoot ? 0 : 2;
            }),
            0);
}

TEST(ReadTlsFiles, NamesTheKeyAndPathOfAMissingFile) {
  AgentConfig config;
  config.tls_ca = "/nonexistent/ca.pem";
  EXPECT_THAT(ReadTlsFiles(config),
              vigil::testing::StatusIs(
                  absl::StatusCode::kNotFound,
                  ::testing::HasSubstr("tls_ca: /nonexistent/ca.pem")));
  config.insecure = true;
  EXPECT_OK(ReadTlsFiles(config));
}

}  // namespace
}  // namespace vigil::agent
