#include "tests/swtpm/swtpm_ca.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vigil::testing {

absl::StatusOr<std::unique_ptr<SwtpmCa>> SwtpmCa::Create() {
  absl::StatusOr<TempDir> dir = TempDir::Create("vigil-swtpm-ca");
  if (!dir.ok()) return dir.status();
  const std::string d = dir->path();
  std::error_code ec;
  std::filesystem::create_directories(d + "/state", ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", d, "/state: ", ec.message()));
  absl::Status s = WriteFile(d + "/swtpm-localca.conf",
                             absl::StrCat("statedir = ", d, "/state\n",
                                          "signingkey = ", d, "/state/signkey.pem\n",
                                          "issuercert = ", d, "/state/issuercert.pem\n",
                                          "certserial = ", d, "/state/certserial\n"));
  if (s.ok()) {
    s = WriteFile(d + "/swtpm-localca.options",
                  "--platform-manufacturer Vigil\n--platform-version 2.1\n"
                  "--platform-model swtpm-test\n");
  }
  if (s.ok()) {
    s = WriteFile(d + "/swtpm_setup.conf",
                  absl::StrCat("create_certs_tool = /usr/bin/swtpm_localca\n",
                               "create_certs_tool_config = ", d, "/swtpm-localca.conf\n",
                               "create_certs_tool_options = ", d, "/swtpm-localca.options\n",
                               "active_pcr_banks = sha256\n"));
  }
  if (!s.ok()) return s;
  return std::unique_ptr<SwtpmCa>(new SwtpmCa(*std::move(dir)));
}

absl::StatusOr<SwtpmCa*> SwtpmCa::ForProcess() {
  static absl::Mutex mu(absl::kConstInit);
  // Destroyed at exit, which removes the CA directory.
  static std::unique_ptr<SwtpmCa> ca;
  absl::MutexLock lock(&mu);
  if (ca == nullptr) {
    absl::StatusOr<std::unique_ptr<SwtpmCa>> made = Create();
    if (!made.ok()) return made.status();
    ca = *std::move(made);
  }
  return ca.get();
}

absl::Status SwtpmCa::Provision(const std::string& state_dir,
                                const std::string& ek_cert_dir,
                                const std::vector<tpm::HashAlg>& banks) {
  std::vector<std::string> names;
  for (tpm::HashAlg b : banks) names.emplace_back(tpm::HashAlgName(b));
  std::vector<std::string> argv = {
      "swtpm_setup", "--tpm2", "--tpmstate", state_dir, "--config",
      dir_.Join("swtpm_setup.conf"), "--create-ek-cert", "--create-platform-cert",
      "--pcr-banks", absl::StrJoin(names, ","), "--write-ek-cert-files",
      ek_cert_dir, "--overwrite"};
  absl::MutexLock lock(&mu_);
  absl::StatusOr<CommandResult> r = RunCommand(argv, absl::Seconds(60));
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::InternalError(absl::StrCat("swtpm_setup exited ", r->exit_code,
                                            ": ", r->output));
  }
  return absl::OkStatus();
}

}  // namespace vigil::testing
