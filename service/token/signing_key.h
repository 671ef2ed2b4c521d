// File: service/token/signing_key.h
// -----------------------------------------------------------------------------
// SigningKey: a private key the issuer signs tokens with, its algorithm, its
// key id and (optionally) the X.509 chain that certifies it.
//
// Accepted keys: EC on P-256 (ES256, the default for generated keys) and RSA
// of 2048 to 8192 bits (RS256). Nothing else loads, so an issuer can never be
// configured into a weak or confusable algorithm.
//
// kid = BASE64URL(SHA-256(DER SubjectPublicKeyInfo)), 43 characters. Why not
// the RFC 7638 JWK thumbprint: the SPKI hash is the same rule for both key
// types, needs no canonical JSON, and an operator can recompute it from the
// PEM alone:
//   openssl pkey -in key.pem -pubout -outform DER | openssl dgst -sha256
//   -binary | basenc --base64url
// (drop the trailing '='). Relying parties must still treat kid as opaque.
//
// Secrets: the private key never appears in an error message, a log line or
// any accessor except ExportPkcs8PemSecret().

#ifndef VIGIL_SERVICE_TOKEN_SIGNING_KEY_H_
#define VIGIL_SERVICE_TOKEN_SIGNING_KEY_H_

#include <openssl/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/token/jws_algorithm.h"

namespace vigil::token {

// SigningKey: immutable and cheap to copy (the key is shared). Thread-safe:
// Sign() may run on many threads at once.
class SigningKey {
 public:
  // Generate: a fresh key for tests and development, from OpenSSL's DRBG
  // (key generation cannot take injected randomness in OpenSSL 3.0). ES256
  // makes a P-256 key; RS256 an RSA key of `rsa_bits` (2048..8192).
  // Fails with kInvalidArgument on a bad size, kInternal if OpenSSL fails.
  static absl::StatusOr<SigningKey> Generate(
      JwsAlgorithm alg = JwsAlgorithm::kEs256, int rsa_bits = 2048);

  // ParsePem: an unencrypted private key in PEM: PKCS#8 ("PRIVATE KEY") or
  // traditional ("EC PRIVATE KEY", "RSA PRIVATE KEY"); the algorithm follows
  // from the key. Fails with kInvalidArgument: not a PEM private key,
  // encrypted (never prompts for a passphrase), or a key type or size that
  // is not accepted (the message names type, curve or size, never key bytes).
  static absl::StatusOr<SigningKey> ParsePem(absl::string_view pem);
  // LoadPemFile: ParsePem on the file's contents; kNotFound / kPermissionDenied
  // / kInvalidArgument prefixed with the path when the file cannot be read.
  static absl::StatusOr<SigningKey> LoadPemFile(const std::string& path);

  // WithCertificateChain: a copy carrying `der_chain` (leaf first), for the
  // "x5c"/"x5t" headers (RFC 7515 §4.1.6-7) and the JWKS "x5c" member.
  // Fails with kInvalidArgument if the chain is empty, a certificate does not
  // parse, or the leaf's public key is not this key. The chain is not
  // validated against any trust anchor here: that is the relying party's job.
  absl::StatusOr<SigningKey> WithCertificateChain(
      std::vector<std::string> der_chain) const;
  // The same with the certificates of PEM text ("CERTIFICATE" blocks, leaf
  // first); kInvalidArgument also when there is no such block.
  absl::StatusOr<SigningKey> WithCertificateChainPem(
      absl::string_view pem) const;
  // WithCertificateChainPem on a file's contents, errors prefixed with the
  // path.
  absl::StatusOr<SigningKey> WithCertificateChainPemFile(
      const std::string& path) const;

  JwsAlgorithm algorithm() const;
  // The "kid" (see the file comment); public.
  const std::string& kid() const;
  // DER SubjectPublicKeyInfo of the public half; public.
  const std::string& public_key_der() const;
  // DER certificates, leaf first; empty when none was attached.
  absl::Span<const std::string> certificate_chain() const;

  // Sign: the JWS Signature (RFC 7515 §5.1 step 5) over `signing_input`,
  // i.e. ASCII(BASE64URL(header) || '.' || BASE64URL(payload)). ES256 gives
  // R || S (64 bytes, RFC 7518 §3.4), RS256 the PKCS#1 v1.5 signature.
  // Fails with kInternal only if OpenSSL fails.
  absl::StatusOr<std::string> Sign(absl::string_view signing_input) const;

  // ExportPkcs8PemSecret: the private key as unencrypted PKCS#8 PEM, for
  // development tooling that writes a generated key to a 0600 file. The
  // result is SECRET: never log it or put it in a message.
  absl::StatusOr<std::string> ExportPkcs8PemSecret() const;

 private:
  struct State;
  explicit SigningKey(std::shared_ptr<const State> state)
      : state_(std::move(state)) {}
  // Takes ownership of `key` (freed on every path).
  static absl::StatusOr<SigningKey> FromOwnedKey(EVP_PKEY* key);

  std::shared_ptr<const State> state_;
};

}  // namespace vigil::token

#endif  // VIGIL_SERVICE_TOKEN_SIGNING_KEY_H_
