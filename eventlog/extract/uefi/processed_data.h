// File: eventlog/extract/uefi/processed_data.h
// -----------------------------------------------------------------------------
// The Azure Attestation `ProcessedData` object for UEFI events (maa-spec §3.3,
// "`events` JSON schema (observed)") and one-line human summaries for
// `vigilctl eventlog show`.
//
// Shapes (keys and nesting exactly as MAA emits them where observed):
//   EV_EFI_VARIABLE_DRIVER_CONFIG / EV_EFI_VARIABLE_BOOT / EV_EFI_VARIABLE_BOOT2
//     {"UnicodeName":"SecureBoot","VariableGuid":"8BE4DF61-...","VariableData":"AQ"}
//     VariableData is base64url, or for PK/KEK (EFI_GLOBAL_VARIABLE) and db/dbx
//     (EFI_IMAGE_SECURITY_DATABASE_GUID) the parsed EFI_SIGNATURE_LIST array
//     [{"SignatureType","SignatureTypeString","Signatures":[{"SignatureOwner",
//       "SignatureData"}]}]; a list that does not parse stays base64url.
//   EV_EFI_VARIABLE_AUTHORITY  {"VariableData":{"SignatureOwner","SignatureData"}}
//     (base64url VariableData when it is shorter than an EFI_SIGNATURE_DATA).
//   EV_SEPARATOR       {"CappedHash[SHA256]":"<base64url digest>"}, one key per
//                      bank the event carries ("CappedHash[SHA1]", ...).
//   EV_EFI_ACTION      {"Data":"Exit Boot Services Invocation"}; EV_ACTION the
//                      same [inferred: not in the observed token].
//   EV_EFI_PLATFORM_FIRMWARE_BLOB   {"BlobBase":n,"BlobLength":n}; BLOB2 adds
//                      "BlobDescription" first [inferred].
//   EV_EFI_BOOT_SERVICES_APPLICATION (and _DRIVER, EV_EFI_RUNTIME_SERVICES_DRIVER
//                      [inferred]) {"ImageLocationInMemory","ImageLengthInMemory",
//                      "ImageLinkTimeAddress","DevicePath":{"Type":{"String":
//                      "ACPI","Value":2},"SubType":1}}
//   EV_EFI_GPT_EVENT   {"UEFIPartitionHeader":{"Header":{"Signature","Revision",
//                      "HeaderSize","CRC32"},"MyLBA","AlternateLBA",
//                      "FirstUsableLBA","LastUsableLBA","DiskGUID",
//                      "PartitionEntryLBA","NumberOfPartitionEntries",
//                      "SizeOfPartitionEntry","PartitionEntryArrayCRC32"},
//                      "Partitions":[{"PartitionTypeGUID","UniquePartitionGUID",
//                      "StartingLBA","EndingLBA","Attributes","PartitionName"}]}
// Integers are JSON numbers holding the exact uint64 value (maa-spec §3.3 /
// §9.3: GPT signatures and attributes exceed 2^53).
//
// TRUST: these functions decode bytes; they do not decide whether the event
// may be believed. Callers rendering claims must use only events with
// ReplayedLog::EventTrusted(i); an untrusted event's JSON is debug output.

#ifndef VIGIL_EVENTLOG_EXTRACT_UEFI_PROCESSED_DATA_H_
#define VIGIL_EVENTLOG_EXTRACT_UEFI_PROCESSED_DATA_H_

#include <optional>
#include <string>

#include "eventlog/event_log.h"
#include "nlohmann/json.hpp"

namespace vigil::eventlog {

// UefiProcessedData(ev): the MAA ProcessedData object for `ev`, chosen by
// ev.untrusted_type. Returns nullopt for a type with no UEFI decoder (MAA
// then omits EventTypeString and ProcessedData) and for data that does not
// parse. Never fails otherwise; any input is safe.
std::optional<nlohmann::ordered_json> UefiProcessedData(const RawEvent& ev);

// DescribeUefiEvent(ev): a one-line summary of the event data for humans,
// e.g. `SecureBoot = 01`, `\EFI\ubuntu\shimx64.efi
// [PciRoot(0x0)/Pci(0x3,0x0)/...]`, `db: 2 X.509 (CN=Microsoft Windows
// Production PCA 2011, ...)`. "" when there is nothing to say beyond the type.
// Malformed data yields "malformed: offset N: <reason>", N relative to the
// event data. UNTRUSTED like the data; never
// use it for decisions.
std::string DescribeUefiEvent(const RawEvent& ev);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_EXTRACT_UEFI_PROCESSED_DATA_H_
