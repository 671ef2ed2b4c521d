// File: tpm/types/hash_alg.h
// -----------------------------------------------------------------------------
// TPM hash algorithm identifiers (TPM_ALG_ID, TPM 2.0 Part 2 §6.3; TCG
// Algorithm Registry) and the digest operations both the event log and the
// quote verifier need: hash, multi-part hash, and PCR extend.
// Backed by OpenSSL's EVP; the digest implementations are fetched once per
// process, so the per-call cost is one context init.

#ifndef VIGIL_TPM_TYPES_HASH_ALG_H_
#define VIGIL_TPM_TYPES_HASH_ALG_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace vigil::tpm {

// TPM_ALG_ID values of the hash algorithms a PCR bank can use.
enum class HashAlg : uint16_t {
  kSha1 = 0x0004,     // TPM_ALG_SHA1
  kSha256 = 0x000B,   // TPM_ALG_SHA256
  kSha384 = 0x000C,   // TPM_ALG_SHA384
  kSha512 = 0x000D,   // TPM_ALG_SHA512
  kSm3_256 = 0x0012,  // TPM_ALG_SM3_256
};

// The largest digest any HashAlg produces (SHA-512).
inline constexpr size_t kMaxDigestSize = 64;

using Digest = std::vector<uint8_t>;

// Returns the HashAlg for a TPM_ALG_ID, or nullopt for ids that are not PCR
// hash algorithms. The id is untrusted input; any value is safe.
std::optional<HashAlg> HashAlgFromId(uint16_t id);
// Digest size in bytes (20, 32, 48, 64, 32).
size_t DigestSize(HashAlg alg);
// Lower-case name as tpm2-tools prints it: "sha1", "sha256", "sha384",
// "sha512", "sm3_256".
absl::string_view HashAlgName(HashAlg alg);
// The name Azure Attestation uses in JSON ("SHA1", "SHA256", ...).
absl::string_view HashAlgMaaName(HashAlg alg);
// Parses a name in either spelling, case-insensitively.
std::optional<HashAlg> HashAlgFromName(absl::string_view name);

// Hash of the concatenation of `parts`, written to `out` (which must hold
// DigestSize(alg) bytes).
// Fails with kUnimplemented when OpenSSL lacks the algorithm (SM3 on builds
// without it); never fails for the SHA family.
absl::Status HashParts(HashAlg alg,
                       std::initializer_list<absl::Span<const uint8_t>> parts,
                       uint8_t* out);

// Hash of `data`. Failure modes as HashParts.
absl::StatusOr<Digest> Hash(HashAlg alg, absl::Span<const uint8_t> data);

// PCR extend (TPM 2.0 Part 1 §17.2): pcr := H(pcr || digest), in place.
// Caller guarantees pcr->size() == DigestSize(alg); `digest` may be any size
// (the TPM hashes what it is given). Failure modes as HashParts.
absl::Status Extend(HashAlg alg, Digest* pcr, absl::Span<const uint8_t> digest);

// True when OpenSSL provides `alg` in this process.
bool HashAlgAvailable(HashAlg alg);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_TYPES_HASH_ALG_H_
