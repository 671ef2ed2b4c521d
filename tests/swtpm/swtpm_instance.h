// File: tests/swtpm/swtpm_instance.h
// -----------------------------------------------------------------------------
// SwtpmInstance: one swtpm process for a test, provisioned like real hardware
// (EK certificates and a platform certificate from the per-run SwtpmCa), on
// Unix sockets in its own temporary directory, so any number can run in
// parallel and no port is ever fixed (style.md rule 20).
//
//   ASSERT_OK_AND_ASSIGN(auto swtpm, SwtpmInstance::Start());
//   ASSERT_OK_AND_ASSIGN(auto ctx, tpm::EsysContext::Open(swtpm->tcti_config()));
//
// Provisioning costs ~0.7 s (swtpm_setup), so by default an instance starts
// from a copy of a template state made once per process per bank set: all
// such instances share one EK identity (toolchain.md §5). Ask for
// `distinct_ek` when a test needs its own EK.
//
// Thread safety: Start() may be called from many threads. One instance
// belongs to one test.

#ifndef VIGIL_TESTS_SWTPM_SWTPM_INSTANCE_H_
#define VIGIL_TESTS_SWTPM_SWTPM_INSTANCE_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/swtpm/subprocess.h"
#include "tpm/device/ek.h"
#include "tpm/device/esys_context.h"
#include "tpm/types/hash_alg.h"

namespace vigil::testing {

struct SwtpmOptions {
  // Run swtpm_setup for this instance (a fresh EK) instead of cloning the
  // per-process template.
  bool distinct_ek = false;
  // PCR banks to allocate (swtpm_setup --pcr-banks).
  std::vector<tpm::HashAlg> pcr_banks = {tpm::HashAlg::kSha1, tpm::HashAlg::kSha256};
  // true: swtpm sends TPM2_Startup(CLEAR) itself at locality 0
  // (--flags startup-clear). false: the TPM waits for the test to send
  // TPM2_Startup, e.g. at locality 3 (boot_reenactment.h).
  bool startup_clear = true;
};

class SwtpmInstance {
 public:
  // Start(options): provisions (or clones) a state directory, starts
  // `swtpm socket`, and returns once the TPM socket accepts connections.
  // Fails with kInternal (with swtpm's log) when swtpm_setup or swtpm fail,
  // kDeadlineExceeded when swtpm does not answer within 10 s.
  static absl::StatusOr<std::unique_ptr<SwtpmInstance>> Start(
      const SwtpmOptions& options = {});

  // Always tears down: SIGTERM, then SIGKILL after 2 s, then removes the
  // directory.
  ~SwtpmInstance();
  SwtpmInstance(const SwtpmInstance&) = delete;
  SwtpmInstance& operator=(const SwtpmInstance&) = delete;

  // "swtpm:path=<dir>/tpm.sock" (the control socket is "<dir>/tpm.sock.ctrl").
  std::string tcti() const { return "swtpm:path=" + socket_path(); }
  tpm::TctiConfig tcti_config() const;
  std::string socket_path() const { return dir_.Join("tpm.sock"); }
  std::string ctrl_path() const { return dir_.Join("tpm.sock.ctrl"); }
  std::string state_dir() const { return dir_.Join("state"); }
  const std::string& dir() const { return dir_.path(); }
  const SwtpmOptions& options() const { return options_; }
  pid_t pid() const { return pid_; }

  // The EK certificate (DER) swtpm_setup wrote for `kind` (rsa2048 and
  // ecc-p384 only; swtpm 0.7.1 makes no P-256 EK certificate).
  // A file in this instance's private directory.
  std::string Path(const std::string& name) const { return dir_.Join(name); }

  // RunTools(command): runs `command` with sh in dir() with TPM2TOOLS_TCTI
  // pointing at this swtpm (for tpm2-tools cross-checks), then flushes
  // transient objects and sessions (swtpm has 3 object slots and no resource
  // manager). Fails with kInternal carrying the command's output when it
  // exits non-zero, or as RunCommand.
  absl::Status RunTools(const std::string& command) const;

  std::string ek_cert_path(tpm::EkKind kind) const;
  // The per-run CA's root and intermediate certificates (PEM).
  std::string ca_root_cert_path() const;
  std::string ca_intermediate_cert_path() const;

  // Kill(): SIGKILL, no clean shutdown (fault tests). Idempotent.
  void Kill();
  // Stop(): SIGTERM and wait (swtpm keeps its NV state on disk).
  absl::Status Stop();
  // Restart(): Stop() if running, then start swtpm again on the same state
  // (a TPM power cycle: transient objects are gone, persistent ones and NV
  // stay; TPM2_Startup(CLEAR) per options().startup_clear).
  absl::Status Restart();

 private:
  SwtpmInstance(TempDir dir, SwtpmOptions options)
      : dir_(std::move(dir)), options_(std::move(options)) {}
  absl::Status Launch();

  TempDir dir_;
  SwtpmOptions options_;
  std::string ca_dir_;
  pid_t pid_ = -1;
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SWTPM_SWTPM_INSTANCE_H_
