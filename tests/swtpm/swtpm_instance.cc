#include "tests/swtpm/swtpm_instance.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "tests/swtpm/swtpm_ca.h"

extern char** environ;

namespace vigil::testing {
namespace {

namespace fs = std::filesystem;

std::string BankKey(const std::vector<tpm::HashAlg>& banks) {
  std::vector<std::string> names;
  for (tpm::HashAlg b : banks) names.emplace_back(tpm::HashAlgName(b));
  return absl::StrJoin(names, ",");
}

// Template states, one per bank set, made once per process.
class Templates {
 public:
  // Destroyed at exit, which removes the template directories.
  static Templates& Get() {
    static Templates t;
    return t;
  }
  // Path of a provisioned state dir + ek cert dir for `banks`.
  absl::StatusOr<std::string> For(SwtpmCa& ca, const std::vector<tpm::HashAlg>& banks) {
    const std::string key = BankKey(banks);
    {
      absl::MutexLock lock(&mu_);
      if (auto it = dirs_.find(key); it != dirs_.end()) return it->second.path();
    }
    absl::StatusOr<TempDir> dir = TempDir::Create("vigil-swtpm-template");
    if (!dir.ok()) return dir.status();
    fs::create_directories(dir->Join("state"));
    fs::create_directories(dir->Join("ek"));
    absl::Status s = ca.Provision(dir->Join("state"), dir->Join("ek"), banks);
    if (!s.ok()) return s;
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = dirs_.emplace(key, *std::move(dir));
    return it->second.path();  // a concurrent maker's copy wins; ours is dropped
  }
  ~Templates() = default;

 private:
  absl::Mutex mu_;
  std::map<std::string, TempDir> dirs_ ABSL_GUARDED_BY(mu_);
};

absl::Status CopyDir(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
  if (ec) return absl::InternalError(absl::StrCat("copy ", from, " -> ", to, ": ", ec.message()));
  return absl::OkStatus();
}

bool CanConnect(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

absl::StatusOr<std::unique_ptr<SwtpmInstance>> SwtpmInstance::Start(
    const SwtpmOptions& options) {
  if (options.pcr_banks.empty()) {
    return absl::InvalidArgumentError("swtpm: pcr_banks is empty");
  }
  absl::StatusOr<SwtpmCa*> ca = SwtpmCa::ForProcess();
  if (!ca.ok()) return ca.status();
  absl::StatusOr<TempDir> dir = TempDir::Create("vigil-swtpm");
  if (!dir.ok()) return dir.status();
  std::unique_ptr<SwtpmInstance> inst(new SwtpmInstance(*std::move(dir), options));
  inst->ca_dir_ = (*ca)->dir();
  fs::create_directories(inst->state_dir());
  fs::create_directories(inst->dir_.Join("ek"));
  if (options.distinct_ek) {
    absl::Status s = (*ca)->Provision(inst->state_dir(), inst->dir_.Join("ek"),
                                      options.pcr_banks);
    if (!s.ok()) return s;
  } else {
    absl::StatusOr<std::string> templ = Templates::Get().For(**ca, options.pcr_banks);
    if (!templ.ok()) return templ.status();
    absl::Status s = CopyDir(*templ + "/state", inst->state_dir());
    if (s.ok()) s = CopyDir(*templ + "/ek", inst->dir_.Join("ek"));
    if (!s.ok()) return s;
  }
  absl::Status s = inst->Launch();
  if (!s.ok()) return s;
  return inst;
}

absl::Status SwtpmInstance::Launch() {
  std::error_code ec;
  fs::remove(socket_path(), ec);
  fs::remove(ctrl_path(), ec);
  std::string flags = options_.startup_clear ? "not-need-init,startup-clear"
                                             : "not-need-init";
  std::vector<std::string> argv = {
      "swtpm", "socket", "--tpm2",
      "--tpmstate", absl::StrCat("dir=", state_dir()),
      "--server", absl::StrCat("type=unixio,path=", socket_path()),
      "--ctrl", absl::StrCat("type=unixio,path=", ctrl_path()),
      "--flags", flags,
      "--log", absl::StrCat("file=", dir_.Join("swtpm.log"), ",level=1")};
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  const std::string out = dir_.Join("swtpm.out");
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  int err = posix_spawnp(&pid_, "swtpm", &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    pid_ = -1;
    return absl::InternalError(absl::StrCat("spawn swtpm: ", std::strerror(err)));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    int wstatus = 0;
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat(
          "swtpm exited at startup: ", ReadText(out), ReadText(dir_.Join("swtpm.log"))));
    }
    if (CanConnect(socket_path()) && CanConnect(ctrl_path())) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(2));
  }
  Kill();
  return absl::DeadlineExceededError(absl::StrCat(
      "swtpm did not answer within 10 s: ", ReadText(out)));
}

SwtpmInstance::~SwtpmInstance() { (void)Stop(); }

tpm::TctiConfig SwtpmInstance::tcti_config() const {
  tpm::TctiConfig c;
  c.kind = tpm::TctiConfig::Kind::kSwtpm;
  c.loader_name = "swtpm";
  c.loader_conf = "path=" + socket_path();
  return c;
}

std::string SwtpmInstance::ek_cert_path(tpm::EkKind kind) const {
  switch (kind) {
    case tpm::EkKind::kRsa2048:
      return dir_.Join("ek/ek-rsa2048.crt");
    case tpm::EkKind::kEccNistP384:
      return dir_.Join("ek/ek-secp384r1.crt");
    case tpm::EkKind::kEccNistP256:
      return dir_.Join("ek/ek-secp256r1.crt");  // never written by swtpm 0.7.1
  }
  return "";
}

std::string SwtpmInstance::ca_root_cert_path() const {
  return ca_dir_ + "/state/swtpm-localca-rootca-cert.pem";
}
std::string SwtpmInstance::ca_intermediate_cert_path() const {
  return ca_dir_ + "/state/issuercert.pem";
}

void SwtpmInstance::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int wstatus = 0;
  waitpid(pid_, &wstatus, 0);
  pid_ = -1;
}

absl::Status SwtpmInstance::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + absl::Seconds(2);
  while (absl::Now() < deadline) {
    int wstatus = 0;
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  Kill();
  return absl::OkStatus();
}

absl::Status SwtpmInstance::Restart() {
  absl::Status s = Stop();
  if (!s.ok()) return s;
  return Launch();
}

absl::Status SwtpmInstance::RunTools(const std::string& command) const {
  const std::string log = Path("tools.log");
  const std::string full = absl::StrCat(
      "cd '", dir(), "' && export TPM2TOOLS_TCTI='", tcti(), "' && { ", command,
      " ; } >'", log, "' 2>&1; rc=$?; tpm2_flushcontext -t >/dev/null 2>&1; ",
      "tpm2_flushcontext -s >/dev/null 2>&1; exit $rc");
  absl::StatusOr<CommandResult> r = RunCommand({"sh", "-c", full});
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    std::ifstream in(log);
    std::string output((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
    return absl::InternalError(absl::StrCat("`", command, "` exited ", r->exit_code,
                                            ": ", output));
  }
  return absl::OkStatus();
}

}  // namespace vigil::testing
