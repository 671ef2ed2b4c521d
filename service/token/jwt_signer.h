// File: service/token/jwt_signer.h
// -----------------------------------------------------------------------------
// JwtSigner: signs a RawJwt into a compact JWS (RFC 7515 §7.1, RFC 7519 §7.1).
// OpenSslJwtSigner is the implementation over one SigningKey; KeyRing
// (key_ring.h) is the one the service uses, signing with whichever key is
// current.
//
// The JOSE Header is {"alg","typ":"JWT","kid"} plus, when asked for,
// "x5c" (the key's certificate chain, standard base64 DER, RFC 7515 §4.1.6)
// or "x5t" (BASE64URL(SHA-1(DER leaf)), §4.1.7; Azure Attestation's
// omit_x5c form, maa-spec §6.1).

#ifndef VIGIL_SERVICE_TOKEN_JWT_SIGNER_H_
#define VIGIL_SERVICE_TOKEN_JWT_SIGNER_H_

#include <string>

#include "absl/status/statusor.h"
#include "service/token/raw_jwt.h"
#include "service/token/signing_key.h"

namespace vigil::token {

// JwtSigner: one method, as tink's JwtPublicKeySign. Implementations are
// thread-safe.
class JwtSigner {
 public:
  virtual ~JwtSigner() = default;
  // SignAndEncode: the compact JWS "header.payload.signature" of `jwt`.
  // Fails with kInvalidArgument when the implementation refuses the claims
  // (KeyRing: an expiry beyond its maximum token lifetime), kInternal if
  // signing fails.
  virtual absl::StatusOr<std::string> SignAndEncode(
      const RawJwt& jwt) const = 0;
};

// Which certificate header to emit.
enum class CertificateHeader {
  kNone,  // default: relying parties find the key by "kid" in the JWKS
  kX5c,   // the whole chain, leaf first
  kX5t,   // the leaf's SHA-1 thumbprint only
};

struct JwtSignerOptions {
  CertificateHeader certificate_header = CertificateHeader::kNone;
};

// OpenSslJwtSigner: signs with one SigningKey. Immutable and thread-safe;
// the header is encoded once, at Create().
class OpenSslJwtSigner final : public JwtSigner {
 public:
  // Create: fails with kInvalidArgument when a certificate header is asked
  // for and the key has no certificate chain.
  static absl::StatusOr<OpenSslJwtSigner> Create(SigningKey key,
                                                 JwtSignerOptions options = {});

  // SignAndEncode: fails with kInternal only if OpenSSL fails.
  absl::StatusOr<std::string> SignAndEncode(const RawJwt& jwt) const override;

  const SigningKey& key() const { return key_; }

 private:
  OpenSslJwtSigner(SigningKey key, std::string encoded_header)
      : key_(std::move(key)), encoded_header_(std::move(encoded_header)) {}

  SigningKey key_;
  std::string encoded_header_;  // BASE64URL(UTF8(JOSE Header))
};

}  // namespace vigil::token

#endif  // VIGIL_SERVICE_TOKEN_JWT_SIGNER_H_
