#include "agent/collect/event_log_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace vigil::agent {
namespace internal {

absl::StatusOr<int> OpenReadOnly(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) return fd;
  const int err = errno;
  std::string msg = absl::StrCat("event log ", path, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  return absl::UnavailableError(msg);
}

absl::StatusOr<std::vector<uint8_t>> PreadAll(int fd, const std::string& path,
                                              size_t limit) {
  // securityfs files report size 0 in stat, so read until EOF rather than
  // sizing the buffer from fstat.
  std::vector<uint8_t> out;
  size_t used = 0;
  for (;;) {
    if (out.size() - used < 64 * 1024) {
      out.resize(std::min(limit + 1, used + 256 * 1024));
      if (out.size() == used) break;  // limit + 1 bytes read
    }
    ssize_t n = ::pread(fd, out.data() + used, out.size() - used,
                        static_cast<off_t>(used));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("event log ", path,
                                                 ": read at offset ", used,
                                                 ": ", std::strerror(errno)));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (used > limit) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "event log ", path, ": larger than the ", limit, "-byte limit"));
  }
  out.resize(used);
  return out;
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<SysfsEventLogSource>> SysfsEventLogSource::Open(
    const std::string& path) {
  ASSIGN_OR_RETURN(int fd, internal::OpenReadOnly(path));
  return std::unique_ptr<SysfsEventLogSource>(
      new SysfsEventLogSource(path, fd));
}

SysfsEventLogSource::~SysfsEventLogSource() { ::close(fd_); }

absl::StatusOr<std::vector<uint8_t>> SysfsEventLogSource::Read() {
  return internal::PreadAll(fd_, path_, kMaxEventLogSize);
}

absl::StatusOr<std::vector<uint8_t>> FileEventLogSource::Read() {
  ASSIGN_OR_RETURN(int fd, internal::OpenReadOnly(path_));
  absl::StatusOr<std::vector<uint8_t>> bytes =
      internal::PreadAll(fd, path_, kMaxEventLogSize);
  ::close(fd);
  return bytes;
}

}  // namespace vigil::agent
