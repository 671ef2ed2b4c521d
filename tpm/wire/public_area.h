// File: tpm/wire/public_area.h
// -----------------------------------------------------------------------------
// TPMT_PUBLIC / TPM2B_PUBLIC (TPM 2.0 Part 2 §12.2.4, §12.2.5): unmarshalling,
// object Names (Part 1 §16) and conversion of RSA/ECC public areas to OpenSSL
// keys. Pure: tss2-mu and OpenSSL only, no TPM access.
//
// Trust: a PublicArea is whatever the sender put on the wire. Parsing checks
// the encoding only; whether the key is acceptable as an AK or EK is decided
// by tpm/verify (CheckAkPublic, MakeCredential's EK checks), and whether it
// belongs to a genuine TPM by the caller's trust chain (EK certificate,
// credential activation).

#ifndef VIGIL_TPM_WIRE_PUBLIC_AREA_H_
#define VIGIL_TPM_WIRE_PUBLIC_AREA_H_

#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tpm/types/hash_alg.h"
#include "tpm/wire/evp_pkey.h"

namespace vigil::tpm {

// A parsed public area. `tpmt` is the tss2 form; `marshalled` is the
// TPMT_PUBLIC encoding, which parsing has checked to be canonical (it
// re-marshals `tpmt` to exactly these bytes), so Names computed from it match
// the TPM's.
struct PublicArea {
  TPMT_PUBLIC tpmt{};
  std::vector<uint8_t> marshalled;
};

// Parses a TPM2B_PUBLIC (2-byte size, then TPMT_PUBLIC), as tpm2-tools writes
// with `-u` / `tpm2_readpublic -o` and ESYS returns.
// Fails with kInvalidArgument naming the field and offset on: empty or
// oversized (> 4096 bytes) input, truncation, a size field that disagrees with
// the contents, trailing bytes, unknown type/selector values, or a
// non-canonical encoding.
absl::StatusOr<PublicArea> ParseTpm2bPublic(absl::Span<const uint8_t> bytes);

// Parses a bare TPMT_PUBLIC. Failure modes as ParseTpm2bPublic.
absl::StatusOr<PublicArea> ParseTpmtPublic(absl::Span<const uint8_t> bytes);

// Marshals `area.tpmt` (for tests that build or alter public areas).
// Fails with kInvalidArgument when tss2-mu cannot marshal it.
absl::StatusOr<PublicArea> MakePublicArea(const TPMT_PUBLIC& tpmt);

// The object's Name (Part 1 §16): nameAlg (2 bytes, big-endian) ||
// H_nameAlg(TPMT_PUBLIC). Fails with kInvalidArgument when nameAlg is not a
// hash algorithm (TPM_ALG_NULL objects have no digest Name).
absl::StatusOr<std::vector<uint8_t>> ComputeName(const PublicArea& area);

// The nameAlg as a HashAlg; kInvalidArgument for other TPM_ALG_IDs.
absl::StatusOr<HashAlg> NameAlg(const PublicArea& area);

// The public key of an RSA (TPM_ALG_RSA) or ECC (TPM_ALG_ECC, curves NIST
// P-256/P-384/P-521) public area as an OpenSSL key. The RSA exponent 0 means
// 65537 (Part 2 §12.2.3.5). Fails with kInvalidArgument for other types or
// curves, an empty modulus, or a point that is not on the curve. Says nothing
// about key size or attributes: see tpm/verify/ak_checks.h.
absl::StatusOr<EvpPkeyPtr> PublicKeyFromArea(const PublicArea& area);

// The OpenSSL group name ("P-256", "P-384", "P-521") of a TPM_ECC_CURVE, or
// nullptr for curves Vigil does not support.
const char* EccCurveName(TPM2_ECC_CURVE curve);
// The byte size of a coordinate on `curve` (32, 48, 66), or 0.
size_t EccCoordinateSize(TPM2_ECC_CURVE curve);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_WIRE_PUBLIC_AREA_H_
