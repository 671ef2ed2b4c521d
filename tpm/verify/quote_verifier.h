// File: tpm/verify/quote_verifier.h
// -----------------------------------------------------------------------------
// Verifies a TPM2_Quote (TPM 2.0 Part 3 §18.4) with a trusted AK and turns the
// PCR values the agent claims into VerifiedPcrs. Pure: no TPM, no ESYS.
//
//   ASSIGN_OR_RETURN(PublicArea ak, ParseTpm2bPublic(evidence.ak_public));
//   // ... establish that `ak` is trusted (AK cert or credential activation)
//   ... ASSIGN_OR_RETURN(QuoteVerifier v, QuoteVerifier::Create(ak));
//   ASSIGN_OR_RETURN(VerifiedPcrs pcrs,
//                    v.Verify(quote.attest, quote.signature, nonce, banks));

#ifndef VIGIL_TPM_VERIFY_QUOTE_VERIFIER_H_
#define VIGIL_TPM_VERIFY_QUOTE_VERIFIER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tpm/types/pcr_bank.h"
#include "tpm/verify/ak_checks.h"
#include "tpm/verify/verified_pcrs.h"
#include "tpm/wire/public_area.h"

namespace vigil::tpm {
namespace verify_internal {
class SignatureContexts;
}  // namespace verify_internal

// Verifies quotes made by one AK. Immutable after Create; thread-safe.
class QuoteVerifier {
 public:
  // Returns a verifier for `ak`, which the caller guarantees is trusted (it
  // belongs to a genuine TPM: the caller checked an AK certificate or
  // activated a credential for its Name). Runs CheckAkPublic(ak, req) and
  // imports the key.
  // Fails with kUnauthenticated when the key is not fit to be an AK (see
  // CheckAkPublic), kInvalidArgument when the key cannot be imported.
  static absl::StatusOr<QuoteVerifier> Create(
      const PublicArea& ak, const AkRequirements& req = AkRequirements());

  // Verifies one quote:
  //   `tpms_attest`     the marshalled TPMS_ATTEST the TPM signed (untrusted);
  //   `tpmt_signature`  the marshalled TPMT_SIGNATURE (untrusted);
  //   `expected_nonce`  the nonce this verifier issued for this attestation;
  //   `pcr_values`      the PCR values the agent claims (untrusted), at most
  //                     one PcrBank per algorithm.
  // In order: both structures parse; magic is TPM_GENERATED_VALUE; type is
  // TPM_ST_ATTEST_QUOTE; the signature scheme fits the AK (equal to the AK's
  // scheme when it has one) and its hash is allowed; the signature verifies
  // over H_scheme(tpms_attest); extraData == expected_nonce; every selected
  // PCR is supplied; H_scheme(selected values, in TPML_PCR_SELECTION order,
  // ascending PCR index within a bank) == pcrDigest (Part 1 §17.6.2,
  // Part 3 §18.4).
  // Returns the quoted PCRs with clock info and firmware version.
  // Fails with:
  //   kInvalidArgument  a malformed or oversized structure (naming the field
  //                     and offset), a non-quote attestation type, a quote
  //                     that selects no PCRs, an invalid or duplicate supplied
  //                     bank, or a selected PCR with no supplied value;
  //   kUnauthenticated  magic is not TPM_GENERATED_VALUE, a scheme or hash the
  //                     AK does not allow, a bad signature, a nonce mismatch,
  //                     or PCR values that do not match pcrDigest.
  absl::StatusOr<VerifiedPcrs> Verify(
      absl::Span<const uint8_t> tpms_attest,
      absl::Span<const uint8_t> tpmt_signature,
      absl::Span<const uint8_t> expected_nonce,
      absl::Span<const PcrBank> pcr_values) const;

  // The AK's Name (Part 1 §16).
  const std::vector<uint8_t>& ak_name() const { return ak_name_; }

 private:
  QuoteVerifier(PublicArea ak, std::shared_ptr<EVP_PKEY> key,
                std::vector<uint8_t> ak_name, AkRequirements req);

  PublicArea ak_;
  std::shared_ptr<EVP_PKEY> key_;
  // Verify contexts for key_, set up once (copies share them; declared
  // after key_ so they go first).
  std::shared_ptr<verify_internal::SignatureContexts> contexts_;
  std::vector<uint8_t> ak_name_;
  AkRequirements req_;
};

// One-shot form: QuoteVerifier::Create(ak, req) then Verify(...). Same
// contract and failures.
absl::StatusOr<VerifiedPcrs> VerifyQuote(
    const PublicArea& ak, absl::Span<const uint8_t> tpms_attest,
    absl::Span<const uint8_t> tpmt_signature,
    absl::Span<const uint8_t> expected_nonce,
    absl::Span<const PcrBank> pcr_values,
    const AkRequirements& req = AkRequirements());

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_VERIFY_QUOTE_VERIFIER_H_
