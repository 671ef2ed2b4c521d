// File: tools/vigilctl/testing/vigilctl_runner.h
// -----------------------------------------------------------------------------
// Test-only: run vigilctl's commands and look at what they print, in process
// (unit tests) or as the real executables (tests against a running admin
// service: a fake in tools/vigilctl, the real one end to end), plus scratch
// files and signer files made at test time (no private key is committed).
//
//   ScratchDir dir;
//   SignerFiles signer = WriteSignerFiles(dir, TestSigner::Make(...), "s");
//   CommandOutput r = RunInProcess([&] { return RunPolicyCommand(args); });
//   ASSERT_OK_AND_ASSIGN(CommandOutput p, RunProgram(VIGILCTL, args));

#ifndef VIGIL_TOOLS_VIGILCTL_TESTING_VIGILCTL_RUNNER_H_
#define VIGIL_TOOLS_VIGILCTL_TESTING_VIGILCTL_RUNNER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/control/testing/test_pki.h"

namespace vigil::vigilctl::testing {

struct CommandOutput {
  int exit_code = -1;  // -1: killed (a signal, or the timeout)
  std::string out;     // stdout
  std::string err;     // stderr
};

// RunInProcess: runs `command` with std::cout and std::cerr captured.
// Not thread-safe (it swaps the global streams' buffers).
CommandOutput RunInProcess(const std::function<int()>& command);

// RunProgram: runs `path` with `args` (argv[1..], no shell) and waits for it,
// stdout and stderr captured apart. Killed with SIGKILL after `timeout`
// (exit_code -1). Fails with kInternal when it cannot be started.
absl::StatusOr<CommandOutput> RunProgram(
    const std::string& path, const std::vector<std::string>& args,
    absl::Duration timeout = absl::Seconds(60));

// A directory made by mkdtemp, removed with its content on destruction.
// Aborts when it cannot be made (test setup).
class ScratchDir {
 public:
  ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir();

  const std::string& path() const { return path_; }
  std::string Join(absl::string_view name) const;
  // Writes `content` to Join(name) (mode 0600); returns the path. Aborts on
  // failure.
  std::string Write(absl::string_view name, absl::string_view content) const;

 private:
  std::string path_;
};

// PEM "CERTIFICATE" text of `der`.
std::string CertificatePem(absl::string_view der);

// The files of a signer as `--key` and `--cert` take them.
struct SignerFiles {
  std::string key;   // PKCS#8 PEM (a test key made at test time)
  std::string cert;  // the chain, PEM, leaf first
};

// WriteSignerFiles: `signer`'s key and chain as NAME.key and NAME.pem in
// `dir`.
SignerFiles WriteSignerFiles(const ScratchDir& dir,
                             const control::testing::TestSigner& signer,
                             absl::string_view name);

}  // namespace vigil::vigilctl::testing

#endif  // VIGIL_TOOLS_VIGILCTL_TESTING_VIGILCTL_RUNNER_H_
