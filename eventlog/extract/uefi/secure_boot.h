// File: eventlog/extract/uefi/secure_boot.h
// -----------------------------------------------------------------------------
// Secure Boot state from PCR 7 of a replayed log (TCG PC Client PFP 1.05 §3.3.4.8
// "PCR[7] - Secure Boot Policy Measurements", UEFI 2.10 §32), and the Azure
// `secureBootEnabled` claim (docs/maa-spec.md §2.2, §3.1).
//
// Trust rules (go-attestation attest/secureboot.go ParseSecurebootState, and
// landscape.md §10.1), applied to PCR 7 by CheckPcr7TrustRules:
//   1. every PCR 7 event other than EV_NO_ACTION must be EventTrusted: its
//      type registered and, for the digest-covered types used here, its data
//      hashing to its digest (ReplayedLog already checked; see data_check);
//   2. only EV_EFI_VARIABLE_DRIVER_CONFIG, EV_EFI_VARIABLE_AUTHORITY,
//      EV_EFI_ACTION, EV_SEPARATOR and the SPDM policy/authority events may
//      appear in PCR 7; anything else is a relabeled event;
//   3. exactly one EV_SEPARATOR, not the 0xFFFFFFFF error value, whenever PCR 7 has any
//      event (without one, events an attacker extends after boot could not be
//      told from firmware measurements); a PCR 7 with no events at all is a
//      platform that measured no policy (legacy BIOS);
//   4. EV_EFI_VARIABLE_DRIVER_CONFIG events come before the separator, parse as
//      UEFI_VARIABLE_DATA, and no (VariableName GUID, UnicodeName) repeats;
//   5. no event of another type carries the SecureBoot variable (a SecureBoot
//      event relabeled to, e.g., EV_EFI_VARIABLE_AUTHORITY still hashes to its
//      digest, so the type is the only thing an attacker changed).
// Events after the separator are shim/boot loader authority measurements
// (EV_EFI_VARIABLE_AUTHORITY), which are expected there.

#ifndef VIGIL_EVENTLOG_EXTRACT_UEFI_SECURE_BOOT_H_
#define VIGIL_EVENTLOG_EXTRACT_UEFI_SECURE_BOOT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "eventlog/claim_set.h"
#include "eventlog/extract/uefi/efi_signature_list.h"
#include "eventlog/replayed_log.h"
#include "eventlog/uefi_variable.h"

namespace vigil::eventlog {

// One EV_EFI_VARIABLE_AUTHORITY event: the certificate (or other datum) that
// authorized loading an image (UEFI §32.4.4; shim adds its own).
struct SecureBootAuthority {
  size_t event_index = 0;
  std::string variable_name;  // "db", "Shim", "MokListRT", "SbatLevel", ...
  EfiGuid variable_guid;
  absl::Span<const uint8_t> variable_data;
  // The EFI_SIGNATURE_DATA when the data is one (owner GUID + certificate or
  // hash); its x509 member is set when the certificate decodes.
  std::optional<EfiSignatureData> signature;
  bool after_separator = false;
};

// A PCR 14 shim measurement of a MOK variable (shim mok.c): the log records
// only the name (EV_IPL data, NOT covered by the digest) and the digest of
// the variable contents.
struct MokMeasurement {
  size_t event_index = 0;
  std::string untrusted_name;  // "MokList", "MokListX", "MokListTrusted"
  std::vector<uint8_t> sha256_digest;  // empty if the log has no SHA-256 bank
};

// The Secure Boot configuration measured into PCR 7. Every field comes from
// events the caller's ReplayedLog trusts, once the trust rules above held.
// Spans point into the log storage, which `storage` keeps alive.
struct SecureBootState {
  // The SecureBoot variable (UEFI §3.3): true iff it is exactly 0x01. nullopt
  // when PCR 7 has no SecureBoot event (legacy firmware).
  std::optional<bool> enabled;
  // Raw bytes of SecureBoot when they are not a single byte (some AMI
  // firmware measures it empty), for display; `enabled` is then false.
  std::optional<std::vector<uint8_t>> secure_boot_raw;
  // SetupMode/AuditMode/DeployedMode (UEFI §32.3), when measured (first byte).
  std::optional<uint8_t> setup_mode;
  std::optional<uint8_t> audit_mode;
  std::optional<uint8_t> deployed_mode;
  // Signature databases, when measured (an empty vector: measured empty).
  std::optional<std::vector<EfiSignatureList>> pk;
  std::optional<std::vector<EfiSignatureList>> kek;
  std::optional<std::vector<EfiSignatureList>> db;
  std::optional<std::vector<EfiSignatureList>> dbx;
  std::vector<SecureBootAuthority> authorities;
  // shim's SbatLevel (EV_EFI_VARIABLE_AUTHORITY in PCR 7), e.g.
  // "sbat,1,2021030218\n".
  std::optional<std::string> sbat_level;
  // shim's MokSBState (1 = shim validation disabled by the machine owner).
  std::optional<uint8_t> mok_sb_state;
  // PCR 14 MOK measurements, only when PCR 14 is verified.
  std::vector<MokMeasurement> mok_measurements;
  // EFI_ACTION texts in PCR 7 ("UEFI Debug Mode" marks a debug firmware).
  std::vector<std::string> actions;
  // Other DRIVER_CONFIG variables seen before the separator ("Name (GUID)").
  std::vector<std::string> other_variables;
  // The PCR 7 EV_SEPARATOR; nullopt only when PCR 7 has no events.
  std::optional<size_t> separator_index;

  std::shared_ptr<const std::vector<uint8_t>> storage;
};

// CheckPcr7TrustRules(log): OK when PCR 7's events obey rules 1-5 above.
// Does not check that PCR 7 is verified (callers do: PcrsClean / PcrVerified).
// Fails with kInvalidArgument, message "pcr 7: event N: <rule broken>".
// Returns the index of the PCR 7 separator on success, nullopt when PCR 7
// has no events.
absl::StatusOr<std::optional<size_t>> CheckPcr7TrustRules(
    const ReplayedLog& log);

// ExtractSecureBoot(log): the Secure Boot state from PCR 7.
// The caller must have produced `log` by Replay() against PCR values from a
// verified quote for the result to be trusted (InsecureReplayWithoutQuote
// yields attacker-controlled facts).
// Fails with:
//   kFailedPrecondition  PCR 7 is not verified against the trusted values;
//   kInvalidArgument     a trust rule is broken (CheckPcr7TrustRules), or the
//                        SecureBoot/PK/KEK/db/dbx data is malformed ("pcr 7:
//                        event N: db: offset M: ...").
absl::StatusOr<SecureBootState> ExtractSecureBoot(const ReplayedLog& log);

// DeriveUefiClaims(log, claims): sets `secureBootEnabled` with Azure's
// semantics (maa-spec §2.2, Linux variant: PCR 7 only): true iff exactly one
// EV_EFI_VARIABLE_DRIVER_CONFIG event with EFI_GLOBAL_VARIABLE GUID and
// UnicodeName "SecureBoot" whose data is the single byte 0x01; false when
// there is none or its data is anything else. Marks it Underivable instead,
// with the reason, when !log.PcrsClean({7}), a PCR 7 trust rule is broken
// (duplicate, post-separator or relabeled SecureBoot event, ...), or a
// SecureBoot DRIVER_CONFIG event sits in another PCR. Never sets true on a
// log it cannot vouch for.
void DeriveUefiClaims(const ReplayedLog& log, DerivedClaims* claims);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_EXTRACT_UEFI_SECURE_BOOT_H_
