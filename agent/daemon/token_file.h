// File: agent/daemon/token_file.h
// -----------------------------------------------------------------------------
// Writing the latest token for local consumers so that a reader never sees a
// partial or empty file: the bytes go to a temporary file in the same
// directory (rename(2) is atomic only within one file system), which is
// fsync'ed and then renamed over the target; the directory is fsync'ed so the
// rename survives a crash.

#ifndef VIGIL_AGENT_DAEMON_TOKEN_FILE_H_
#define VIGIL_AGENT_DAEMON_TOKEN_FILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vigil::agent {

// WriteFileAtomically(path, contents, mode): replaces `path` with `contents`,
// with permissions exactly `mode` (umask does not apply). Readers see either
// the old file or the new one, whole.
// Fails with kUnavailable naming the step and errno (directory missing or not
// writable, disk full); the temporary file is removed and `path` is left as
// it was.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents,
                                 mode_t mode = 0644);

// RemoveFile(path): unlinks `path`; OK when it does not exist. Fails with
// kUnavailable otherwise.
absl::Status RemoveFile(const std::string& path);

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_DAEMON_TOKEN_FILE_H_
