#include "tests/swtpm/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/testing/loopback_port.h"

extern char** environ;

namespace vigil::testing {

namespace {

// This process's environment with `extra` ("KEY=VALUE") added, replacing
// variables of the same name.
std::vector<std::string> EnvironmentWith(
    const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const absl::string_view var(*e);
    const absl::string_view name = var.substr(0, var.find('='));
    bool replaced = false;
    for (const std::string& x : extra) {
      replaced |= absl::StartsWith(x, absl::StrCat(name, "="));
    }
    if (!replaced) env.emplace_back(var);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// posix_spawnp of argv with stdin from `stdin_path` and stdout+stderr to
// `out_path` (truncated, or appended to with `append`), in this process's
// environment plus `extra_env`. The pid, or kInternal naming the program.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv,
                            const std::string& stdin_path,
                            const std::string& out_path, bool append,
                            const std::vector<std::string>& extra_env = {}) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(
      &actions, 0, stdin_path.empty() ? "/dev/null" : stdin_path.c_str(),
      O_RDONLY, 0);
  posix_spawn_file_actions_addopen(
      &actions, 1, out_path.c_str(),
      O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  const std::vector<std::string> env_strings = EnvironmentWith(extra_env);
  std::vector<char*> env;
  for (const std::string& e : env_strings) {
    env.push_back(const_cast<char*>(e.c_str()));
  }
  env.push_back(nullptr);
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr,
                               args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    return absl::InternalError(
        absl::StrCat("spawn ", argv[0], ": ", std::strerror(err)));
  }
  return pid;
}

}  // namespace

absl::StatusOr<TempDir> TempDir::Create(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ =
      absl::StrCat((tmp && *tmp) ? tmp : "/tmp", "/", prefix, "-XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("mkdtemp ", templ, ": ", std::strerror(errno)));
  }
  return TempDir(std::string(buf.data()));
}

TempDir& TempDir::operator=(TempDir&& o) noexcept {
  if (this != &o) {
    if (!path_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
    path_ = std::move(o.path_);
    o.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

absl::Status RunCommandOk(const std::vector<std::string>& argv) {
  absl::StatusOr<CommandResult> r = RunCommand(argv);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::InternalError(absl::StrCat(argv.empty() ? "" : argv[0],
                                            " exited ", r->exit_code, ": ",
                                            r->output));
  }
  return absl::OkStatus();
}

int FreePort() { return vigil::testing::FreeLoopbackPort(); }

absl::Status WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("write ", path, " failed"));
  return absl::OkStatus();
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::string& stdin_path) {
  if (argv.empty()) return absl::InvalidArgumentError("RunCommand: empty argv");
  absl::StatusOr<TempDir> dir = TempDir::Create("vigil-cmd");
  if (!dir.ok()) return dir.status();
  const std::string out_path = dir->Join("output");
  absl::StatusOr<pid_t> spawned = Spawn(argv, stdin_path, out_path, false);
  if (!spawned.ok()) return spawned.status();
  const pid_t pid = *spawned;
  const absl::Time deadline = absl::Now() + timeout;
  int wstatus = 0;
  bool timed_out = false;
  while (true) {
    pid_t r = waitpid(pid, &wstatus, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      return absl::InternalError(
          absl::StrCat("waitpid: ", std::strerror(errno)));
    }
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &wstatus, 0);
      timed_out = true;
      break;
    }
    usleep(2000);
  }
  CommandResult result;
  std::ifstream in(out_path, std::ios::binary);
  result.output.assign(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
  if (timed_out) {
    return absl::DeadlineExceededError(absl::StrCat(
        absl::StrJoin(argv, " "), ": still running after ",
        absl::FormatDuration(timeout), "; output: ", result.output));
  }
  result.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  return result;
}

absl::StatusOr<BackgroundProcess> BackgroundProcess::Start(
    const std::vector<std::string>& argv, const std::string& log_path,
    const std::vector<std::string>& extra_env) {
  if (argv.empty())
    return absl::InvalidArgumentError("BackgroundProcess: empty argv");
  absl::StatusOr<pid_t> pid = Spawn(argv, "", log_path, true, extra_env);
  if (!pid.ok()) return pid.status();
  return BackgroundProcess(*pid, log_path);
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
}

void BackgroundProcess::Signal(int sig) const {
  if (pid_ > 0) kill(pid_, sig);
}

absl::StatusOr<int> BackgroundProcess::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("process already reaped");
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError("process still running");
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

std::string BackgroundProcess::Log() const {
  std::ifstream in(log_);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

absl::StatusOr<std::string> BackgroundProcess::WaitForLine(
    const std::string& needle, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const std::string log = Log();
    size_t at = log.find(needle);
    if (at != std::string::npos) {
      const size_t start = log.rfind('\n', at);
      const size_t end = log.find('\n', at);
      return log.substr(
          start == std::string::npos ? 0 : start + 1,
          end == std::string::npos
              ? std::string::npos
              : end - (start == std::string::npos ? 0 : start + 1));
    }
    if (pid_ > 0) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return absl::FailedPreconditionError(
            absl::StrCat("process exited before \"", needle, "\":\n", Log()));
      }
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("no \"", needle, "\" within ",
                       absl::FormatDuration(timeout), ":\n", log));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace vigil::testing
