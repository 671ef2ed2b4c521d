// File: tpm/verify/random_source.h
// -----------------------------------------------------------------------------
// Injected randomness (style.md rule 12) for the verifier's secrets: the
// MakeCredential seed, the ECDH ephemeral key and the OAEP seed. Production
// uses OpenSslRandomSource (and BufferedRandomSource over it for public
// values); tests pin bytes with a deterministic source.

#ifndef VIGIL_TPM_VERIFY_RANDOM_SOURCE_H_
#define VIGIL_TPM_VERIFY_RANDOM_SOURCE_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace vigil::tpm {

// A source of cryptographically secure random bytes.
// Implementations must be thread-safe; the result is secret.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` entirely. Fails with kInternal when no randomness is
  // available; `out` is then unspecified and must not be used.
  virtual absl::Status Fill(absl::Span<uint8_t> out) = 0;
};

// RAND_priv_bytes from OpenSSL's default DRBG. Thread-safe.
class OpenSslRandomSource final : public RandomSource {
 public:
  absl::Status Fill(absl::Span<uint8_t> out) override;
};

// The bytes of `source`, drawn kBlock at a time and handed out in order:
// for values that must be unpredictable but are then published (the
// verifier's nonces and token ids), where one RAND_priv_bytes call per 16
// bytes cost ~3 µs per attestation (the DRBG re-keys and checks for a fork
// on every call). NOT for secrets: drawn bytes wait in memory until used.
// Requests larger than kBlock / 4 go to `source` directly. A child process
// made by fork() drops the bytes the parent had drawn (pthread_atfork; if
// the handler cannot be registered nothing is buffered), so the two never
// hand out the same ones; as with any lock, a child forked while another
// thread was inside Fill must not call Fill (the verifier does not fork).
// Thread-safe; fails as `source` does, and then hands out nothing from that
// draw.
class BufferedRandomSource final : public RandomSource {
 public:
  static constexpr size_t kBlock = 4096;

  // `source` must outlive this object.
  explicit BufferedRandomSource(RandomSource* source);

  absl::Status Fill(absl::Span<uint8_t> out) override;

 private:
  RandomSource* const source_;
  absl::Mutex mu_;
  std::array<uint8_t, kBlock> block_ ABSL_GUARDED_BY(mu_);
  size_t used_ ABSL_GUARDED_BY(mu_) = kBlock;  // kBlock: none left
  uint64_t forks_seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_VERIFY_RANDOM_SOURCE_H_
