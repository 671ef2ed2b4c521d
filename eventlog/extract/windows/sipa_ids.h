// File: eventlog/extract/windows/sipa_ids.h
// -----------------------------------------------------------------------------
// Windows SIPA event IDs (Windows SDK um/wbcl.h, "SIPAEVENT_*"; maa-spec.md
// §3.4 table) with their names, MAA JSON keys and payload layouts.
//
// An EV_EVENT_TAG record's data is a sequence of TCG_PCClientTaggedEventStruct
// {UINT32 EventID; UINT32 EventDataSize; BYTE EventData[]} (little-endian).
// EventID bit 30 (SIPAEVENTTYPE_AGGREGATION) means EventData is itself such a
// sequence; bit 31 (SIPAEVENTTYPE_NONMEASURED) marks trust-point data; bits
// 16-23 are the category.
//
// Everything here is a pure lookup; any uint32 is a safe input.

#ifndef VIGIL_EVENTLOG_EXTRACT_WINDOWS_SIPA_IDS_H_
#define VIGIL_EVENTLOG_EXTRACT_WINDOWS_SIPA_IDS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace vigil::eventlog {

// EventID flags (wbcl.h).
inline constexpr uint32_t SIPAEVENTTYPE_NONMEASURED = 0x80000000;
inline constexpr uint32_t SIPAEVENTTYPE_AGGREGATION = 0x40000000;

// The IDs Vigil's decoders and claims refer to by name (wbcl.h values;
// maa-spec.md §3.4).
inline constexpr uint32_t SIPAEVENT_TRUSTBOUNDARY = 0x40010001;
inline constexpr uint32_t SIPAEVENT_ELAM_AGGREGATION = 0x40010002;
inline constexpr uint32_t SIPAEVENT_LOADEDMODULE_AGGREGATION = 0x40010003;
inline constexpr uint32_t SIPAEVENT_TRUSTPOINT_AGGREGATION = 0xC0010004;
inline constexpr uint32_t SIPAEVENT_BOOTCOUNTER = 0x00020002;
inline constexpr uint32_t SIPAEVENT_TRANSFER_CONTROL = 0x00020003;
inline constexpr uint32_t SIPAEVENT_BITLOCKER_UNLOCK = 0x00020005;
inline constexpr uint32_t SIPAEVENT_APPLICATION_SVN = 0x00020009;
inline constexpr uint32_t SIPAEVENT_BOOTDEBUGGING = 0x00040001;
inline constexpr uint32_t SIPAEVENT_BOOT_REVOCATION_LIST = 0x00040002;
inline constexpr uint32_t SIPAEVENT_OSKERNELDEBUG = 0x00050001;
inline constexpr uint32_t SIPAEVENT_CODEINTEGRITY = 0x00050002;
inline constexpr uint32_t SIPAEVENT_TESTSIGNING = 0x00050003;
inline constexpr uint32_t SIPAEVENT_DATAEXECUTIONPREVENTION = 0x00050004;
inline constexpr uint32_t SIPAEVENT_SAFEMODE = 0x00050005;
inline constexpr uint32_t SIPAEVENT_WINPE = 0x00050006;
inline constexpr uint32_t SIPAEVENT_OSDEVICE = 0x00050008;
inline constexpr uint32_t SIPAEVENT_HYPERVISOR_LAUNCH_TYPE = 0x0005000A;
inline constexpr uint32_t SIPAEVENT_HYPERVISOR_IOMMU_POLICY = 0x0005000C;
inline constexpr uint32_t SIPAEVENT_DRIVER_LOAD_POLICY = 0x0005000E;
inline constexpr uint32_t SIPAEVENT_SI_POLICY = 0x0005000F;
inline constexpr uint32_t SIPAEVENT_VSM_LAUNCH_TYPE = 0x00050012;
inline constexpr uint32_t SIPAEVENT_OS_REVOCATION_LIST = 0x00050013;
inline constexpr uint32_t SIPAEVENT_FLIGHTSIGNING = 0x00050021;
inline constexpr uint32_t SIPAEVENT_SI_POLICY_SIGNER = 0x00050031;
inline constexpr uint32_t SIPAEVENT_AUTHORITYPUBKEY = 0x00060002;
inline constexpr uint32_t SIPAEVENT_FILEPATH = 0x00070001;
inline constexpr uint32_t SIPAEVENT_HASHALGORITHMID = 0x00070003;
inline constexpr uint32_t SIPAEVENT_IMAGEVALIDATED = 0x0007000A;
inline constexpr uint32_t SIPAEVENT_MODULE_SVN = 0x0007000B;
inline constexpr uint32_t SIPAEVENT_VBS_VSM_REQUIRED = 0x000A0001;
inline constexpr uint32_t SIPAEVENT_VBS_IOMMU_REQUIRED = 0x000A0003;
inline constexpr uint32_t SIPAEVENT_VBS_MANDATORY_ENFORCEMENT = 0x000A0006;
inline constexpr uint32_t SIPAEVENT_VBS_HVCI_POLICY = 0x000A0007;
inline constexpr uint32_t SIPAEVENT_DRTM_SMM_LEVEL = 0x000C0002;

// How an ID's EventData is laid out and rendered (maa-spec.md §3.4).
enum class SipaPayload {
  kAggregation,     // nested tagged events (the flag bit decides, not this)
  kBlob,            // bytes -> base64url
  kBoolean,         // BOOLEAN, one byte 0/1 -> true/false
  kUint,            // little-endian UINT8/16/32/64 counter -> number
  kUtf16,           // UTF-16LE string -> JSON string
  kEnum,            // little-endian integer -> {"String","Value"}
  kRevocationList,  // SIPAEVENT_REVOCATION_LIST_PAYLOAD
  kSiPolicy,        // SIPAEVENT_SI_POLICY_PAYLOAD
  kSiPolicySigner,  // SIPAEVENT_SI_POLICY_SIGNER_PAYLOAD
  kSbcpInfo,        // SIPAEVENT_SBCP_INFO_PAYLOAD_V1
  kVsmIdkInfo,      // SIPAEVENT_VSM_IDK_INFO_PAYLOAD
  kDrtmStateAuth,   // TPM_API_PA_DIRECT_AUTHORIZATION -> {"RawData"}
};

struct SipaIdInfo {
  uint32_t id;
  absl::string_view name;  // without the "SIPAEVENT_" prefix
  SipaPayload payload;
};

// The table entry for `id`, or nullopt for IDs wbcl.h (as of the Windows 11
// SDK) does not define. Every ID in maa-spec.md §3.4 is present.
std::optional<SipaIdInfo> LookupSipaId(uint32_t id);

// The MAA JSON key for `id`: "EVENT_" + name, with the one documented
// exception SIPAEVENT_DRTM_SMM_LEVEL -> "EVENT_DRTM_SMM" (maa-spec.md §3.4,
// "Naming exceptions"). Unknown IDs get "EVENT_UNKNOWN_0x%08X" (Vigil's
// choice: MAA's spelling for them is unpublished), so they stay visible and
// can never collide with a known key.
std::string SipaJsonKey(uint32_t id);

// True for the keys MAA always renders as arrays, even with one element
// (maa-spec.md §3.4): LOADEDMODULE_AGGREGATION, SI_POLICY, SI_POLICY_SIGNER,
// AUTHORITYPUBKEY.
bool SipaAlwaysArray(uint32_t id);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_EXTRACT_WINDOWS_SIPA_IDS_H_
