// File: eventlog/extract/windows/sipa_payload.h
// -----------------------------------------------------------------------------
// Renders the EventData of one (non-aggregation) Windows SIPA event as the
// JSON value Azure Attestation puts under its "EVENT_*" key in ProcessedData
// (maa-spec.md §3.4, "JSON rendering observed in the MAA token"):
//
//   BOOLEAN                  true / false
//   UINT8/16/32/64 counters  exact integers (UINT64 kept exact; §3.3)
//   enumerations / flags     {"String": "<symbolic>", "Value": <int>}
//   UTF-16LE strings         JSON string (trailing NULs dropped)
//   byte blobs               base64url, unpadded
//   structured payloads      objects (SI_POLICY, *_REVOCATION_LIST, SBCP_INFO,
//                            VSM_IDK(S)_INFO, SI_POLICY_(UPDATE_)SIGNER,
//                            DRTM_STATE_AUTH)
//
// Vigil's choices where MAA's behaviour is not published:
//   - Integers and enumerations accept 1, 2, 4 or 8 byte payloads: Windows
//     has widened several (DATAEXECUTIONPREVENTION and VBS_HVCI_POLICY are
//     UINT32 in §3.4 but 8 bytes in every corpus log).
//   - An enumeration value with no known symbolic name renders as
//     {"Value": n} with no "String" key, so a "String" key always carries a
//     name from a Windows header or Microsoft document. Policies that match
//     on String (HVCI) therefore never match an unknown value.
//   - A payload that does not fit its documented layout (wrong size, BOOLEAN
//     byte other than 0/1, lengths that disagree, invalid UTF-16, embedded
//     NUL) renders as base64url of the raw bytes: never a guessed value. A
//     claim comparing it with true/false/1 then sees a string: fail-closed.
//   - DRTM_STATE_AUTH renders as {"RawData": ...} WITHOUT MAA's computed
//     "SignatureValid" (verifying the TPM_API_PA_DIRECT_AUTHORIZATION
//     signature is not implemented), so DRTM policies fail closed.
//
// Pure; any byte string is safe input. The result is as trusted as the event
// it came from (see windows_claims.h).

#ifndef VIGIL_EVENTLOG_EXTRACT_WINDOWS_SIPA_PAYLOAD_H_
#define VIGIL_EVENTLOG_EXTRACT_WINDOWS_SIPA_PAYLOAD_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/types/span.h"
#include "nlohmann/json.hpp"

namespace vigil::eventlog {

// The MAA JSON value for the EventData `payload` of SIPA event `id` (see the
// file comment for the rendering rules and fallbacks). Never fails.
nlohmann::ordered_json SipaPayloadJson(uint32_t id,
                                       absl::Span<const uint8_t> payload);

// The symbolic name for `value` of enumeration-valued SIPA event `id`
// (TRANSFER_CONTROL, BITLOCKER_UNLOCK, DATAEXECUTIONPREVENTION, OSDEVICE,
// HYPERVISOR_LAUNCH_TYPE, HYPERVISOR_IOMMU_POLICY, DRIVER_LOAD_POLICY,
// VSM_LAUNCH_TYPE, HASHALGORITHMID, VBS_HVCI_POLICY), or nullopt when the
// value (or the id) has no known name. BITLOCKER_UNLOCK is a flag set:
// FVEB_UNLOCK_FLAG_* names without the prefix, joined by '|' in bit order
// ("TPM|PIN"); "NONE" for 0; nullopt if any bit is unknown.
std::optional<std::string> SipaEnumString(uint32_t id, uint64_t value);

// UTF-16LE to UTF-8 for SIPA strings: the length must be even, trailing NUL
// code units are dropped, and an embedded NUL or an unpaired surrogate makes
// the whole string invalid (nullopt).
std::optional<std::string> SipaUtf16ToUtf8(absl::Span<const uint8_t> data);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_EXTRACT_WINDOWS_SIPA_PAYLOAD_H_
