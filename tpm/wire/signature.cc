#include "tpm/wire/signature.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tpm/wire/internal/mu_reader.h"

namespace vigil::tpm {
namespace {

struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

absl::StatusOr<std::vector<uint8_t>> EcdsaDer(const TPMS_SIGNATURE_ECC& ecc) {
  if (ecc.signatureR.size == 0 || ecc.signatureS.size == 0) {
    return absl::InvalidArgumentError(
        "TPMT_SIGNATURE.signature.ecdsa: empty r or s");
  }
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(ecc.signatureR.buffer, ecc.signatureR.size, nullptr);
  BIGNUM* s = BN_bin2bn(ecc.signatureS.buffer, ecc.signatureS.size, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr ||
      ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return absl::InternalError("OpenSSL ECDSA_SIG setup failed");
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return absl::InternalError("i2d_ECDSA_SIG failed");
  std::vector<uint8_t> der(static_cast<size_t>(len));
  uint8_t* p = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) {
    return absl::InternalError("i2d_ECDSA_SIG failed");
  }
  return der;
}

}  // namespace

absl::string_view SigSchemeName(SigScheme scheme) {
  switch (scheme) {
    case SigScheme::kRsassa:
      return "RSASSA";
    case SigScheme::kRsapss:
      return "RSAPSS";
    case SigScheme::kEcdsa:
      return "ECDSA";
  }
  return "unknown";
}

absl::StatusOr<Signature> ParseSignature(absl::Span<const uint8_t> bytes) {
  RETURN_IF_ERROR(wire_internal::CheckInputSize("TPMT_SIGNATURE", bytes));
  wire_internal::MuReader r("TPMT_SIGNATURE", bytes);
  TPMT_SIGNATURE t{};
  RETURN_IF_ERROR(r.Read(Tss2_MU_UINT16_Unmarshal, "sigAlg", &t.sigAlg));
  Signature out;
  switch (t.sigAlg) {
    case TPM2_ALG_RSASSA:
      out.scheme = SigScheme::kRsassa;
      break;
    case TPM2_ALG_RSAPSS:
      out.scheme = SigScheme::kRsapss;
      break;
    case TPM2_ALG_ECDSA:
      out.scheme = SigScheme::kEcdsa;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "TPMT_SIGNATURE.sigAlg at offset 0: unsupported signature "
          "algorithm 0x",
          absl::Hex(t.sigAlg, absl::kZeroPad4),
          " (want RSASSA, RSAPSS or ECDSA)"));
  }
  RETURN_IF_ERROR(r.ReadUnion(Tss2_MU_TPMU_SIGNATURE_Unmarshal, t.sigAlg,
                              "signature", &t.signature));
  RETURN_IF_ERROR(r.ExpectEnd());

  // hash is the first member of every TPMS_SIGNATURE_* in the union.
  const uint16_t hash_id = out.scheme == SigScheme::kEcdsa
                               ? t.signature.ecdsa.hash
                               : t.signature.rsassa.hash;
  std::optional<HashAlg> hash = HashAlgFromId(hash_id);
  if (!hash.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TPMT_SIGNATURE.signature.hash at offset 2: 0x",
        absl::Hex(hash_id, absl::kZeroPad4), " is not a hash algorithm"));
  }
  out.hash = *hash;
  if (out.scheme == SigScheme::kEcdsa) {
    ASSIGN_OR_RETURN(out.bytes, EcdsaDer(t.signature.ecdsa));
  } else {
    const TPM2B_PUBLIC_KEY_RSA& sig = t.signature.rsassa.sig;
    if (sig.size == 0) {
      return absl::InvalidArgumentError(
          "TPMT_SIGNATURE.signature.sig at offset 4: empty RSA signature");
    }
    out.bytes.assign(sig.buffer, sig.buffer + sig.size);
  }
  return out;
}

}  // namespace vigil::tpm
