// File: tpm/wire/signature.h
// -----------------------------------------------------------------------------
// TPMT_SIGNATURE (TPM 2.0 Part 2 §11.3.4) -> the inputs an OpenSSL verifier
// needs: the scheme, its hash, and the signature bytes in OpenSSL's format.
// Pure: tss2-mu and OpenSSL only.
//
// Trust: a parsed Signature is unverified; only checking it against a trusted
// key (tpm/verify) gives it meaning.

#ifndef VIGIL_TPM_WIRE_SIGNATURE_H_
#define VIGIL_TPM_WIRE_SIGNATURE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tpm/types/hash_alg.h"

namespace vigil::tpm {

// The asymmetric signature schemes (TPM_ALG_ID values) Vigil verifies.
enum class SigScheme : uint16_t {
  kRsassa = 0x0014,  // TPM_ALG_RSASSA: RSASSA-PKCS1-v1_5
  kRsapss = 0x0016,  // TPM_ALG_RSAPSS: RSASSA-PSS
  kEcdsa = 0x0018,   // TPM_ALG_ECDSA
};

// "RSASSA", "RSAPSS", "ECDSA".
absl::string_view SigSchemeName(SigScheme scheme);

struct Signature {
  SigScheme scheme = SigScheme::kRsassa;
  // TPMS_SIGNATURE_*.hash: the digest the signature is over, and for quotes
  // the algorithm of TPMS_QUOTE_INFO.pcrDigest.
  HashAlg hash = HashAlg::kSha256;
  // RSASSA/RSAPSS: the raw signature (modulus-sized big-endian integer).
  // ECDSA: r and s re-encoded as a DER ECDSA-Sig-Value (RFC 3279 §2.2.3), the
  // form EVP_DigestVerify expects.
  std::vector<uint8_t> bytes;
};

// Parses a marshalled TPMT_SIGNATURE (what `tpm2_quote -s` writes by default
// and ESYS returns).
// Fails with kInvalidArgument naming the field and offset on: empty or
// oversized input, truncation, trailing bytes, an unsupported sigAlg (HMAC,
// ECDAA, SM2, ECSCHNORR, NULL), a hash that is not a TPM hash algorithm, or an
// empty signature / r / s.
absl::StatusOr<Signature> ParseSignature(absl::Span<const uint8_t> bytes);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_WIRE_SIGNATURE_H_
