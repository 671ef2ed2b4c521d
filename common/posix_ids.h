// File: common/posix_ids.h
// -----------------------------------------------------------------------------
// User and group names to ids (getpwnam_r / getgrnam_r, thread-safe), for
// the agent's privilege drop and the verifier's socket group.
//
//   absl::StatusOr<gid_t> gid = GroupId("haproxy");
#ifndef VIGIL_COMMON_POSIX_IDS_H_
#define VIGIL_COMMON_POSIX_IDS_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"

namespace vigil {

struct UserIds {
  uid_t uid = 0;
  gid_t gid = 0;  // the user's primary group
};

// The user named `name`. Fails with kNotFound (`no user "NAME"`) when the
// system's user database has none (or cannot be read).
absl::StatusOr<UserIds> UserByName(const std::string& name);

// The group named `name`. Fails with kNotFound (`no group "NAME"`) likewise.
absl::StatusOr<gid_t> GroupId(const std::string& name);

}  // namespace vigil

#endif  // VIGIL_COMMON_POSIX_IDS_H_
