#include "common/posix_ids.h"

#include <grp.h>
#include <pwd.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace vigil {
namespace {

// Large enough for any sane entry (a group's member list included); an
// entry that does not fit reads as absent (ERANGE), which names it.
constexpr size_t kEntryBuffer = 1 << 16;

}  // namespace

absl::StatusOr<UserIds> UserByName(const std::string& name) {
  std::vector<char> buf(kEntryBuffer);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 ||
      found == nullptr) {
    return absl::NotFoundError(absl::StrCat("no user \"", name, "\""));
  }
  return UserIds{pw.pw_uid, pw.pw_gid};
}

absl::StatusOr<gid_t> GroupId(const std::string& name) {
  std::vector<char> buf(kEntryBuffer);
  group gr{};
  group* found = nullptr;
  if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 ||
      found == nullptr) {
    return absl::NotFoundError(absl::StrCat("no group \"", name, "\""));
  }
  return gr.gr_gid;
}

}  // namespace vigil
