#include "agent/daemon/privileged_resources.h"

#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "agent/daemon/log.h"
#include "common/posix_ids.h"
#include "common/status_macros.h"

namespace vigil::agent {
namespace {

absl::StatusOr<std::string> ReadPem(absl::string_view key,
                                    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    std::string msg = absl::StrCat(key, ": ", path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(msg);
    if (err == EACCES) return absl::PermissionDeniedError(msg);
    return absl::InvalidArgumentError(msg);
  }
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": ", path, ": empty"));
  }
  return text.str();
}

absl::Status Denied(absl::string_view what) {
  return absl::PermissionDeniedError(
      absl::StrCat("drop privileges: ", what, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<TlsFiles> ReadTlsFiles(const AgentConfig& config) {
  TlsFiles files;
  if (config.insecure) return files;
  ASSIGN_OR_RETURN(files.ca_bundle_pem, ReadPem("tls_ca", config.tls_ca));
  if (!config.tls_cert.empty()) {
    ASSIGN_OR_RETURN(files.client_cert_pem,
                     ReadPem("tls_cert", config.tls_cert));
    ASSIGN_OR_RETURN(files.client_key_pem, ReadPem("tls_key", config.tls_key));
  }
  return files;
}

absl::StatusOr<tpm::EsysContext> OpenTpm(const AgentConfig& config) {
  ASSIGN_OR_RETURN(tpm::TctiConfig tcti, tpm::TctiConfig::Parse(config.tcti));
  if (tcti.kind == tpm::TctiConfig::Kind::kSwtpm) {
    LogWarning(absl::StrCat(
        "INSECURE: tcti ", config.tcti,
        " is a software TPM; its attestations prove nothing about a machine"));
  }
  return tpm::EsysContext::Open(tcti);
}

absl::StatusOr<std::unique_ptr<EventLogSource>> OpenEventLog(
    const AgentConfig& config) {
  if (config.event_log.empty()) return nullptr;
  ASSIGN_OR_RETURN(std::unique_ptr<SysfsEventLogSource> log,
                   SysfsEventLogSource::Open(config.event_log));
  return std::unique_ptr<EventLogSource>(std::move(log));
}

absl::StatusOr<DropOutcome> DropPrivileges(const std::string& user,
                                           const std::string& group) {
  if (::geteuid() != 0) {
    LogWarning(absl::StrCat("not started as root (uid ", ::geteuid(),
                            "): no privileges to drop, staying as is"));
    return DropOutcome::kNotRoot;
  }
  if (user == "root") {
    LogWarning("user = root: keeping root privileges");
    return DropOutcome::kStayedRoot;
  }
  absl::StatusOr<UserIds> ids = UserByName(user);
  if (!ids.ok()) {
    return absl::NotFoundError(
        absl::StrCat("drop privileges: ", ids.status().message()));
  }
  const uid_t uid = ids->uid;
  gid_t gid = ids->gid;
  if (!group.empty()) {
    absl::StatusOr<gid_t> g = GroupId(group);
    if (!g.ok()) {
      return absl::NotFoundError(
          absl::StrCat("drop privileges: ", g.status().message()));
    }
    gid = *g;
  }
  if (uid == 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "drop privileges: user \"", user, "\" has uid 0; use user = root"));
  }
  if (::setgroups(1, &gid) != 0) return Denied("setgroups");
  if (::setresgid(gid, gid, gid) != 0) return Denied("setresgid");
  if (::setresuid(uid, uid, uid) != 0) return Denied("setresuid");
  // The drop must be irreversible; if root comes back, stop.
  if (::setuid(0) == 0 || ::seteuid(0) == 0) {
    return absl::PermissionDeniedError(
        "drop privileges: setuid(0) succeeded after the drop");
  }
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  ::getresuid(&ruid, &euid, &suid);
  ::getresgid(&rgid, &egid, &sgid);
  if (ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid ||
      sgid != gid) {
    return absl::PermissionDeniedError(
        "drop privileges: ids differ from those set");
  }
  return DropOutcome::kDropped;
}

}  // namespace vigil::agent
