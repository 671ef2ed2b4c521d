// File: agent/collect/event_log_source.h
// -----------------------------------------------------------------------------
// Where the agent gets the raw TCG boot event log. The log is read whole each
// time evidence is collected (it can grow after boot: Linux appends IMA-free
// events for late measurements, Windows for resume), and it is never parsed
// here: the verifier parses it as untrusted input (docs/ARCHITECTURE.md).
//
//   ASSIGN_OR_RETURN(auto log, SysfsEventLogSource::Open(
//       "/sys/kernel/security/tpm0/binary_bios_measurements"));
//   ...drop privileges...
//   ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, log->Read());

#ifndef VIGIL_AGENT_COLLECT_EVENT_LOG_SOURCE_H_
#define VIGIL_AGENT_COLLECT_EVENT_LOG_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vigil::agent {

// The largest event log the agent sends (evidence.proto: Evidence.event_log
// <= 16 MiB). Real logs are 10-100 KiB.
inline constexpr size_t kMaxEventLogSize = 16 * 1024 * 1024;

// A source of the current event log bytes. Implementations are not
// thread-safe; one owner calls Read().
class EventLogSource {
 public:
  virtual ~EventLogSource() = default;
  // Read(): the whole log as it is now. The bytes are UNTRUSTED (the agent
  // sends them as they are; only replay against a verified quote makes them
  // mean anything).
  // Fails with kResourceExhausted when the log exceeds kMaxEventLogSize,
  // kUnavailable when reading fails (naming the path and errno).
  virtual absl::StatusOr<std::vector<uint8_t>> Read() = 0;
};

// The kernel's securityfs log, read through a file descriptor opened before
// the agent drops privileges (the file is root-only, mode 0440). Each Read()
// starts again at offset 0 with pread, so the descriptor is never seeked and
// a log that grew is read in full.
class SysfsEventLogSource final : public EventLogSource {
 public:
  // Opens `path` read-only (O_CLOEXEC). Fails with kNotFound when it does not
  // exist (no TPM, or securityfs not mounted), kPermissionDenied when the
  // caller may not read it, kUnavailable otherwise.
  static absl::StatusOr<std::unique_ptr<SysfsEventLogSource>> Open(
      const std::string& path);
  ~SysfsEventLogSource() override;
  SysfsEventLogSource(const SysfsEventLogSource&) = delete;
  SysfsEventLogSource& operator=(const SysfsEventLogSource&) = delete;

  absl::StatusOr<std::vector<uint8_t>> Read() override;

 private:
  SysfsEventLogSource(std::string path, int fd)
      : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

// A regular file, opened anew on every Read() (tests, and logs copied out of
// band). Fails as SysfsEventLogSource::Open and Read.
class FileEventLogSource final : public EventLogSource {
 public:
  explicit FileEventLogSource(std::string path) : path_(std::move(path)) {}
  absl::StatusOr<std::vector<uint8_t>> Read() override;

 private:
  std::string path_;
};

namespace internal {
// Reads all of `fd` from offset 0 with pread, at most `limit` bytes (one more
// byte is attempted to detect an oversized log). `path` names the file in
// errors. Fails as EventLogSource::Read.
absl::StatusOr<std::vector<uint8_t>> PreadAll(int fd, const std::string& path,
                                              size_t limit);
// Opens `path` O_RDONLY|O_CLOEXEC; errors as SysfsEventLogSource::Open.
absl::StatusOr<int> OpenReadOnly(const std::string& path);
}  // namespace internal

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_COLLECT_EVENT_LOG_SOURCE_H_
