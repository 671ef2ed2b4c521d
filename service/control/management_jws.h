// File: service/control/management_jws.h
// -----------------------------------------------------------------------------
// The JWS every policy-management request of Azure Attestation travels in
// (maa-spec §5): a policy document, a reset, a policy-management certificate
// to add or remove. This file reads the envelope, in two steps with two types:
//
//   ParseManagementJws   bytes -> UntrustedManagementJws (nothing verified)
//   VerifyManagementJws  -> VerifiedManagementJws (signature checked with the
//                           certificate the header names; the only producer)
//
// policy_document.h and certificate_change.h read the payload of the verified
// form. Whether the signer is trusted is a separate question (signer_trust.h):
// in Azure's AAD mode any certificate may sign and is only reported.
//
// Accepted (RFC 7515 compact serialization, strict JSON as service/token):
//   * "alg":"none" with an EMPTY signature (RFC 7518 §3.6, RFC 7515 App. A.5)
//     and no key in the header: an unsigned document.
//   * "alg" RS256 or ES256 (RFC 7518 §3.3-3.4), and the aliases Azure's SDKs
//     emit: "RSA256" = RS256 (Python SDK, maa.signing.tool docs; MAA accepts
//     it, maa-spec §5.1) and "ECDH256" = ES256 (the Python SDK's name for EC
//     keys; unverified against MAA). An alias changes the name only: ES256
//     signatures must still be the 64-byte R || S of RFC 7518 §3.4.
//   * Key material ONLY from an X.509 certificate chain, leaf first: the
//     header's "x5c" (RFC 7515 §4.1.6) or "jwk"."x5c" (RFC 7517 §4.7), each
//     standard base64 DER. The leaf's key must fit "alg" (RFC 8725 §3.1).
//   * An empty payload (a reset, maa-spec §5.2), or a JSON object.
// Refused: every other "alg" (HS256 and friends: no shared-secret algorithm
// can be confused with a public key), "crit" (RFC 7515 §4.1.11: no extension
// is understood), a "jwk" without "x5c" (Azure: "policy signing key is not an
// X.509 certificate"), "x5c" and "jwk"."x5c" naming different chains, "none"
// with a signature or a key, a signed JWS without signature.
//
// Errors are kInvalidArgument, one line, prefixed with the part that is
// wrong: "token: ...", "header: ...", "payload: ...", "signature: ...".
// Deciding PERMISSION_DENIED (unsigned in isolated mode, untrusted signer) is
// the caller's job; this file only states facts.

#ifndef VIGIL_SERVICE_CONTROL_MANAGEMENT_JWS_H_
#define VIGIL_SERVICE_CONTROL_MANAGEMENT_JWS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/token/compact_jws.h"
#include "service/token/json.h"
#include "service/token/jws_algorithm.h"
#include "service/token/x509_certificate.h"

namespace vigil::control {

// At most this many certificates in "x5c" (leaf, intermediates, root).
inline constexpr size_t kMaxX5cCertificates = 8;

// UntrustedManagementJws: a management JWS split and decoded; NOTHING in it
// is verified. For VerifyManagementJws, and for printing while debugging.
struct UntrustedManagementJws {
  // The JWS exactly as received (hashed for x-ms-policy-token-hash).
  std::string compact;
  token::JwsHeader header;
  // The signature algorithm "alg" maps to (aliases resolved); nullopt for
  // "none". header.alg keeps the name as written ("RSA256").
  std::optional<token::JwsAlgorithm> algorithm;
  // The certificates of "x5c" or "jwk"."x5c", leaf first; empty for "none".
  std::vector<token::X509Certificate> untrusted_x5c;
  // Where they came from, for messages: "x5c" or "jwk.x5c"; empty for "none".
  std::string x5c_member;
  // The payload's JSON object; nullopt when the payload segment is empty.
  std::optional<token::Json> untrusted_claims;
  std::string signature;

  // BASE64URL(header) '.' BASE64URL(payload): what the signature covers.
  absl::string_view signing_input() const;
};

// ParseManagementJws: `jws` split (RFC 7515 §7.1; empty payload and signature
// allowed), its header checked against the rules in the file comment, the
// certificates parsed, the payload decoded as a strict JSON object. Fails with
// kInvalidArgument naming the part and member (see the file comment). The
// result is as untrusted as `jws`.
absl::StatusOr<UntrustedManagementJws> ParseManagementJws(
    absl::string_view jws);

class VerifiedManagementJws;

// PolicySigner: the certificate chain of a signed management JWS whose leaf
// key verified the signature. Proven: whoever made the JWS holds the leaf's
// private key. NOT proven: that the certificates are trusted, valid now, or
// that the rest of the chain means anything; TrustedSigners::Check decides
// that. Immutable, copyable.
class PolicySigner {
 public:
  // The certificates as sent, leaf first.
  absl::Span<const token::X509Certificate> certificates() const {
    return certificates_;
  }
  const token::X509Certificate& leaf() const { return certificates_.front(); }
  // The algorithm the signature verified with (RS256 or ES256, aliases
  // resolved).
  token::JwsAlgorithm algorithm() const { return algorithm_; }
  // The leaf's thumbprint (certificate_jwk.h: upper-case hex SHA-1 of DER).
  std::string thumbprint() const;
  // The JWK Azure reports as "x-ms-policy-signer" (maa-spec §5.2):
  // {"alg":"RS256"|"ES256","kty":"RSA"|"EC","use":"sig","x5c":[...]}, x5c
  // re-encoded as standard base64 of each certificate's DER.
  token::Json Jwk() const;

 private:
  friend absl::StatusOr<VerifiedManagementJws> VerifyManagementJws(
      UntrustedManagementJws jws);
  PolicySigner(std::vector<token::X509Certificate> certificates,
               token::JwsAlgorithm algorithm)
      : certificates_(std::move(certificates)), algorithm_(algorithm) {}

  std::vector<token::X509Certificate> certificates_;
  token::JwsAlgorithm algorithm_;
};

// VerifiedManagementJws: a management JWS whose signature, if it has one,
// verified with its leaf certificate's key. Only VerifyManagementJws makes
// one. Immutable, copyable.
class VerifiedManagementJws {
 public:
  // The JWS exactly as received.
  const std::string& compact() const { return compact_; }
  // The payload's JSON object; nullopt for an empty payload (a reset).
  // Covered by the signature when signer() is set; otherwise anyone could
  // have written it.
  const std::optional<token::Json>& claims() const { return claims_; }
  // nullopt when "alg" is "none".
  const std::optional<PolicySigner>& signer() const { return signer_; }
  // x-ms-policy-token-hash of compact() (PolicyTokenHash).
  const std::string& token_hash() const { return token_hash_; }

 private:
  friend absl::StatusOr<VerifiedManagementJws> VerifyManagementJws(
      UntrustedManagementJws jws);
  VerifiedManagementJws() = default;

  std::string compact_;
  std::optional<token::Json> claims_;
  std::optional<PolicySigner> signer_;
  std::string token_hash_;
};

// VerifyManagementJws: for a signed JWS, checks that "alg" fits the leaf
// certificate's key (an RSA certificate verifies RS256 only, a P-256 one
// ES256 only; RSA keys of 2048 to 8192 bits) and that the signature verifies
// over signing_input(). Fails with kInvalidArgument: "header: alg ES256 does
// not fit the x5c[0] certificate's RSA key ...", "header: x5c[0]: RSA key of
// 1024 bits is not supported ...", "signature: RS256 signature does not
// verify with the x5c[0] certificate". An unsigned JWS passes unchanged
// (signer() empty). The caller must have `jws` from ParseManagementJws.
absl::StatusOr<VerifiedManagementJws> VerifyManagementJws(
    UntrustedManagementJws jws);

// DecodeManagementJws: ParseManagementJws then VerifyManagementJws.
absl::StatusOr<VerifiedManagementJws> DecodeManagementJws(
    absl::string_view jws);

// PolicyTokenHash: "x-ms-policy-token-hash" (maa-spec §5.2), i.e.
// BASE64URL(SHA-256(the ASCII bytes of `jws` exactly as given)), 43
// characters. The caller passes the request body unaltered (no trimming, no
// re-serialisation): the hash is how a client checks which document was set.
std::string PolicyTokenHash(absl::string_view jws);

}  // namespace vigil::control

#endif  // VIGIL_SERVICE_CONTROL_MANAGEMENT_JWS_H_
