// File: tpm/verify/internal/signature_check.h
// -----------------------------------------------------------------------------
// Verifies a parsed TPMT_SIGNATURE over a message with an OpenSSL key. Shared
// by the quote verifier and the AK creation check; not part of the API.

#ifndef VIGIL_TPM_VERIFY_INTERNAL_SIGNATURE_CHECK_H_
#define VIGIL_TPM_VERIFY_INTERNAL_SIGNATURE_CHECK_H_

#include <openssl/evp.h>

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "tpm/types/hash_alg.h"
#include "tpm/wire/signature.h"

namespace vigil::tpm::verify_internal {

// OK when `sig` is a valid signature by `key` over H_sig.hash(message).
// RSASSA: PKCS#1 v1.5; RSAPSS: any salt length (TPMs differ: Part 1 §B.7 lets
// the salt be as long as the key allows, newer TPMs use the digest size), MGF1
// with the same hash; ECDSA: DER r,s.
// Fails with kUnauthenticated when the signature does not verify or the key
// type does not fit the scheme; kInternal when OpenSSL fails to set up.
absl::Status CheckSignature(EVP_PKEY* key, const Signature& sig,
                            absl::Span<const uint8_t> message);

// Verification contexts for one key, set up once per (scheme, hash) and
// copied for each check: under OpenSSL 3 creating and initialising an
// EVP_PKEY_CTX (provider fetches, parameter setting) costs about a fifth of
// a P-256 verify, and a quote verifier checks the same key over and over.
// Thread-safe; the key must outlive the cache.
class SignatureContexts {
 public:
  explicit SignatureContexts(EVP_PKEY* key) : key_(key) {}
  ~SignatureContexts();
  SignatureContexts(const SignatureContexts&) = delete;
  SignatureContexts& operator=(const SignatureContexts&) = delete;

  // As CheckSignature(key, sig, message), with the cached context.
  absl::Status Check(const Signature& sig, absl::Span<const uint8_t> message);

 private:
  struct Entry {
    SigScheme scheme;
    HashAlg hash;
    EVP_PKEY_CTX* ctx;  // owned; initialised for verify, never used directly
  };
  EVP_PKEY* const key_;
  absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::tpm::verify_internal

#endif  // VIGIL_TPM_VERIFY_INTERNAL_SIGNATURE_CHECK_H_
