// File: eventlog/event_types.h
// -----------------------------------------------------------------------------
// TCG event types (TCG PC Client Platform Firmware Profile Specification,
// version 1.05 rev 23, §10.4.1 "Event Types", Table 9) with their spec names
// kept verbatim (style.md rule 14).
//
// An event's type is NOT covered by the digest that is extended into a PCR, so
// it is attacker-controlled (go-attestation docs/event-log-disclosure.md).
// Fields holding it are named `untrusted_type`; nothing may be concluded from
// a type alone without checking the event data against the digest where the
// spec defines digest = H(data) (see DigestCoversData below).

#ifndef VIGIL_EVENTLOG_EVENT_TYPES_H_
#define VIGIL_EVENTLOG_EVENT_TYPES_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace vigil::eventlog {

inline constexpr uint32_t EV_PREBOOT_CERT = 0x00000000;
inline constexpr uint32_t EV_POST_CODE = 0x00000001;
inline constexpr uint32_t EV_UNUSED = 0x00000002;
inline constexpr uint32_t EV_NO_ACTION = 0x00000003;
inline constexpr uint32_t EV_SEPARATOR = 0x00000004;
inline constexpr uint32_t EV_ACTION = 0x00000005;
inline constexpr uint32_t EV_EVENT_TAG = 0x00000006;
inline constexpr uint32_t EV_S_CRTM_CONTENTS = 0x00000007;
inline constexpr uint32_t EV_S_CRTM_VERSION = 0x00000008;
inline constexpr uint32_t EV_CPU_MICROCODE = 0x00000009;
inline constexpr uint32_t EV_PLATFORM_CONFIG_FLAGS = 0x0000000A;
inline constexpr uint32_t EV_TABLE_OF_DEVICES = 0x0000000B;
inline constexpr uint32_t EV_COMPACT_HASH = 0x0000000C;
inline constexpr uint32_t EV_IPL = 0x0000000D;
inline constexpr uint32_t EV_IPL_PARTITION_DATA = 0x0000000E;
inline constexpr uint32_t EV_NONHOST_CODE = 0x0000000F;
inline constexpr uint32_t EV_NONHOST_CONFIG = 0x00000010;
inline constexpr uint32_t EV_NONHOST_INFO = 0x00000011;
inline constexpr uint32_t EV_OMIT_BOOT_DEVICE_EVENTS = 0x00000012;
inline constexpr uint32_t EV_EFI_EVENT_BASE = 0x80000000;
inline constexpr uint32_t EV_EFI_VARIABLE_DRIVER_CONFIG = 0x80000001;
inline constexpr uint32_t EV_EFI_VARIABLE_BOOT = 0x80000002;
inline constexpr uint32_t EV_EFI_BOOT_SERVICES_APPLICATION = 0x80000003;
inline constexpr uint32_t EV_EFI_BOOT_SERVICES_DRIVER = 0x80000004;
inline constexpr uint32_t EV_EFI_RUNTIME_SERVICES_DRIVER = 0x80000005;
inline constexpr uint32_t EV_EFI_GPT_EVENT = 0x80000006;
inline constexpr uint32_t EV_EFI_ACTION = 0x80000007;
inline constexpr uint32_t EV_EFI_PLATFORM_FIRMWARE_BLOB = 0x80000008;
inline constexpr uint32_t EV_EFI_HANDOFF_TABLES = 0x80000009;
inline constexpr uint32_t EV_EFI_PLATFORM_FIRMWARE_BLOB2 = 0x8000000A;
inline constexpr uint32_t EV_EFI_HANDOFF_TABLES2 = 0x8000000B;
inline constexpr uint32_t EV_EFI_VARIABLE_BOOT2 = 0x8000000C;
inline constexpr uint32_t EV_EFI_GPT_EVENT2 = 0x8000000D;
inline constexpr uint32_t EV_EFI_HCRTM_EVENT = 0x80000010;
inline constexpr uint32_t EV_EFI_VARIABLE_AUTHORITY = 0x800000E0;
inline constexpr uint32_t EV_EFI_SPDM_FIRMWARE_BLOB = 0x800000E1;
inline constexpr uint32_t EV_EFI_SPDM_FIRMWARE_CONFIG = 0x800000E2;
inline constexpr uint32_t EV_EFI_SPDM_DEVICE_POLICY = 0x800000E3;
inline constexpr uint32_t EV_EFI_SPDM_DEVICE_AUTHORITY = 0x800000E4;

// The spec name ("EV_SEPARATOR") of a registered type, or nullopt for a value
// the TCG registry does not define. Safe for any input value.
std::optional<absl::string_view> EventTypeName(uint32_t type);

// True for registered types (EventTypeName != nullopt).
inline bool IsKnownEventType(uint32_t type) {
  return EventTypeName(type).has_value();
}

// How an event's digest relates to its data, per the PC Client PFP spec.
enum class DigestRule {
  // The digest is of something else (firmware image in memory, PE image
  // Authenticode hash, ...): the data cannot be checked against it.
  kNotCovered,
  // The digest is H(event data) (e.g. EV_SEPARATOR §10.4.1, EV_EFI_ACTION,
  // EV_EFI_VARIABLE_DRIVER_CONFIG §9.2.6, Windows EV_EVENT_TAG).
  kDataHash,
  // EV_EFI_VARIABLE_BOOT: PFP 1.05 says H(UEFI_VARIABLE_DATA) but EDK2-based
  // firmware hashes only the VariableData member; either is accepted and the
  // one that matched is recorded.
  kDataHashOrVariableData,
  // EV_EFI_VARIABLE_AUTHORITY: H(UEFI_VARIABLE_DATA), but shim logs 6 bytes
  // after the structure and hashes the structure plus 5 of them
  // (go-attestation#157). A digest over any prefix that contains the whole
  // structure is accepted: everything that is interpreted stays covered.
  kDataHashAllowingTrailingBytes,
};

// The digest rule for an event of `type` on `pcr`. Only registered types have
// a rule other than kNotCovered. EV_EVENT_TAG is a data hash only on the
// Windows SIPA PCRs (12-14 SRTM, 17-22 DRTM; maa-spec §3.4): the Linux EFI
// stub uses tagged events on PCR 9 whose digest is of the initrd or load
// options they describe.
DigestRule DigestCoversData(uint32_t type, uint32_t pcr);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_EVENT_TYPES_H_
