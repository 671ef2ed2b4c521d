// File: service/admin/policy_archive.h
// -----------------------------------------------------------------------------
// The policy backup archive (issue #6 §5): one JSON file that describes
// itself and carries a checksum over its content.
//
//   {"format": "vigil-policy-backup", "version": 1,
//    "sha256": "<hex SHA-256 of the content's compact JSON>",
//    "content": {
//      "exported_at": "2025-06-15T12:00:00Z", "exported_by": "...",
//      "issuer": "https://verifier.example", "mode": "isolated",
//      "policies": [{"attestation_type": "Tpm", "is_default": false,
//                    "version": 3, "jws": "<as set>", "policy_hash": "...",
//                    "token_hash": "...", "signer_thumbprint": "..."},
//                   {"attestation_type": "VbsEnclave", "is_default": true,
//                    "default_policy_hash": "..."}],
//      "policy_certificates": [{"thumbprint", "subject", "der"}],
//      "trust": {"ek_roots": [...], "policy_signers": [...]}}}
//
// Certificates are base64 DER with their SHA-1 thumbprint (upper-case hex,
// as Azure shows them) and subject; only public certificates, never a key.
//
// Trust: the checksum catches corruption, truncation and hand edits that
// forget it; it is not a signature (anyone can recompute it). What makes a
// restored policy trustworthy is its own JWS: a signed policy keeps its
// signature in the archive and is verified again on import (isolated mode).
// Everything decoded here is untrusted input for PolicyManager::Import.

#ifndef VIGIL_SERVICE_ADMIN_POLICY_ARCHIVE_H_
#define VIGIL_SERVICE_ADMIN_POLICY_ARCHIVE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vigil::service::admin {

inline constexpr absl::string_view kArchiveFormat = "vigil-policy-backup";
inline constexpr int64_t kArchiveVersion = 1;

// One attestation type's policy at export time.
struct ArchivedPolicy {
  std::string attestation_type;
  // True: the type ran its default (never set, or reset); the fields below
  // but default_policy_hash are then empty.
  bool is_default = false;
  int64_t version = 0;
  std::string jws;  // exactly as set
  std::string policy_hash;
  std::string token_hash;
  std::string signer_thumbprint;  // empty: unsigned
  // The exporting verifier's default for the type, when it had one (so an
  // import can say that the target's default differs).
  std::string default_policy_hash;
};

struct ArchivedCertificate {
  std::string thumbprint;  // SHA-1 of der, upper-case hex
  std::string subject;     // RFC 2253; informational
  std::string der;
};

struct PolicyArchive {
  absl::Time exported_at;
  std::string exported_by;
  std::string issuer;
  std::string mode;  // "open", "authenticated", "isolated"
  std::vector<ArchivedPolicy> policies;
  std::vector<ArchivedCertificate> policy_certificates;
  // The configuration's trust material: EK trust bundle anchors and the
  // policy_signers pins.
  std::vector<ArchivedCertificate> ek_roots;
  std::vector<ArchivedCertificate> policy_signers;
  // Set by DecodePolicyArchive (and EncodePolicyArchive's answer): the
  // archive's "sha256", which names it in audit records.
  std::string sha256;
};

// An ArchivedCertificate of `der`: thumbprint and subject computed.
ArchivedCertificate ArchiveCertificate(absl::string_view der);

// The archive as JSON text (ends with a newline); `archive.sha256` is
// ignored: the checksum is computed (and stored in `*sha256` when given).
// Deterministic for a given archive.
std::string EncodePolicyArchive(const PolicyArchive& archive,
                                std::string* sha256 = nullptr);

// Decodes and checks an archive: JSON, format, version, checksum, every
// field's type, attestation type names (no duplicates), certificates (base64
// DER that parses as X.509, thumbprint matching). Fails with
// kInvalidArgument and one line naming the field ("policies[1].jws: want a
// string"; "sha256: does not match the content (tampered or damaged)";
// "version: 2 is not supported (this verifier reads version 1)"). Policies
// are not compiled nor their JWS verified here: that is the importer's job.
absl::StatusOr<PolicyArchive> DecodePolicyArchive(absl::string_view text);

}  // namespace vigil::service::admin

#endif  // VIGIL_SERVICE_ADMIN_POLICY_ARCHIVE_H_
