// File: tests/swtpm/subprocess.h
// -----------------------------------------------------------------------------
// Test support: run a program (swtpm_setup, openssl, tpm2-tools) and a
// self-deleting temporary directory. No shell is involved: argv is passed to
// posix_spawnp as is.

#ifndef VIGIL_TESTS_SWTPM_SUBPROCESS_H_
#define VIGIL_TESTS_SWTPM_SUBPROCESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vigil::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal or the deadline
  std::string output;  // stdout and stderr, interleaved
};

// RunCommand(argv, timeout, stdin_path): runs argv[0] (looked up in PATH) and
// waits for it. Fails with kInternal when it cannot be started, and with
// kDeadlineExceeded (after SIGKILL) when it runs longer than `timeout`. A
// non-zero exit is not an error: check exit_code.
absl::StatusOr<CommandResult> RunCommand(
    const std::vector<std::string>& argv,
    absl::Duration timeout = absl::Seconds(60),
    const std::string& stdin_path = "");

// A directory under $TMPDIR (or /tmp) created by mkdtemp and removed, with
// everything in it, when the object is destroyed. Move-only.
class TempDir {
 public:
  // Fails with kInternal when mkdtemp fails.
  static absl::StatusOr<TempDir> Create(const std::string& prefix);
  TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  TempDir& operator=(TempDir&& o) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// A program running in the background (the daemons in end-to-end tests),
// its stdout and stderr appended to `log_path`. Killed (SIGKILL) and reaped
// when destroyed if still running. Move-only.
class BackgroundProcess {
 public:
  // Runs argv in this process's environment plus `extra_env` ("KEY=VALUE",
  // replacing a variable of the same name). Fails with kInternal when it
  // cannot be started.
  static absl::StatusOr<BackgroundProcess> Start(
      const std::vector<std::string>& argv, const std::string& log_path,
      const std::vector<std::string>& extra_env = {});
  BackgroundProcess(BackgroundProcess&& o) noexcept
      : pid_(o.pid_), log_(std::move(o.log_)) {
    o.pid_ = -1;
  }
  BackgroundProcess& operator=(BackgroundProcess&&) = delete;
  ~BackgroundProcess();

  // Sends `sig`. No-op once the process was reaped.
  void Signal(int sig) const;
  // Waits for exit; the exit code, or -1 when killed by a signal. Fails with
  // kDeadlineExceeded when it is still running after `timeout`.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  // Waits until the log holds a line containing `needle`; returns that
  // line. Fails with kDeadlineExceeded (with the log) after `timeout`, or
  // kFailedPrecondition (with the log) when the process exits first.
  absl::StatusOr<std::string> WaitForLine(const std::string& needle,
                                          absl::Duration timeout);
  std::string Log() const;
  bool running() const { return pid_ > 0; }

 private:
  BackgroundProcess(int pid, std::string log)
      : pid_(pid), log_(std::move(log)) {}
  int pid_ = -1;
  std::string log_;
};

// RunCommand, and any exit code but 0 is an error: kInternal holding the
// command's output (for setup steps such as `openssl req ...`).
absl::Status RunCommandOk(const std::vector<std::string>& argv);

// A free TCP port on 127.0.0.1 (bound and released; the server under test
// binds it next): common/testing/loopback_port.h's FreeLoopbackPort.
int FreePort();

// Writes `bytes` to `path`, replacing it. Fails with kInternal.
absl::Status WriteFile(const std::string& path, const std::string& bytes);

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SWTPM_SUBPROCESS_H_
