// RestrictUnixSocket (server.h): who may connect to a unix:/path listener.
// The checks that another user cannot connect run only as root (they fork
// a child that drops to `nobody`); CI runs as root.
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "common/posix_ids.h"
#include "common/testing/status_matchers.h"
#include "common/testing/unix_socket.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/grpc/server.h"
#include "tests/swtpm/subprocess.h"

namespace vigil::service {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;
using ::vigil::testing::TempDir;

// Runs `child` in a forked process that has dropped to `uid` and `gid`
// (no supplementary groups); its return value is the exit code (3: the
// drop failed).
template <typename F>
absl::StatusOr<int> RunAs(uid_t uid, gid_t gid, F child) {
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setresgid(gid, gid, gid) != 0 ||
        setresuid(uid, uid, uid) != 0) {
      _exit(3);
    }
    _exit(child());
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
    return absl::InternalError("the child did not exit normally");
  }
  return WEXITSTATUS(status);
}

// 0: connected; 1: refused for permission (EACCES); 2: anything else.
int TryConnect(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
  const int rc = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  const int err = errno;
  close(fd);
  if (rc == 0) return 0;
  return err == EACCES ? 1 : 2;
}

class UnixSocketAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(TempDir d, TempDir::Create("vigil-sock"));
    dir_.emplace(std::move(d));
    // Others may pass through the directory: the socket's own mode is
    // what is tested.
    ASSERT_EQ(chmod(dir_->path().c_str(), 0711), 0);
    path_ = dir_->Join("agents.sock");
    ASSERT_OK_AND_ASSIGN(listener_, ::vigil::testing::ListenUnix(path_));
  }
  void TearDown() override {
    if (listener_ >= 0) close(listener_);
  }
  mode_t Mode() const {
    struct stat st {};
    return stat(path_.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
  }
  gid_t Group() const {
    struct stat st {};
    return stat(path_.c_str(), &st) == 0 ? st.st_gid : -1;
  }

  std::optional<TempDir> dir_;
  std::string path_;
  int listener_ = -1;
};

TEST_F(UnixSocketAccess, WithoutAGroupOnlyTheVerifiersUserConnects) {
  ASSERT_OK(RestrictUnixSocket("unix:" + path_, ""));
  EXPECT_EQ(Mode(), 0600u);
  EXPECT_EQ(TryConnect(path_), 0);
  if (geteuid() != 0) GTEST_SKIP() << "another user's attempt needs root";
  ASSERT_OK_AND_ASSIGN(UserIds nobody, UserByName("nobody"));
  ASSERT_OK_AND_ASSIGN(int code, RunAs(nobody.uid, nobody.gid,
                                       [&] { return TryConnect(path_); }));
  EXPECT_EQ(code, 1) << "0: connected, 1: EACCES, 2: another error";
}

TEST_F(UnixSocketAccess, TheGroupsMembersConnectNobodyElse) {
  // As root: a group the test process is not in (root may chown to any).
  const std::string group =
      geteuid() == 0 ? "nogroup" : getgrgid(getegid())->gr_name;
  ASSERT_OK_AND_ASSIGN(gid_t gid, GroupId(group));
  ASSERT_OK(RestrictUnixSocket("unix:" + path_, group));
  EXPECT_EQ(Mode(), 0660u);
  EXPECT_EQ(Group(), gid);
  if (geteuid() != 0) GTEST_SKIP() << "other users' attempts need root";
  ASSERT_OK_AND_ASSIGN(UserIds nobody, UserByName("nobody"));
  ASSERT_OK_AND_ASSIGN(gid_t daemon_gid, GroupId("daemon"));
  // The same user, in the group and then not.
  ASSERT_OK_AND_ASSIGN(
      int member, RunAs(nobody.uid, gid, [&] { return TryConnect(path_); }));
  EXPECT_EQ(member, 0) << "0: connected, 1: EACCES, 2: another error";
  ASSERT_OK_AND_ASSIGN(int other, RunAs(nobody.uid, daemon_gid,
                                        [&] { return TryConnect(path_); }));
  EXPECT_EQ(other, 1) << "0: connected, 1: EACCES, 2: another error";
}

TEST_F(UnixSocketAccess, AGroupThatCannotBeGivenIsAConfigurationError) {
  EXPECT_THAT(RestrictUnixSocket("unix:" + path_, "vigil-no-such-group"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no group \"vigil-no-such-group\"")));
  if (geteuid() != 0) GTEST_SKIP() << "a user without CAP_CHOWN needs root";
  // A user who is not a member of the group cannot give it its socket.
  ASSERT_OK_AND_ASSIGN(UserIds nobody, UserByName("nobody"));
  const std::string theirs = dir_->Join("theirs");
  ASSERT_EQ(mkdir(theirs.c_str(), 0700), 0);
  ASSERT_EQ(chown(theirs.c_str(), nobody.uid, nobody.gid), 0);
  const std::string sock = theirs + "/agents.sock";
  // The child's exit code: 0 when the refusal names the cause.
  auto give_to_daemon = [&] {
    absl::StatusOr<int> fd = ::vigil::testing::ListenUnix(sock);
    if (!fd.ok()) return 2;
    const absl::Status s = RestrictUnixSocket("unix:" + sock, "daemon");
    close(*fd);
    const bool named = absl::StrContains(
        s.message(),
        "cannot give the socket to group daemon; the verifier's user must "
        "be a member of it");
    return s.code() == absl::StatusCode::kFailedPrecondition && named ? 0 : 1;
  };
  ASSERT_OK_AND_ASSIGN(int code, RunAs(nobody.uid, nobody.gid, give_to_daemon));
  EXPECT_EQ(code, 0);
}

TEST(RestrictUnixSocket, OtherAddressesAreLeftAlone) {
  EXPECT_OK(RestrictUnixSocket("127.0.0.1:8440", "vigil-no-such-group"));
}

}  // namespace
}  // namespace vigil::service
