#include "tests/swtpm/tls_files.h"

#include <vector>

#include "common/status_macros.h"

namespace vigil::testing {
namespace {

absl::Status Openssl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  return RunCommandOk(args);
}

}  // namespace

absl::Status MakeCaFiles(const TempDir& dir, const std::string& ca) {
  return Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                  dir.Join(ca + ".key"), "-out", dir.Join(ca + ".pem"), "-subj",
                  "/CN=" + ca, "-days", "2"});
}

absl::Status IssueFiles(const TempDir& dir, const std::string& ca,
                        const std::string& name, const std::string& ext) {
  RETURN_IF_ERROR(
      Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
               "-nodes", "-keyout", dir.Join(name + ".key"), "-out",
               dir.Join(name + ".csr"), "-subj", "/O=Example/CN=" + name}));
  std::vector<std::string> args = {"x509",
                                   "-req",
                                   "-in",
                                   dir.Join(name + ".csr"),
                                   "-CA",
                                   dir.Join(ca + ".pem"),
                                   "-CAkey",
                                   dir.Join(ca + ".key"),
                                   "-CAcreateserial",
                                   "-out",
                                   dir.Join(name + ".pem"),
                                   "-days",
                                   "2"};
  if (!ext.empty()) {
    RETURN_IF_ERROR(WriteFile(dir.Join(name + ".ext"), ext));
    args.push_back("-extfile");
    args.push_back(dir.Join(name + ".ext"));
  }
  return Openssl(args);
}

}  // namespace vigil::testing
