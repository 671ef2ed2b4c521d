#include "agent/daemon/log.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace vigil::agent {
namespace {

void Write(absl::string_view priority, absl::string_view message) {
  // The priority prefix only when stderr goes to the journal (systemd sets
  // JOURNAL_STREAM); on a terminal it would be noise.
  static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  // One fwrite per line, so lines from threads do not interleave.
  std::string line =
      absl::StrCat(journal ? priority : "", "vigil-agent: ", message, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

void LogInfo(absl::string_view message) { Write("<6>", message); }
void LogWarning(absl::string_view message) { Write("<4>", message); }
void LogError(absl::string_view message) { Write("<3>", message); }

std::string TokenSummary(absl::string_view token) {
  if (token.size() < 32) return absl::StrCat(token.size(), " bytes");
  return absl::StrCat(token.size(), " bytes, ...",
                      token.substr(token.size() - 6));
}

}  // namespace vigil::agent
