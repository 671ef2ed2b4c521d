#include "tools/loadgen/haproxy_front.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace vigil::loadgen {
namespace {

// Replaces the one line of `lines` that, without its indentation, starts
// with `prefix`: its text from `prefix` on becomes `with` (the rest of the
// line after the prefix is kept unless `whole`).
absl::Status ReplaceOnce(std::vector<std::string>& lines,
                         absl::string_view prefix, absl::string_view with,
                         bool whole) {
  int found = 0;
  for (std::string& line : lines) {
    const size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos ||
        absl::string_view(line).substr(start, prefix.size()) != prefix) {
      continue;
    }
    ++found;
    line = absl::StrCat(line.substr(0, start), with,
                        whole ? "" : line.substr(start + prefix.size()));
  }
  if (found != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(kHaproxyFrontExample, ": want one line starting \"",
                     prefix, "\", found ", found));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> HaproxyFrontConfig(absl::string_view example,
                                               const HaproxyFrontSettings& s) {
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"bind", &s.bind},
        {"certificate", &s.certificate},
        {"client_ca", &s.client_ca},
        {"verifier", &s.verifier}}) {
    if (value->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("front: ", name, " empty"));
    }
  }
  if (s.max_connections < 1) {
    return absl::InvalidArgumentError("front: max_connections < 1");
  }
  std::vector<std::string> lines = absl::StrSplit(example, '\n');
  const std::string bind_line =
      absl::StrCat("bind ", s.bind, " ssl crt ", s.certificate, " ca-file ",
                   s.client_ca, " verify required alpn h2");
  // The bind line's options other than the address and files must be the
  // example's: checked by matching it whole.
  RETURN_IF_ERROR(
      ReplaceOnce(lines,
                  "bind :8443 ssl crt /etc/vigil/agents-front.pem ca-file "
                  "/etc/vigil/agent-ca.pem verify required alpn h2",
                  bind_line, /*whole=*/false));
  // The example's number goes.
  RETURN_IF_ERROR(ReplaceOnce(lines, "maxconn ",
                              absl::StrCat("maxconn ", s.max_connections),
                              /*whole=*/true));
  // The server line keeps its options.
  RETURN_IF_ERROR(ReplaceOnce(lines, "server verifier 127.0.0.1:8440 ",
                              absl::StrCat("server verifier ", s.verifier, " "),
                              /*whole=*/false));
  if (s.max_connections_per_address > 0) {
    RETURN_IF_ERROR(ReplaceOnce(
        lines, "tcp-request connection reject if { sc0_conn_cur gt ",
        absl::StrCat("tcp-request connection reject if { sc0_conn_cur gt ",
                     s.max_connections_per_address, " }"),
        /*whole=*/true));
  }
  if (s.tolerate_descriptor_limit) {
    RETURN_IF_ERROR(ReplaceOnce(lines, "global", "global\n    no strict-limits",
                                /*whole=*/true));
  }
  if (s.keep_identity) {
    for (const char* prefix : {"user ", "group ", "chroot "}) {
      RETURN_IF_ERROR(ReplaceOnce(
          lines, prefix, absl::StrCat("# (", prefix, "left out for this run)"),
          /*whole=*/true));
    }
  }
  return absl::StrJoin(lines, "\n");
}

}  // namespace vigil::loadgen
