#include "agent/daemon/agent_config.h"

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "agent/client/verifier_client.h"
#include "common/kv_config.h"
#include "common/status_macros.h"
#include "tpm/device/esys_context.h"

namespace vigil::agent {
namespace {

// Every key the file may set (agent/README.md documents each).
const std::vector<std::string>& Keys() {
  static const auto* keys = new std::vector<std::string>{
      "verifier",   "tls_ca",    "tls_cert",    "tls_key",     "insecure",
      "tcti",       "event_log", "ak_handle",   "ak_alg",      "ek",
      "token_file", "interval",  "backoff_min", "backoff_max", "step_timeout",
      "keepalive",  "user",      "group"};
  return *keys;
}

absl::Status GetPath(const KvConfig& kv, absl::string_view key,
                     std::string* out) {
  std::string v = *out;
  RETURN_IF_ERROR(kv.GetString(key, &v));
  if (!v.empty() && v[0] != '/') {
    return kv.Error(key, absl::StrCat("want an absolute path, got \"",
                                      absl::CEscape(v), "\""));
  }
  *out = std::move(v);
  return absl::OkStatus();
}

absl::Status GetTcti(const KvConfig& kv, std::string* out) {
  std::string v = *out;
  RETURN_IF_ERROR(kv.GetString("tcti", &v));
  absl::StatusOr<tpm::TctiConfig> t = tpm::TctiConfig::Parse(v);
  if (!t.ok()) {
    // The key is named already; drop TctiConfig's own "tcti" prefix.
    absl::string_view m = t.status().message();
    if (!absl::ConsumePrefix(&m, "tcti: ")) absl::ConsumePrefix(&m, "tcti ");
    return kv.Error("tcti", m);
  }
  *out = std::move(v);
  return absl::OkStatus();
}

absl::Status GetAkHandle(const KvConfig& kv, uint32_t* out) {
  if (!kv.Has("ak_handle")) return absl::OkStatus();
  std::string v;
  RETURN_IF_ERROR(kv.GetString("ak_handle", &v));
  uint32_t h = 0;
  // Persistent handles (Part 2 §7.4: TPM_HT_PERSISTENT = 0x81).
  if (!absl::StartsWith(v, "0x") || !absl::SimpleHexAtoi(v.substr(2), &h) ||
      (h >> 24) != 0x81) {
    return kv.Error("ak_handle", absl::StrCat("want a persistent handle "
                                              "0x81000000-0x81ffffff, got \"",
                                              absl::CEscape(v), "\""));
  }
  *out = h;
  return absl::OkStatus();
}

// Looks `key` up among `values` by their names.
template <typename T>
absl::Status GetNamed(const KvConfig& kv, absl::string_view key,
                      std::initializer_list<T> values,
                      absl::string_view (*name)(T), T* out) {
  std::vector<std::string> names;
  for (T v : values) names.emplace_back(name(v));
  std::string chosen(name(*out));
  RETURN_IF_ERROR(kv.GetChoice(key, names, &chosen));
  for (T v : values) {
    if (chosen == name(v)) *out = v;
  }
  return absl::OkStatus();
}

// Whole-file rules; each names the key and the line it was set on.
absl::Status Validate(const AgentConfig& c, const KvConfig& kv) {
  if (c.verifier.empty()) return kv.Error("verifier", "required (host:port)");
  if (c.insecure && !IsLoopbackTarget(c.verifier)) {
    return kv.Error("insecure",
                    absl::StrCat("plaintext is allowed only to unix: and "
                                 "loopback verifiers, not ",
                                 c.verifier));
  }
  if (!c.insecure && c.tls_ca.empty()) {
    return kv.Error("tls_ca", "required unless insecure = true");
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return kv.Error(c.tls_cert.empty() ? "tls_key" : "tls_cert",
                    "tls_cert and tls_key go together (mutual TLS)");
  }
  if (c.backoff_min > c.backoff_max) {
    return kv.Error("backoff_min", "greater than backoff_max");
  }
  if (c.token_file.empty()) return kv.Error("token_file", "empty");
  if (c.user.empty()) return kv.Error("user", "empty");
  return absl::OkStatus();
}

absl::StatusOr<AgentConfig> FromKv(const KvConfig& kv) {
  AgentConfig c;
  RETURN_IF_ERROR(kv.GetString("verifier", &c.verifier));
  RETURN_IF_ERROR(GetPath(kv, "tls_ca", &c.tls_ca));
  RETURN_IF_ERROR(GetPath(kv, "tls_cert", &c.tls_cert));
  RETURN_IF_ERROR(GetPath(kv, "tls_key", &c.tls_key));
  RETURN_IF_ERROR(kv.GetBool("insecure", &c.insecure));
  RETURN_IF_ERROR(GetTcti(kv, &c.tcti));
  RETURN_IF_ERROR(GetPath(kv, "event_log", &c.event_log));
  RETURN_IF_ERROR(GetAkHandle(kv, &c.ak_handle));
  RETURN_IF_ERROR(GetNamed(kv, "ak_alg",
                           {tpm::AkAlg::kEccNistP256, tpm::AkAlg::kRsa2048},
                           &tpm::AkAlgName, &c.ak_alg));
  RETURN_IF_ERROR(GetNamed(kv, "ek",
                           {tpm::EkKind::kRsa2048, tpm::EkKind::kEccNistP256,
                            tpm::EkKind::kEccNistP384},
                           &tpm::EkKindName, &c.ek));
  RETURN_IF_ERROR(GetPath(kv, "token_file", &c.token_file));
  // Bounds keep a typo ("1" for 1h is refused by the parser; "1s" for 1h is
  // not) from turning into a tight loop against the verifier.
  RETURN_IF_ERROR(kv.GetDuration("interval", absl::Seconds(10),
                                 absl::Hours(24 * 30), &c.interval));
  RETURN_IF_ERROR(kv.GetDuration("backoff_min", absl::Milliseconds(100),
                                 absl::Hours(1), &c.backoff_min));
  RETURN_IF_ERROR(kv.GetDuration("backoff_max", absl::Milliseconds(100),
                                 absl::Hours(24), &c.backoff_max));
  RETURN_IF_ERROR(kv.GetDuration("step_timeout", absl::Seconds(1),
                                 absl::Hours(1), &c.step_timeout));
  RETURN_IF_ERROR(kv.GetDuration("keepalive", absl::Seconds(10), absl::Hours(2),
                                 &c.keepalive));
  RETURN_IF_ERROR(kv.GetString("user", &c.user));
  RETURN_IF_ERROR(kv.GetString("group", &c.group));
  RETURN_IF_ERROR(Validate(c, kv));
  return c;
}

}  // namespace

absl::StatusOr<AgentConfig> ParseAgentConfig(absl::string_view text,
                                             absl::string_view filename) {
  ASSIGN_OR_RETURN(KvConfig kv, KvConfig::Parse(text, filename, Keys()));
  return FromKv(kv);
}

absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path) {
  ASSIGN_OR_RETURN(KvConfig kv, KvConfig::Load(path, Keys()));
  return FromKv(kv);
}

}  // namespace vigil::agent
