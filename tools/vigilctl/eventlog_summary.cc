#include "tools/vigilctl/eventlog_summary.h"

#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/encoding.h"
#include "eventlog/claims.h"
#include "eventlog/event_types.h"
#include "eventlog/extract/uefi/boot_events.h"
#include "eventlog/extract/uefi/secure_boot.h"

namespace vigil::vigilctl {
namespace {

using eventlog::RawEvent;

std::string Pad(absl::string_view s, size_t width) {
  std::string out(s);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

void Line(std::string* out, absl::string_view label, absl::string_view value) {
  absl::StrAppend(out, "  ", Pad(label, 27), value, "\n");
}

std::string Short(const tpm::Digest& d) {
  std::string hex = HexEncode(d);
  return hex.size() > 16 ? hex.substr(0, 16) + "…" : hex;
}

std::string EventName(const RawEvent& ev) {
  return std::string(eventlog::EventTypeName(ev.untrusted_type)
                         .value_or(absl::StrCat("unknown type 0x",
                                                absl::Hex(ev.untrusted_type))));
}

std::string CertList(const std::optional<std::vector<eventlog::EfiSignatureList>>& lists) {
  if (!lists.has_value()) return "not measured";
  size_t certs = 0, hashes = 0;
  std::vector<std::string> subjects;
  for (const auto& l : *lists) {
    for (const auto& s : l.signatures) {
      if (s.x509.has_value()) {
        ++certs;
        subjects.push_back(s.x509->subject);
      } else if (l.signature_type == eventlog::EfiCertX509Guid()) {
        ++certs;
        subjects.push_back("(undecodable certificate)");
      } else {
        ++hashes;
      }
    }
  }
  std::string out = absl::StrCat(certs, certs == 1 ? " certificate" : " certificates",
                                 hashes ? absl::StrCat(", ", hashes, " hashes") : "");
  for (size_t i = 0; i < subjects.size() && i < 4; ++i) {
    absl::StrAppend(&out, "\n  ", Pad("", 29), subjects[i]);
  }
  if (subjects.size() > 4) absl::StrAppend(&out, "\n  ", Pad("", 29), "…");
  return out;
}

std::string ClaimText(const eventlog::ClaimValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return absl::StrCat(x);
        } else {
          return absl::StrCat("\"", x, "\"");
        }
      },
      v);
}

void LogSection(const std::string& path, const eventlog::ReplayedLog& r,
                std::string* out) {
  const eventlog::EventLog& log = r.log();
  absl::StrAppend(out, "Event log  ", path, "\n");
  std::vector<std::string> banks;
  for (tpm::HashAlg a : log.algorithms) banks.push_back(std::string(tpm::HashAlgName(a)));
  std::string fmt = absl::StrCat(
      log.format == eventlog::LogFormat::kCryptoAgile ? "crypto-agile" : "SHA-1",
      ", ", log.events.size(), " records, banks ", absl::StrJoin(banks, " "));
  if (log.startup_locality) absl::StrAppend(&fmt, ", StartupLocality ", *log.startup_locality);
  Line(out, "format", fmt);
  if (!r.against_quote()) {
    Line(out, "PCR values", "NOT verified: no PCR values supplied (--expect); the log is trusted as recorded");
  } else {
    size_t verified = 0;
    for (uint32_t p = 0; p < tpm::kNumPcrs; ++p) verified += r.PcrVerified(p);
    Line(out, "PCR values",
         r.mismatches().empty()
             ? absl::StrCat("verified against the supplied values: ", verified,
                            " PCRs match")
             : absl::StrCat(verified, " PCRs verified, ", r.mismatches().size(),
                            " MISMATCHED:"));
    for (const eventlog::PcrMismatch& m : r.mismatches()) {
      std::string last = "no event in the log extends it";
      if (m.last_event) {
        const RawEvent& ev = log.events[*m.last_event];
        last = absl::StrCat("last event #", ev.index, " ", EventName(ev), " at offset ",
                            ev.offset);
      }
      absl::StrAppend(out, "  ", Pad("", 27), tpm::HashAlgName(m.alg), " PCR ", m.pcr,
                      ": expected ", Short(m.expected), ", log replays to ",
                      Short(m.replayed), "; ", last, "\n");
    }
  }
  if (r.findings().empty()) {
    Line(out, "integrity", "every event's data matches its digest where the spec requires it");
  } else {
    for (const eventlog::IntegrityFinding& f : r.findings()) {
      Line(out, "integrity", absl::StrCat("event #", f.event_index, " (PCR ", f.pcr, "): ",
                                          f.detail));
    }
  }
  for (const eventlog::AppliedQuirk& q : r.quirks()) {
    Line(out, "firmware quirk", absl::StrCat(q.id, " (", tpm::HashAlgName(q.alg), " PCR ",
                                             q.pcr, ")"));
  }
}

void SecureBootSection(const eventlog::ReplayedLog& r, std::string* out) {
  absl::StrAppend(out, "Secure Boot (PCR 7)\n");
  absl::StatusOr<eventlog::SecureBootState> sb = eventlog::ExtractSecureBoot(r);
  if (!sb.ok()) {
    Line(out, "state", absl::StrCat("cannot be determined: ", sb.status().message()));
    return;
  }
  Line(out, "SecureBoot", !sb->enabled.has_value() ? "not measured"
                          : *sb->enabled           ? "enabled"
                                                   : "disabled");
  if (sb->setup_mode) Line(out, "SetupMode", absl::StrCat(*sb->setup_mode));
  Line(out, "PK", CertList(sb->pk));
  Line(out, "KEK", CertList(sb->kek));
  Line(out, "db", CertList(sb->db));
  Line(out, "dbx", CertList(sb->dbx));
  std::vector<std::string> used;
  for (const auto& a : sb->authorities) {
    std::string who = a.signature && a.signature->x509 ? a.signature->x509->subject
                                                       : "(not a certificate)";
    used.push_back(absl::StrCat(who, " [", a.variable_name, "]"));
  }
  if (!used.empty()) {
    Line(out, "authorities used", used[0]);
    for (size_t i = 1; i < used.size(); ++i) absl::StrAppend(out, "  ", Pad("", 27), used[i], "\n");
  }
  if (sb->sbat_level) {
    std::string level = *sb->sbat_level;
    while (!level.empty() && (level.back() == '\n' || level.back() == '\0')) level.pop_back();
    for (char& c : level) {
      if (c == '\n') c = ' ';
    }
    Line(out, "SbatLevel", level);
  }
}

void BootAppsSection(const eventlog::ReplayedLog& r, std::string* out) {
  std::vector<std::string> apps;
  for (const RawEvent& ev : r.log().events) {
    if (ev.untrusted_type != eventlog::EV_EFI_BOOT_SERVICES_APPLICATION ||
        !r.EventTrusted(ev.index)) {
      continue;
    }
    auto load = eventlog::ParseUefiImageLoadEvent(ev.data);
    std::string name = load.ok() ? eventlog::DevicePathFileName(load->device_path) : "";
    if (name.empty() && load.ok()) name = eventlog::DevicePathToText(load->device_path);
    if (name.empty()) name = "(no device path)";
    const auto d = ev.DigestFor(tpm::HashAlg::kSha256);
    apps.push_back(absl::StrCat(name, d ? absl::StrCat("  sha256:", HexEncode(*d).substr(0, 16), "…")
                                        : ""));
  }
  absl::StrAppend(out, "Boot applications (PCR 4; paths are not covered by the digests)\n");
  if (apps.empty()) absl::StrAppend(out, "  none logged\n");
  for (const std::string& a : apps) absl::StrAppend(out, "  ", a, "\n");
}

void ClaimsSection(const eventlog::ReplayedLog& r, std::string* out) {
  eventlog::DerivedClaims claims = eventlog::DeriveClaims(r);
  absl::StrAppend(out, "Claims (Azure Attestation TPM claim set)\n");
  for (const auto& [name, value] : claims.claims) Line(out, name, ClaimText(value));
  if (!claims.underivable.empty()) {
    absl::StrAppend(out, "Not derived (never assumed)\n");
    for (const auto& [reason, names] : claims.UnderivableByReason()) {
      absl::StrAppend(out, "  ", reason, ":\n    ", absl::StrJoin(names, ", "), "\n");
    }
  }
}

}  // namespace

std::string RenderEventlogSummary(const std::string& path,
                                  const eventlog::ReplayedLog& log) {
  std::string out;
  LogSection(path, log, &out);
  out += "\n";
  SecureBootSection(log, &out);
  out += "\n";
  BootAppsSection(log, &out);
  out += "\n";
  ClaimsSection(log, &out);
  return out;
}

}  // namespace vigil::vigilctl
