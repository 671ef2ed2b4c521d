// File: service/verifier/ak_cache.h
// -----------------------------------------------------------------------------
// The imported public key of each enrolled AK, kept between attestations.
// A continuously attesting fleet presents the same few AKs over and over;
// importing the key (TPMT_PUBLIC -> EVP_PKEY, ~25 us for P-256) and encoding
// it for the aikPubHash claim (maa-spec.md §3.1) on every quote was a tenth
// of the verifier's CPU per attestation.
//
//   AkCache cache(ak_requirements);
//   ASSIGN_OR_RETURN(std::shared_ptr<const TrustedAk> ak, cache.Get(device));
//   ak->verifier.Verify(attest, signature, nonce, pcrs);
#ifndef VIGIL_SERVICE_VERIFIER_AK_CACHE_H_
#define VIGIL_SERVICE_VERIFIER_AK_CACHE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "service/verifier/enrollment.h"
#include "tpm/verify/quote_verifier.h"

namespace vigil::service {

// An enrolled AK, ready to verify quotes.
struct TrustedAk {
  tpm::QuoteVerifier verifier;
  // base64(SHA-256(DER SubjectPublicKeyInfo)): the aikPubHash claim. Empty
  // when the key has no SPKI encoding (then the claim is left out).
  std::string pub_hash;
};

// Thread-safe. Entries are keyed by the AK's Name (nameAlg || H(TPMT_PUBLIC),
// TPM 2.0 Part 1 §16), which binds the whole public area, so an entry can
// only ever serve the key it was made from. This relies on the registry's
// invariant that EnrolledDevice::ak_name is the Name of EnrolledDevice::ak
// (the Enroller sets both from one activated credential).
class AkCache {
 public:
  // At most `capacity` keys are kept; when full, the cache starts afresh
  // (a rare O(n) clear rather than LRU bookkeeping on every hit).
  explicit AkCache(tpm::AkRequirements requirements, size_t capacity = 65536)
      : requirements_(requirements), capacity_(capacity) {}

  // The device's AK, imported on first use. Fails as
  // tpm::QuoteVerifier::Create does (kUnauthenticated: not fit to be an AK;
  // kInvalidArgument: the key cannot be imported); failures are not cached.
  absl::StatusOr<std::shared_ptr<const TrustedAk>> Get(
      const EnrolledDevice& device) const;

  size_t size() const;

 private:
  const tpm::AkRequirements requirements_;
  const size_t capacity_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, std::shared_ptr<const TrustedAk>>
      entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_AK_CACHE_H_
