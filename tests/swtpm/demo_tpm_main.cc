// vigil-demo-tpm: a software TPM that re-enacts a recorded boot, for the
// demo (scripts/demo). Provisions an swtpm with an EK certificate from a
// local CA made for this run, replays every measurement of LOG into its PCRs
// in order (tests/swtpm/boot_reenactment.h), copies the CA certificates into
// DIR/ek-roots (the verifier's trust bundle), prints
//   tcti: swtpm:path=...
//   ek-roots: DIR/ek-roots
//   ready
// and keeps the TPM running until SIGTERM/SIGINT (then removes it).
//   vigil-demo-tpm LOG DIR
// Exit 0 after a signal, 1 when the TPM cannot be started.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "common/testing/testdata.h"
#include "eventlog/parser.h"
#include "tests/swtpm/boot_reenactment.h"
#include "tests/swtpm/swtpm_ca.h"
#include "tests/swtpm/swtpm_instance.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: vigil-demo-tpm LOG DIR\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::vector<uint8_t> bytes = vigil::testing::ReadFileBytes(argv[1]);
  absl::StatusOr<vigil::eventlog::EventLog> log = vigil::eventlog::Parse(bytes);
  if (!log.ok()) {
    std::cerr << "vigil-demo-tpm: " << argv[1] << ": " << log.status().message()
              << "\n";
    return 1;
  }
  absl::StatusOr<std::unique_ptr<vigil::testing::SwtpmInstance>> swtpm =
      vigil::testing::StartSwtpmWithBootLog(*log);
  if (!swtpm.ok()) {
    std::cerr << "vigil-demo-tpm: " << swtpm.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<vigil::testing::SwtpmCa*> ca =
      vigil::testing::SwtpmCa::ForProcess();
  if (!ca.ok()) {
    std::cerr << "vigil-demo-tpm: " << ca.status().message() << "\n";
    return 1;
  }
  const std::filesystem::path roots =
      std::filesystem::path(argv[2]) / "ek-roots";
  std::filesystem::create_directories(roots);
  std::filesystem::copy_file((*ca)->root_cert_path(),
                             roots / "swtpm-localca-root.pem",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file((*ca)->intermediate_cert_path(),
                             roots / "swtpm-localca.pem",
                             std::filesystem::copy_options::overwrite_existing);
  std::cout << "tcti: " << (*swtpm)->tcti() << "\n"
            << "ek-roots: " << roots.string() << "\n"
            << "ready" << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  return 0;
}
