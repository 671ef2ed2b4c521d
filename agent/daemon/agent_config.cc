#include "agent/daemon/agent_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/client/verifier_client.h"
#include "tpm/device/esys_context.h"

namespace vigil::agent {
namespace {

// A value's parser: stores into the config or says what was wanted.
using Setter = std::function<absl::Status(absl::string_view, AgentConfig&)>;

absl::Status Want(absl::string_view what, absl::string_view got) {
  return absl::InvalidArgumentError(
      absl::StrCat("want ", what, ", got \"", absl::CEscape(got), "\""));
}

Setter String(std::string AgentConfig::*field) {
  return [field](absl::string_view v, AgentConfig& c) {
    c.*field = std::string(v);
    return absl::OkStatus();
  };
}

Setter Path(std::string AgentConfig::*field) {
  return [field](absl::string_view v, AgentConfig& c) {
    if (!v.empty() && v[0] != '/') return Want("an absolute path", v);
    c.*field = std::string(v);
    return absl::OkStatus();
  };
}

Setter Duration(absl::Duration AgentConfig::*field) {
  return [field](absl::string_view v, AgentConfig& c) {
    absl::Duration d;
    if (!absl::ParseDuration(v, &d) || d <= absl::ZeroDuration() ||
        d == absl::InfiniteDuration()) {
      return Want("a positive duration such as 30s, 5m or 1h", v);
    }
    c.*field = d;
    return absl::OkStatus();
  };
}

absl::Status SetBool(absl::string_view v, bool& out) {
  if (v == "true" || v == "yes") {
    out = true;
  } else if (v == "false" || v == "no") {
    out = false;
  } else {
    return Want("true or false", v);
  }
  return absl::OkStatus();
}

const std::map<std::string, Setter, std::less<>>& Setters() {
  static const auto* setters = new std::map<std::string, Setter, std::less<>>{
      {"verifier", String(&AgentConfig::verifier)},
      {"tls_ca", Path(&AgentConfig::tls_ca)},
      {"tls_cert", Path(&AgentConfig::tls_cert)},
      {"tls_key", Path(&AgentConfig::tls_key)},
      {"insecure", [](absl::string_view v,
                      AgentConfig& c) { return SetBool(v, c.insecure); }},
      {"tcti",
       [](absl::string_view v, AgentConfig& c) {
         absl::StatusOr<tpm::TctiConfig> t = tpm::TctiConfig::Parse(v);
         if (!t.ok()) {
           // The key is named already; drop TctiConfig's own "tcti" prefix.
           absl::string_view m = t.status().message();
           if (!absl::ConsumePrefix(&m, "tcti: ")) {
             absl::ConsumePrefix(&m, "tcti ");
           }
           return absl::InvalidArgumentError(m);
         }
         c.tcti = std::string(v);
         return absl::OkStatus();
       }},
      {"event_log", Path(&AgentConfig::event_log)},
      {"ak_handle",
       [](absl::string_view v, AgentConfig& c) {
         uint32_t h = 0;
         // Persistent handles (Part 2 §7.4: TPM_HT_PERSISTENT = 0x81).
         if (!absl::StartsWith(v, "0x") ||
             !absl::SimpleHexAtoi(v.substr(2), &h) || (h >> 24) != 0x81) {
           return Want("a persistent handle 0x81000000-0x81ffffff", v);
         }
         c.ak_handle = h;
         return absl::OkStatus();
       }},
      {"ak_alg",
       [](absl::string_view v, AgentConfig& c) {
         for (tpm::AkAlg a : {tpm::AkAlg::kEccNistP256, tpm::AkAlg::kRsa2048}) {
           if (v == tpm::AkAlgName(a)) {
             c.ak_alg = a;
             return absl::OkStatus();
           }
         }
         return Want("ecc-p256 or rsa2048", v);
       }},
      {"ek",
       [](absl::string_view v, AgentConfig& c) {
         for (tpm::EkKind k : {tpm::EkKind::kRsa2048, tpm::EkKind::kEccNistP256,
                               tpm::EkKind::kEccNistP384}) {
           if (v == tpm::EkKindName(k)) {
             c.ek = k;
             return absl::OkStatus();
           }
         }
         return Want("rsa2048, ecc-p256 or ecc-p384", v);
       }},
      {"token_file", Path(&AgentConfig::token_file)},
      {"interval", Duration(&AgentConfig::interval)},
      {"backoff_min", Duration(&AgentConfig::backoff_min)},
      {"backoff_max", Duration(&AgentConfig::backoff_max)},
      {"step_timeout", Duration(&AgentConfig::step_timeout)},
      {"keepalive", Duration(&AgentConfig::keepalive)},
      {"user", String(&AgentConfig::user)},
      {"group", String(&AgentConfig::group)},
  };
  return *setters;
}

// Whole-file rules; each names the key and the line it was set on.
absl::Status Validate(const AgentConfig& c,
                      const std::map<std::string, int, std::less<>>& lines,
                      absl::string_view filename) {
  auto at = [&](absl::string_view key, absl::string_view reason) {
    auto it = lines.find(key);
    std::string where = it == lines.end()
                            ? std::string(filename)
                            : absl::StrCat(filename, ":", it->second);
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", key, ": ", reason));
  };
  if (c.verifier.empty()) return at("verifier", "required (host:port)");
  if (c.insecure && !IsLoopbackTarget(c.verifier)) {
    return at("insecure",
              absl::StrCat("plaintext is allowed only to unix: and loopback "
                           "verifiers, not ",
                           c.verifier));
  }
  if (!c.insecure && c.tls_ca.empty()) {
    return at("tls_ca", "required unless insecure = true");
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return at(c.tls_cert.empty() ? "tls_key" : "tls_cert",
              "tls_cert and tls_key go together (mutual TLS)");
  }
  if (c.backoff_min > c.backoff_max) {
    return at("backoff_min", "greater than backoff_max");
  }
  if (c.token_file.empty()) return at("token_file", "empty");
  if (c.user.empty()) return at("user", "empty");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AgentConfig> ParseAgentConfig(absl::string_view text,
                                             absl::string_view filename) {
  AgentConfig config;
  std::map<std::string, int, std::less<>> lines;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    auto error = [&](absl::string_view msg) {
      return absl::InvalidArgumentError(
          absl::StrCat(filename, ":", line_no, ": ", msg));
    };
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return error("want `key = value`");
    }
    absl::string_view key = absl::StripAsciiWhitespace(line.substr(0, eq));
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(eq + 1));
    auto setter = Setters().find(key);
    if (setter == Setters().end()) {
      return error(
          absl::StrCat(key.empty() ? "(empty)" : key, ": unknown key"));
    }
    auto [it, inserted] = lines.emplace(std::string(key), line_no);
    if (!inserted) {
      return error(
          absl::StrCat(key, ": set again (first on line ", it->second, ")"));
    }
    absl::Status s = setter->second(value, config);
    if (!s.ok()) return error(absl::StrCat(key, ": ", s.message()));
  }
  if (absl::Status s = Validate(config, lines, filename); !s.ok()) return s;
  return config;
}

absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    std::string msg = absl::StrCat(path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(msg);
    if (err == EACCES) return absl::PermissionDeniedError(msg);
    return absl::InvalidArgumentError(msg);
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseAgentConfig(text.str(), path);
}

}  // namespace vigil::agent
