// File: tpm/device/attestation_key.h
// -----------------------------------------------------------------------------
// The attestation key (AK): a restricted signing key in the endorsement
// hierarchy, child of the EK (as tpm2_createak makes it), persisted at a
// configurable handle so it survives restarts; and TPM2_Quote with it.
//
//   ASSIGN_OR_RETURN(EndorsementKey ek, CreateEk(ctx, EkKind::kRsa2048));
//   ASSIGN_OR_RETURN(AttestationKey ak, CreateAk(ctx, ek, AkOptions{}));
//   ...after a reboot...
//   ASSIGN_OR_RETURN(AttestationKey ak, LoadAk(ctx, kDefaultAkHandle));
//   ASSIGN_OR_RETURN(QuoteResult q, Quote(ctx, ak, nonce, QuoteOptions{}));
//
// "Restricted" (Part 1 §25.2.3) is what makes a quote mean something: the TPM
// refuses to sign with it any digest that starts with TPM_GENERATED_VALUE,
// so a TPMS_ATTEST it signed was produced by the TPM itself.

#ifndef VIGIL_TPM_DEVICE_ATTESTATION_KEY_H_
#define VIGIL_TPM_DEVICE_ATTESTATION_KEY_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tpm/device/ek.h"
#include "tpm/device/esys_context.h"
#include "tpm/device/handles.h"
#include "tpm/types/pcr_bank.h"
#include "tpm/wire/attest_info.h"

namespace vigil::tpm {

enum class AkAlg {
  kRsa2048,      // RSASSA-PKCS1-v1_5 with SHA-256
  kEccNistP256,  // ECDSA with SHA-256
};
absl::string_view AkAlgName(AkAlg alg);  // "rsa2048" / "ecc-p256"

// 0x81010002: the first free handle after the RSA EK in the endorsement range
// of persistent handles (TCG "Registry of Reserved TPM 2.0 Handles" §2.3.1,
// 0x81010000-0x8101FFFF); the handle tpm2-tools documentation uses for AKs.
inline constexpr uint32_t kDefaultAkHandle = 0x81010002;

struct AkOptions {
  AkAlg alg = AkAlg::kEccNistP256;
  // Must be a persistent handle (0x81xxxxxx).
  uint32_t persistent_handle = kDefaultAkHandle;
  // When false (the safe default: an AK may be enrolled with a verifier), an
  // occupied handle is an error; when true, the object there is evicted.
  bool replace = false;
};

// A persistent AK. Closing it (destruction) leaves it in the TPM.
struct AttestationKey {
  AkAlg alg = AkAlg::kEccNistP256;
  uint32_t persistent_handle = 0;
  PersistentHandle handle;
  std::vector<uint8_t> public_area;  // TPM2B_PUBLIC, marshalled (tss2-mu)
  std::vector<uint8_t> name;         // nameAlg || SHA-256(TPMT_PUBLIC)
};

// CreateAk(ctx, ek, options): TPM2_Create under `ek` (authorized per
// EkAuthSession), TPM2_Load, TPM2_EvictControl to options.persistent_handle.
// Attributes fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|
// restricted|sign, empty authValue and authPolicy (as tpm2_createak).
// Fails with kInvalidArgument for a non-persistent handle, kAlreadyExists when
// the handle is taken and !replace, as tss_status.h otherwise.
absl::StatusOr<AttestationKey> CreateAk(const EsysContext& ctx,
                                        const EndorsementKey& ek,
                                        const AkOptions& options);

// LoadAk(ctx, handle): the AK persisted at `handle`.
// Fails with kNotFound when nothing is there, kFailedPrecondition when the
// object is not a restricted, non-decrypting signing key with fixedTPM (so
// it is not an AK: a quote from it would prove nothing), as tss_status.h
// otherwise.
absl::StatusOr<AttestationKey> LoadAk(const EsysContext& ctx, uint32_t handle);

// EvictPersistent(ctx, handle): removes the persistent object at `handle`.
// OK if there was none.
absl::Status EvictPersistent(const EsysContext& ctx, uint32_t handle);

// Largest qualifyingData a quote accepts (sizeof(TPMU_HA), Part 2 §10.4.3).
inline constexpr size_t kMaxNonceSize = 64;

struct QuoteOptions {
  // PCRs to quote, in every bank of `banks`. Empty = all 24.
  std::vector<uint32_t> pcrs;
  // Banks to quote. Empty = every allocated bank.
  std::vector<HashAlg> banks;
};

struct QuoteResult {
  // TPMS_ATTEST bytes, i.e. TPM2B_ATTEST.attestationData without its size
  // (the message tpm2_quote -m writes and tpm2_checkquote -m reads).
  std::vector<uint8_t> attest;
  // TPMT_SIGNATURE, marshalled (tpm2_quote -s ... -f plain is NOT this; this
  // is the "tss" format).
  std::vector<uint8_t> signature;
  // The quoted PCR values, one bank per quoted bank; their digest equals the
  // quote's pcrDigest (checked, retried up to 3 times if a PCR changed).
  std::vector<PcrBank> pcrs;
};

// Quote(ctx, ak, nonce, options): TPM2_Quote (Part 3 §18.4) with the AK's own
// scheme. The result is UNVERIFIED until tpm/verify checks it with the AK's
// trusted public key and the nonce the verifier issued.
// Fails with kInvalidArgument for a nonce longer than kMaxNonceSize or a bad
// selection, kUnavailable if PCRs kept changing (3 attempts) or the TPM is
// unreachable, as tss_status.h otherwise.
absl::StatusOr<QuoteResult> Quote(const EsysContext& ctx,
                                  const AttestationKey& ak,
                                  absl::Span<const uint8_t> nonce,
                                  const QuoteOptions& options);

// The signed clock of `quote` (its TPMS_ATTEST's clockInfo), UNVERIFIED.
// Fails with kInvalidArgument (naming the field) when the bytes do not parse.
absl::StatusOr<ClockInfo> QuoteClock(const QuoteResult& quote);

// One round's quotes from `quote_round`, made again until the latest
// signed clock among them is later than `previous` (the last round's) at
// the same resetCount, or the TPM has reset since. Why: a verifier accepts
// a round only if its clock is later than the last one it accepted (the
// replay check across replicas, service/verifier/device_registry.h), and
// Clock counts milliseconds (TPM 2.0 Part 1 §36.3): a fast TPM (swtpm, a
// virtual TPM) can sign two rounds within one — an agent's round and the
// one that follows when the verifier asks for its log, say. Waits 1 ms
// between tries; after `max_tries` the last round is returned as it is
// (the verifier then names the clock). Sets `*round_clock` to the round's
// latest clock. Fails as `quote_round` does, or as QuoteClock.
absl::StatusOr<std::vector<QuoteResult>> QuoteRoundAfter(
    const std::optional<ClockInfo>& previous,
    absl::FunctionRef<absl::StatusOr<std::vector<QuoteResult>>()> quote_round,
    ClockInfo* round_clock, int max_tries = 20);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_DEVICE_ATTESTATION_KEY_H_
