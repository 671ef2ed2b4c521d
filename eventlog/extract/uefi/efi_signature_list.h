// File: eventlog/extract/uefi/efi_signature_list.h
// -----------------------------------------------------------------------------
// EFI_SIGNATURE_LIST sequences (UEFI 2.10 §32.4.1, "Signature Database"), the
// contents of the PK, KEK, db and dbx variables, and EFI_SIGNATURE_DATA, the
// VariableData of EV_EFI_VARIABLE_AUTHORITY events (PC Client PFP §10.4.1).
//
//   typedef struct {
//     EFI_GUID SignatureType;
//     UINT32   SignatureListSize;    // whole list, header included
//     UINT32   SignatureHeaderSize;  // bytes of type-specific header
//     UINT32   SignatureSize;        // each EFI_SIGNATURE_DATA entry
//     // UINT8 SignatureHeader[SignatureHeaderSize];
//     // EFI_SIGNATURE_DATA Signatures[...][SignatureSize];
//   } EFI_SIGNATURE_LIST;
//   typedef struct { EFI_GUID SignatureOwner; UINT8 SignatureData[]; }
//     EFI_SIGNATURE_DATA;
//
// Pure parsing of UNTRUSTED bytes: the results are facts only when the bytes
// came from an event the caller trusts (ReplayedLog::EventTrusted).
//
//   ASSIGN_OR_RETURN(std::vector<EfiSignatureList> db,
//                    ParseEfiSignatureLists(var.variable_data, offset));
//   for (const EfiSignatureList& l : db)
//     for (const EfiSignatureData& s : l.signatures)
//       if (s.x509) LOG(INFO) << s.x509->subject;

#ifndef VIGIL_EVENTLOG_EXTRACT_UEFI_EFI_SIGNATURE_LIST_H_
#define VIGIL_EVENTLOG_EXTRACT_UEFI_EFI_SIGNATURE_LIST_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "eventlog/uefi_variable.h"

namespace vigil::eventlog {

// Size of the fixed EFI_SIGNATURE_LIST header (GUID + three UINT32).
inline constexpr size_t kEfiSignatureListHeaderSize = 28;
// Most EFI_SIGNATURE_DATA entries accepted across one variable. Real dbx
// variables hold a few hundred hashes; this bounds memory for hostile input.
inline constexpr size_t kMaxEfiSignatures = 65536;

// Signature types (UEFI 2.10 §32.4.1, "EFI_CERT_*_GUID").
const EfiGuid& EfiCertSha256Guid();  // C1C41626-504C-4092-ACA9-41F936934328
const EfiGuid& EfiCertRsa2048Guid();  // 3C5766E8-269C-4E34-AA14-ED776E85B3B6
const EfiGuid& EfiCertSha1Guid();    // 826CA512-CF10-4AC9-B187-BE01496631BD
const EfiGuid& EfiCertX509Guid();    // A5C059A1-94E4-4AA7-87B5-AB155C2BF072
const EfiGuid& EfiCertSha384Guid();  // FF3E5307-9FD0-48C9-85F1-8AD56C701E01
const EfiGuid& EfiCertSha512Guid();  // 093E0FAE-A6C4-4F50-9F1B-D41B2B89C19A

// The spec name of a signature type ("EFI_CERT_X509_GUID"), or nullopt for a
// GUID this module does not know.
std::optional<absl::string_view> SignatureTypeName(const EfiGuid& type);

// The fields of an X.509 certificate that policies and humans look at.
// Decoded from untrusted DER; no chain or validity check is made.
struct X509Summary {
  std::string subject;  // RFC 2253 form, e.g. "CN=Microsoft Windows ...,O=..."
  std::string issuer;   // RFC 2253 form
  std::string serial_hex;          // lower-case hex, no leading "0x"
  std::string sha256_fingerprint;  // lower-case hex of SHA-256(DER)
};

// DecodeX509(der): the summary of one DER certificate.
// Fails with kInvalidArgument when OpenSSL cannot parse `der` or bytes follow
// the certificate. Untrusted input is safe. Outcomes are kept in a bounded
// process-wide cache keyed by SHA-256(der) (thread-safe), since the same
// certificates recur in every log of a fleet.
absl::StatusOr<X509Summary> DecodeX509(absl::Span<const uint8_t> der);

struct EfiSignatureData {
  size_t offset = 0;  // absolute offset of the entry
  EfiGuid owner;      // SignatureOwner
  absl::Span<const uint8_t> data;  // SignatureData; points into the input
  // For EFI_CERT_X509_GUID entries: the decoded certificate, or nullopt with
  // `x509_error` set when the DER does not parse. An undecodable certificate
  // does not fail its list: firmware sometimes carries padded or odd DER and
  // the raw bytes remain available for policy.
  std::optional<X509Summary> x509;
  std::string x509_error;
};

struct EfiSignatureList {
  size_t offset = 0;  // absolute offset of the list header
  EfiGuid signature_type;
  uint32_t signature_list_size = 0;
  uint32_t signature_header_size = 0;
  uint32_t signature_size = 0;
  absl::Span<const uint8_t> signature_header;  // usually empty
  std::vector<EfiSignatureData> signatures;
};

// ParseEfiSignatureLists(data, base_offset): every EFI_SIGNATURE_LIST in
// `data`, which must be consumed exactly (an empty input yields no lists).
// `base_offset` is the absolute offset of data[0], used in messages.
// Spans in the result point into `data`; the caller keeps it alive.
// Fails with kInvalidArgument, "offset N: <reason>", when:
//   - a list header is truncated or SignatureListSize < 28;
//   - SignatureListSize runs past the end of `data`;
//   - SignatureHeaderSize does not fit in the list;
//   - SignatureSize < 16 (an EFI_SIGNATURE_DATA needs its owner GUID);
//   - the entry bytes are not a multiple of SignatureSize;
//   - a known fixed-size type (SHA-1/256/384/512, RSA2048) has the wrong
//     SignatureSize;
//   - more than kMaxEfiSignatures entries in total.
// X.509 entries that fail to decode are kept (see EfiSignatureData).
absl::StatusOr<std::vector<EfiSignatureList>> ParseEfiSignatureLists(
    absl::Span<const uint8_t> data, size_t base_offset = 0);

// ParseEfiSignatureData(data, base_offset): one EFI_SIGNATURE_DATA filling
// all of `data` (the EV_EFI_VARIABLE_AUTHORITY VariableData). If the data
// looks like DER (starts with 0x30) it is decoded as X.509 as above.
// Fails with kInvalidArgument when `data` is shorter than the 16-byte owner.
absl::StatusOr<EfiSignatureData> ParseEfiSignatureData(
    absl::Span<const uint8_t> data, size_t base_offset = 0);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_EXTRACT_UEFI_EFI_SIGNATURE_LIST_H_
