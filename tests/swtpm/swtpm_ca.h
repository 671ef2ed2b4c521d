// File: tests/swtpm/swtpm_ca.h
// -----------------------------------------------------------------------------
// SwtpmCa: a local certificate authority for one test process, made by
// swtpm_localca through a project-local swtpm_setup.conf and
// swtpm-localca.conf in a temporary directory (toolchain.md §3). Nothing in
// /etc or /var/lib is read or written. swtpm_setup signs each provisioned
// TPM's EK certificates (RSA-2048, ECC P-384) and platform certificate with
// this CA's intermediate, so EK chains can be verified against a root that
// exists only for this run.
//
// Thread-safe: Provision() serializes swtpm_setup runs, because
// swtpm_localca creates the CA on first use and bumps a serial-number file.

#ifndef VIGIL_TESTS_SWTPM_SWTPM_CA_H_
#define VIGIL_TESTS_SWTPM_SWTPM_CA_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "tests/swtpm/subprocess.h"
#include "tpm/types/hash_alg.h"

namespace vigil::testing {

class SwtpmCa {
 public:
  // Create(): writes the configuration files into a new temporary directory.
  // The CA keys themselves are made by the first Provision(). Fails with
  // kInternal when the directory or files cannot be written.
  static absl::StatusOr<std::unique_ptr<SwtpmCa>> Create();

  // The CA shared by every SwtpmInstance of this process (created on first
  // use, removed at exit). Fails as Create().
  static absl::StatusOr<SwtpmCa*> ForProcess();

  // Provision(state_dir, ek_cert_dir, banks): runs
  //   swtpm_setup --tpm2 --create-ek-cert --create-platform-cert
  //     --pcr-banks <banks> --write-ek-cert-files <ek_cert_dir> ...
  // making an RSA-2048 EK (0x81010001, cert at NV 0x01c00002), an ECC P-384
  // EK (0x81010016, cert at 0x01c00016) and a platform certificate
  // (0x01c08000). ~0.7 s. Fails with kInternal (with swtpm_setup's output)
  // when swtpm_setup fails.
  absl::Status Provision(const std::string& state_dir,
                         const std::string& ek_cert_dir,
                         const std::vector<tpm::HashAlg>& banks);

  // The self-signed root ("CN=swtpm-localca-rootca") and the intermediate
  // that signs EK certificates ("CN=swtpm-localca"), PEM. They exist after
  // the first successful Provision().
  std::string root_cert_path() const { return dir_.Join("state/swtpm-localca-rootca-cert.pem"); }
  std::string intermediate_cert_path() const { return dir_.Join("state/issuercert.pem"); }
  const std::string& dir() const { return dir_.path(); }

 private:
  explicit SwtpmCa(TempDir dir) : dir_(std::move(dir)) {}

  TempDir dir_;
  absl::Mutex mu_;
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SWTPM_SWTPM_CA_H_
