#include "tpm/verify/quote_verifier.h"

#include <openssl/crypto.h>
#include <tss2/tss2_tpm2_types.h>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"
#include "tpm/verify/internal/signature_check.h"
#include "tpm/wire/attest_info.h"
#include "tpm/wire/signature.h"

namespace vigil::tpm {
namespace {

bool SigHashAllowed(HashAlg h, const AkRequirements& req) {
  return h == HashAlg::kSha256 || h == HashAlg::kSha384 ||
         h == HashAlg::kSha512 || (h == HashAlg::kSha1 && req.allow_sha1);
}

// The scheme the AK's public area fixes, or TPM_ALG_NULL.
TPMI_ALG_SIG_SCHEME AkScheme(const TPMT_PUBLIC& p, TPMI_ALG_HASH* hash) {
  if (p.type == TPM2_ALG_RSA) {
    *hash = p.parameters.rsaDetail.scheme.details.anySig.hashAlg;
    return p.parameters.rsaDetail.scheme.scheme;
  }
  *hash = p.parameters.eccDetail.scheme.details.anySig.hashAlg;
  return p.parameters.eccDetail.scheme.scheme;
}

absl::Status CheckSchemeFitsAk(const Signature& sig, const TPMT_PUBLIC& ak,
                               const AkRequirements& req) {
  if (!SigHashAllowed(sig.hash, req)) {
    return absl::UnauthenticatedError(absl::StrCat(
        "quote signature hash ", HashAlgName(sig.hash), " is not allowed"));
  }
  const bool rsa_sig = sig.scheme != SigScheme::kEcdsa;
  if (rsa_sig != (ak.type == TPM2_ALG_RSA)) {
    return absl::UnauthenticatedError(
        absl::StrCat("quote signature scheme ", SigSchemeName(sig.scheme),
                     " does not fit the AK's key type"));
  }
  TPMI_ALG_HASH ak_hash = TPM2_ALG_NULL;
  const TPMI_ALG_SIG_SCHEME ak_scheme = AkScheme(ak, &ak_hash);
  if (ak_scheme != TPM2_ALG_NULL &&
      (ak_scheme != static_cast<uint16_t>(sig.scheme) ||
       ak_hash != static_cast<uint16_t>(sig.hash))) {
    return absl::UnauthenticatedError(absl::StrCat(
        "quote signature scheme ", SigSchemeName(sig.scheme), "/",
        HashAlgName(sig.hash), " differs from the AK's fixed scheme 0x",
        absl::Hex(ak_scheme, absl::kZeroPad4), "/0x",
        absl::Hex(ak_hash, absl::kZeroPad4)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<const PcrBank*>> IndexSupplied(
    absl::Span<const PcrBank> supplied) {
  std::vector<const PcrBank*> by_alg;
  for (const PcrBank& b : supplied) {
    RETURN_IF_ERROR(internal::Annotate(
        ValidatePcrBank(b),
        absl::StrCat("supplied pcr bank ", HashAlgName(b.alg))));
    for (const PcrBank* prev : by_alg) {
      if (prev->alg == b.alg) {
        return absl::InvalidArgumentError(absl::StrCat(
            "supplied pcr bank ", HashAlgName(b.alg), " appears twice"));
      }
    }
    by_alg.push_back(&b);
  }
  return by_alg;
}

}  // namespace

QuoteVerifier::QuoteVerifier(PublicArea ak, std::shared_ptr<EVP_PKEY> key,
                             std::vector<uint8_t> ak_name, AkRequirements req)
    : ak_(std::move(ak)),
      key_(std::move(key)),
      contexts_(
          std::make_shared<verify_internal::SignatureContexts>(key_.get())),
      ak_name_(std::move(ak_name)),
      req_(req) {}

absl::StatusOr<QuoteVerifier> QuoteVerifier::Create(const PublicArea& ak,
                                                    const AkRequirements& req) {
  RETURN_IF_ERROR(CheckAkPublic(ak, req));
  ASSIGN_OR_RETURN(EvpPkeyPtr key, PublicKeyFromArea(ak));
  ASSIGN_OR_RETURN(std::vector<uint8_t> name, ComputeName(ak));
  return QuoteVerifier(ak, std::shared_ptr<EVP_PKEY>(std::move(key)),
                       std::move(name), req);
}

absl::StatusOr<VerifiedPcrs> QuoteVerifier::Verify(
    absl::Span<const uint8_t> tpms_attest,
    absl::Span<const uint8_t> tpmt_signature,
    absl::Span<const uint8_t> expected_nonce,
    absl::Span<const PcrBank> pcr_values) const {
  ASSIGN_OR_RETURN(Signature sig, ParseSignature(tpmt_signature));
  ASSIGN_OR_RETURN(AttestInfo info, ParseAttest(tpms_attest));
  if (info.magic != kTpmGeneratedValue) {
    return absl::UnauthenticatedError(absl::StrCat(
        "quote magic 0x", absl::Hex(info.magic, absl::kZeroPad8),
        " is not TPM_GENERATED_VALUE (0xff544347): not produced by a TPM"));
  }
  if (info.type != kTpmStAttestQuote) {
    return absl::InvalidArgumentError(absl::StrCat(
        "attestation type 0x", absl::Hex(info.type, absl::kZeroPad4),
        " is not TPM_ST_ATTEST_QUOTE (0x8018)"));
  }
  RETURN_IF_ERROR(CheckSchemeFitsAk(sig, ak_.tpmt, req_));
  RETURN_IF_ERROR(internal::Annotate(contexts_->Check(sig, tpms_attest),
                                     "quote signature"));
  if (info.extra_data.size() != expected_nonce.size() ||
      CRYPTO_memcmp(info.extra_data.data(), expected_nonce.data(),
                    expected_nonce.size()) != 0) {
    return absl::UnauthenticatedError(absl::StrCat(
        "quote extraData ", HexEncode(info.extra_data),
        " does not match the expected nonce ", HexEncode(expected_nonce)));
  }
  size_t selected = 0;
  for (const PcrSelection& sel : info.pcr_selections)
    selected += sel.pcrs.size();
  if (selected == 0) return absl::InvalidArgumentError("quote selects no PCRs");
  ASSIGN_OR_RETURN(std::vector<const PcrBank*> supplied,
                   IndexSupplied(pcr_values));

  std::vector<PcrBank> banks;
  banks.reserve(info.pcr_selections.size());
  std::vector<uint8_t> concat;
  size_t npcrs = 0;
  for (const PcrSelection& sel : info.pcr_selections) {
    const PcrBank* have = nullptr;
    for (const PcrBank* b : supplied) {
      if (b->alg == sel.alg) have = b;
    }
    PcrBank out{sel.alg, {}};
    for (uint32_t pcr : sel.pcrs) {
      const Digest* value = nullptr;
      if (have != nullptr) {
        auto it = have->values.find(pcr);
        if (it != have->values.end()) value = &it->second;
      }
      if (value == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "pcr ", HashAlgName(sel.alg), "[", pcr,
            "] is selected by the quote but no value was supplied"));
      }
      concat.insert(concat.end(), value->begin(), value->end());
      out.values.emplace(pcr, *value);
      ++npcrs;
    }
    if (!out.values.empty()) banks.push_back(std::move(out));
  }
  uint8_t digest[kMaxDigestSize];
  RETURN_IF_ERROR(HashParts(sig.hash, {concat}, digest));
  if (info.pcr_digest.size() != DigestSize(sig.hash) ||
      CRYPTO_memcmp(digest, info.pcr_digest.data(), info.pcr_digest.size()) !=
          0) {
    return absl::UnauthenticatedError(absl::StrCat(
        "quote pcrDigest ", HexEncode(info.pcr_digest), " does not match ",
        HashAlgName(sig.hash), " of the ", npcrs,
        " supplied PCR values in selection order (",
        HexEncode(absl::MakeConstSpan(digest, DigestSize(sig.hash))),
        "): a supplied PCR value differs from the quoted one"));
  }
  return VerifiedPcrs(std::move(banks), info.clock_info, info.firmware_version,
                      sig.hash, ak_name_, std::move(info.extra_data));
}

absl::StatusOr<VerifiedPcrs> VerifyQuote(
    const PublicArea& ak, absl::Span<const uint8_t> tpms_attest,
    absl::Span<const uint8_t> tpmt_signature,
    absl::Span<const uint8_t> expected_nonce,
    absl::Span<const PcrBank> pcr_values, const AkRequirements& req) {
  ASSIGN_OR_RETURN(QuoteVerifier v, QuoteVerifier::Create(ak, req));
  return v.Verify(tpms_attest, tpmt_signature, expected_nonce, pcr_values);
}

}  // namespace vigil::tpm
