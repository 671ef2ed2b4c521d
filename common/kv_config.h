// File: common/kv_config.h
// -----------------------------------------------------------------------------
// The daemons' configuration file format: `key = value` lines, `#` comments
// and blank lines ignored, every key at most once, unknown keys are errors (a
// typo must not fall back to a default silently). Values run to the end of
// the line, surrounding whitespace trimmed. Every error names the place:
// "verifier.conf:7: nonce_lifetime: want a duration such as 30s, 5m or 1h,
// got \"soon\"".
//
//   ASSIGN_OR_RETURN(KvConfig c, KvConfig::Parse(text, "verifier.conf",
//                                                {"listen", "tls_cert", ...}));
//   RETURN_IF_ERROR(c.GetString("listen", &config.listen));
//   RETURN_IF_ERROR(c.GetDuration("nonce_lifetime", &config.nonce_lifetime));
#ifndef VIGIL_COMMON_KV_CONFIG_H_
#define VIGIL_COMMON_KV_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vigil {

class KvConfig {
 public:
  // Parses `text`; `known_keys` lists every accepted key. Fails with
  // kInvalidArgument "FILENAME:LINE: ..." for a line without '=', an empty
  // key, an unknown key or a repeated one.
  static absl::StatusOr<KvConfig> Parse(
      absl::string_view text, absl::string_view filename,
      const std::vector<std::string>& known_keys);
  // Reads and parses `path`. Fails with kNotFound/kPermissionDenied
  // ("PATH: cannot read: ...") and as Parse.
  static absl::StatusOr<KvConfig> Load(
      const std::string& path, const std::vector<std::string>& known_keys);

  bool Has(absl::string_view key) const;
  // Each Get leaves `*out` unchanged when the key is absent; on a present
  // but invalid value fails with kInvalidArgument "FILENAME:LINE: key: ...".
  absl::Status GetString(absl::string_view key, std::string* out) const;
  absl::Status GetBool(absl::string_view key,
                       bool* out) const;  // true/false/yes/no/on/off
  absl::Status GetInt(absl::string_view key, int64_t min, int64_t max,
                      int64_t* out) const;  // decimal or 0x hex
  absl::Status GetDuration(absl::string_view key, absl::Duration min,
                           absl::Duration max, absl::Duration* out) const;
  // One of `choices`.
  absl::Status GetChoice(absl::string_view key,
                         const std::vector<std::string>& choices,
                         std::string* out) const;

  // "FILENAME:LINE: key: " + message, for checks the caller makes across
  // keys; "FILENAME: key: " when the key is absent.
  absl::Status Error(absl::string_view key, absl::string_view message) const;

 private:
  struct Entry {
    std::string value;
    int line = 0;
  };
  std::string filename_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace vigil

#endif  // VIGIL_COMMON_KV_CONFIG_H_
