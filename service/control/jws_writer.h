// File: service/control/jws_writer.h
// -----------------------------------------------------------------------------
// Makes the management JWS that management_jws.h reads, as Azure's
// maa.signing.tool and SDKs do (maa-spec §5.1-5.3), for `vigilctl policy
// sign` and `vigilctl policy-certs add|remove`:
//
//   unsigned policy   {"alg":"none"} . {"AttestationPolicy":B64URL(text)} .
//   signed policy     {"alg":"RS256"|"ES256","x5c":[chain]} . (same) . sig
//   reset             {"alg":"none"} . . / signed: header . . sig
//   certificate body  header . {"policyCertificate":{"kty","x5c":[cert]}} . sig
//
// The names written are the registered ones ("RS256", not the SDK's
// "RSA256"); the header carries the key as "x5c" (maa.signing.tool's form).
// JSON is compact, members in the order shown. RS256 output is deterministic
// (PKCS#1 v1.5); ES256 is not (OpenSSL draws the ECDSA nonce), so compare
// ES256 documents by decoding them, not by bytes.
//
// Secrets: the SigningKey's private key never appears in the output or an
// error.

#ifndef VIGIL_SERVICE_CONTROL_JWS_WRITER_H_
#define VIGIL_SERVICE_CONTROL_JWS_WRITER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/token/signing_key.h"
#include "service/token/x509_certificate.h"

namespace vigil::control {

// MakeUnsignedPolicyJws: the unsigned policy JWS of `policy_text`. Fails with
// kInvalidArgument when the text is empty or not valid UTF-8 (the offset is
// named): DecodePolicyDocument would refuse either.
absl::StatusOr<std::string> MakeUnsignedPolicyJws(
    absl::string_view policy_text);

// MakeSignedPolicyJws: the policy JWS of `policy_text` signed by `key`, whose
// certificate chain (SigningKey::WithCertificateChain*, leaf first) goes into
// "x5c". Fails with kInvalidArgument for the text as above or when `key` has
// no certificate chain (policy signers are X.509 certificates, maa-spec §5.1),
// kInternal if signing fails.
absl::StatusOr<std::string> MakeSignedPolicyJws(absl::string_view policy_text,
                                                const token::SigningKey& key);

// MakeUnsignedResetJws: "eyJhbGciOiJub25lIn0.." (maa-spec §5.2).
std::string MakeUnsignedResetJws();

// MakeSignedResetJws: a JWS with an empty payload signed by `key` (chain
// required as above), as isolated mode needs for a reset.
absl::StatusOr<std::string> MakeSignedResetJws(const token::SigningKey& key);

// MakeCertificateChangeJws: the body of a certificates:add or
// certificates:remove request for `certificate`, signed by `key` (chain
// required as above; in isolated mode it must be a trusted signer). The JWK's
// "kty" is the certificate's real key type. Fails with kInvalidArgument when
// `certificate` has a key that cannot sign policies (as
// DecodePolicyCertificateChange requires) or `key` has no chain.
absl::StatusOr<std::string> MakeCertificateChangeJws(
    const token::X509Certificate& certificate, const token::SigningKey& key);

}  // namespace vigil::control

#endif  // VIGIL_SERVICE_CONTROL_JWS_WRITER_H_
