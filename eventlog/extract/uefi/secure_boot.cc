#include "eventlog/extract/uefi/secure_boot.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "eventlog/event_types.h"
#include "eventlog/extract/uefi/boot_events.h"

namespace vigil::eventlog {
namespace {

constexpr uint32_t kPcr7 = 7;
constexpr uint32_t kPcr14 = 14;
constexpr char kSecureBootClaim[] = "secureBootEnabled";

std::string TypeText(uint32_t type) {
  std::optional<absl::string_view> name = EventTypeName(type);
  return name.has_value() ? std::string(*name)
                          : absl::StrCat("0x", absl::Hex(type, absl::kZeroPad8));
}

absl::Status RuleBroken(size_t index, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("pcr 7: event ", index, ": ", what));
}

bool IsSecureBootVariable(const UefiVariableData& v) {
  return v.vendor_guid == EfiGlobalVariableGuid() && v.name_utf8 == "SecureBoot";
}

// Header record of a crypto-agile log and EV_NO_ACTION events are never
// extended, so they carry no PCR 7 facts.
bool Extended(const EventLog& log, const RawEvent& ev) {
  if (log.format == LogFormat::kCryptoAgile && ev.index == 0) return false;
  return ev.untrusted_type != EV_NO_ACTION;
}

// Absolute offset of `bytes` in the log, for error messages. Event data
// spans point into EventLog::storage; anything else falls back to `fallback`.
size_t OffsetIn(const EventLog& log, absl::Span<const uint8_t> bytes,
                size_t fallback) {
  if (log.storage == nullptr || log.storage->empty()) return fallback;
  const uint8_t* begin = log.storage->data();
  const uint8_t* end = begin + log.storage->size();
  if (bytes.data() < begin || bytes.data() > end) return fallback;
  return static_cast<size_t>(bytes.data() - begin);
}

bool AllowedInPcr7(uint32_t type) {
  switch (type) {
    case EV_SEPARATOR:
    case EV_EFI_VARIABLE_DRIVER_CONFIG:
    case EV_EFI_VARIABLE_AUTHORITY:
    case EV_EFI_ACTION:
    case EV_EFI_SPDM_DEVICE_POLICY:
    case EV_EFI_SPDM_DEVICE_AUTHORITY:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<std::optional<size_t>> CheckPcr7TrustRules(
    const ReplayedLog& log) {
  const EventLog& el = log.log();
  std::optional<size_t> separator;
  bool any = false;
  std::set<std::pair<std::string, std::string>> seen;
  for (const RawEvent& ev : el.events) {
    if (ev.pcr_index != kPcr7 || !Extended(el, ev)) continue;
    const size_t i = ev.index;
    any = true;
    if (!log.EventTrusted(i)) {
      return RuleBroken(i, absl::StrCat(TypeText(ev.untrusted_type),
                                        " is not trusted (unregistered type "
                                        "or data does not match its digest)"));
    }
    if (!AllowedInPcr7(ev.untrusted_type)) {
      return RuleBroken(i, absl::StrCat("unexpected ", TypeText(ev.untrusted_type),
                                        " in pcr 7 (relabeled event?)"));
    }
    if (ev.untrusted_type == EV_SEPARATOR) {
      if (separator.has_value()) {
        return RuleBroken(i, absl::StrCat("second EV_SEPARATOR (first is event ",
                                          *separator, ")"));
      }
      // 0xFFFFFFFF reports a firmware error before the OS (PFP §3.3.2.2).
      // Other non-standard data (one legacy corpus log uses the byte 0xFF) is
      // tolerated: the data is digest-covered and only the position matters.
      absl::StatusOr<Separator> s = ParseSeparator(ev.data);
      if (s.ok() && s->is_error) {
        return RuleBroken(i, "EV_SEPARATOR reports a firmware error "
                             "(0xFFFFFFFF)");
      }
      separator = i;
      continue;
    }
    if (ev.untrusted_type == EV_EFI_ACTION ||
        ev.untrusted_type == EV_EFI_SPDM_DEVICE_POLICY ||
        ev.untrusted_type == EV_EFI_SPDM_DEVICE_AUTHORITY) {
      continue;
    }
    absl::StatusOr<UefiVariableData> v =
        ParseUefiVariableData(ev.data, OffsetIn(el, ev.data, ev.offset));
    if (ev.untrusted_type == EV_EFI_VARIABLE_AUTHORITY) {
      if (v.ok() && IsSecureBootVariable(*v)) {
        return RuleBroken(i, "SecureBoot variable in an EV_EFI_VARIABLE_AUTHORITY "
                             "event (relabeled type)");
      }
      continue;  // malformed authority data is reported by the extractor
    }
    // EV_EFI_VARIABLE_DRIVER_CONFIG.
    if (!v.ok()) {
      return RuleBroken(i, absl::StrCat("EV_EFI_VARIABLE_DRIVER_CONFIG: ",
                                        v.status().message()));
    }
    if (separator.has_value()) {
      return RuleBroken(i, absl::StrCat("variable ", v->name_utf8,
                                        " measured after the EV_SEPARATOR "
                                        "(event ",
                                        *separator, ")"));
    }
    if (!seen.emplace(v->vendor_guid.ToString(), v->name_utf8).second) {
      return RuleBroken(i, absl::StrCat("variable ", v->name_utf8,
                                        " measured twice"));
    }
  }
  if (any && !separator.has_value()) {
    return absl::InvalidArgumentError("pcr 7: events but no EV_SEPARATOR");
  }
  return separator;
}

absl::StatusOr<SecureBootState> ExtractSecureBoot(const ReplayedLog& log) {
  if (!log.PcrVerified(kPcr7)) {
    return absl::FailedPreconditionError(
        "pcr 7: not verified against trusted PCR values");
  }
  absl::StatusOr<std::optional<size_t>> separator = CheckPcr7TrustRules(log);
  if (!separator.ok()) return separator.status();

  const EventLog& el = log.log();
  SecureBootState out;
  out.separator_index = *separator;
  out.storage = el.storage;
  for (const RawEvent& ev : el.events) {
    if (ev.pcr_index != kPcr7 || !Extended(el, ev)) continue;
    const size_t i = ev.index;
    if (ev.untrusted_type == EV_EFI_ACTION) {
      out.actions.push_back(DecodeEventText(ev.data).text);
      continue;
    }
    if (ev.untrusted_type != EV_EFI_VARIABLE_DRIVER_CONFIG &&
        ev.untrusted_type != EV_EFI_VARIABLE_AUTHORITY) {
      continue;
    }
    absl::StatusOr<UefiVariableData> v =
        ParseUefiVariableData(ev.data, OffsetIn(el, ev.data, ev.offset));
    if (!v.ok()) {
      return RuleBroken(i, absl::StrCat(TypeText(ev.untrusted_type), ": ",
                                        v.status().message()));
    }
    const size_t data_offset = OffsetIn(el, v->variable_data, ev.offset);
    if (ev.untrusted_type == EV_EFI_VARIABLE_AUTHORITY) {
      SecureBootAuthority a;
      a.event_index = i;
      a.variable_name = v->name_utf8;
      a.variable_guid = v->vendor_guid;
      a.variable_data = v->variable_data;
      a.after_separator = separator->has_value() && i > **separator;
      if (v->name_utf8 == "SbatLevel") {
        out.sbat_level = DecodeEventText(v->variable_data).text;
      } else if (v->name_utf8 == "MokSBState" && !v->variable_data.empty()) {
        out.mok_sb_state = v->variable_data[0];
      } else {
        absl::StatusOr<EfiSignatureData> sig =
            ParseEfiSignatureData(v->variable_data, data_offset);
        if (sig.ok()) a.signature = *std::move(sig);
      }
      out.authorities.push_back(std::move(a));
      continue;
    }
    const std::string& name = v->name_utf8;
    auto lists = [&](std::optional<std::vector<EfiSignatureList>>* field)
        -> absl::Status {
      absl::StatusOr<std::vector<EfiSignatureList>> l =
          ParseEfiSignatureLists(v->variable_data, data_offset);
      if (!l.ok()) {
        return RuleBroken(i, absl::StrCat(name, ": ", l.status().message()));
      }
      *field = *std::move(l);
      return absl::OkStatus();
    };
    absl::Status s;
    if (v->vendor_guid == EfiGlobalVariableGuid()) {
      const auto& d = v->variable_data;
      if (name == "SecureBoot") {
        out.enabled = d.size() == 1 && d[0] == 1;
        if (d.size() != 1) {
          out.secure_boot_raw = std::vector<uint8_t>(d.begin(), d.end());
        }
      } else if (name == "SetupMode" && !d.empty()) {
        out.setup_mode = d[0];
      } else if (name == "AuditMode" && !d.empty()) {
        out.audit_mode = d[0];
      } else if (name == "DeployedMode" && !d.empty()) {
        out.deployed_mode = d[0];
      } else if (name == "PK") {
        s = lists(&out.pk);
      } else if (name == "KEK") {
        s = lists(&out.kek);
      } else {
        out.other_variables.push_back(
            absl::StrCat(name, " (", v->vendor_guid.ToString(), ")"));
      }
    } else if (v->vendor_guid == EfiImageSecurityDatabaseGuid() &&
               (name == "db" || name == "dbx")) {
      s = lists(name == "db" ? &out.db : &out.dbx);
    } else {
      out.other_variables.push_back(
          absl::StrCat(name, " (", v->vendor_guid.ToString(), ")"));
    }
    if (!s.ok()) return s;
  }
  if (log.PcrVerified(kPcr14)) {
    for (const RawEvent& ev : el.events) {
      if (ev.pcr_index != kPcr14 || ev.untrusted_type != EV_IPL) continue;
      EventText name = DecodeEventText(ev.data);
      if (name.text.rfind("MokList", 0) != 0) continue;
      MokMeasurement m;
      m.event_index = ev.index;
      m.untrusted_name = name.text;
      if (auto d = ev.DigestFor(tpm::HashAlg::kSha256); d.has_value()) {
        m.sha256_digest.assign(d->begin(), d->end());
      }
      out.mok_measurements.push_back(std::move(m));
    }
  }
  return out;
}

void DeriveUefiClaims(const ReplayedLog& log, DerivedClaims* claims) {
  const uint32_t pcr7[] = {kPcr7};
  if (!log.PcrsClean(pcr7)) {
    claims->Underivable(kSecureBootClaim, log.WhyNotClean(pcr7));
    return;
  }
  absl::StatusOr<std::optional<size_t>> separator = CheckPcr7TrustRules(log);
  if (!separator.ok()) {
    claims->Underivable(kSecureBootClaim,
                        std::string(separator.status().message()));
    return;
  }
  const EventLog& el = log.log();
  std::optional<bool> value;
  for (const RawEvent& ev : el.events) {
    if (ev.untrusted_type != EV_EFI_VARIABLE_DRIVER_CONFIG ||
        !Extended(el, ev)) {
      continue;
    }
    absl::StatusOr<UefiVariableData> v =
        ParseUefiVariableData(ev.data, OffsetIn(el, ev.data, ev.offset));
    if (!v.ok() || !IsSecureBootVariable(*v)) continue;
    if (ev.pcr_index != kPcr7) {
      // Azure's Windows rule would count this event; a PCR other than 7 may
      // be extendable by the OS, so its presence means the log cannot vouch.
      claims->Underivable(
          kSecureBootClaim,
          absl::StrCat("pcr ", ev.pcr_index, ": event ", ev.index,
                       ": SecureBoot variable measured outside pcr 7"));
      return;
    }
    // CheckPcr7TrustRules guarantees at most one, before the separator.
    value = v->variable_data.size() == 1 && v->variable_data[0] == 0x01;
  }
  claims->Set(kSecureBootClaim, value.value_or(false));
}

}  // namespace vigil::eventlog
