// File: tests/swtpm/tls_files.h
// -----------------------------------------------------------------------------
// Test support: a CA and certificates issued by it, made by the openssl CLI
// in a TempDir (P-256 keys, valid for two days from now), for servers and
// clients that load PEM files: TLS listeners, client certificates, a local
// identity provider.
//
//   ASSERT_OK(MakeCaFiles(dir, "ca"));                       // ca.pem, ca.key
//   ASSERT_OK(IssueFiles(dir, "ca", "server", kLoopbackSan)); //
//   server.pem/.key
#ifndef VIGIL_TESTS_SWTPM_TLS_FILES_H_
#define VIGIL_TESTS_SWTPM_TLS_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "tests/swtpm/subprocess.h"

namespace vigil::testing {

// An extension file line for a server on 127.0.0.1.
inline constexpr char kLoopbackSan[] = "subjectAltName=IP:127.0.0.1\n";

// `dir`/`ca`.pem and .key: a self-signed CA with subject /CN=`ca`. Fails
// with kInternal when openssl fails.
absl::Status MakeCaFiles(const TempDir& dir, const std::string& ca);

// `dir`/`name`.pem and .key issued by the CA `ca` (made by MakeCaFiles),
// subject /O=Example/CN=`name` (RFC 2253: "CN=name,O=Example"), with the
// extension lines `ext` (e.g. kLoopbackSan; empty: none). Fails with
// kInternal when openssl fails.
absl::Status IssueFiles(const TempDir& dir, const std::string& ca,
                        const std::string& name, const std::string& ext = "");

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SWTPM_TLS_FILES_H_
