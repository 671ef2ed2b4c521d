#include "tpm/device/attestation_key.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "tpm/device/esys_ptr.h"
#include "tpm/device/esys_util.h"
#include "tpm/device/pcrs.h"
#include "tpm/device/tpm_info.h"
#include "tpm/device/tss_status.h"
#include "tss2/tss2_mu.h"

namespace vigil::tpm {
namespace {

constexpr TPMA_OBJECT kAkAttributes =
    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;

TPM2B_PUBLIC AkTemplate(AkAlg alg) {
  TPM2B_PUBLIC t{};
  TPMT_PUBLIC& p = t.publicArea;
  p.nameAlg = TPM2_ALG_SHA256;
  p.objectAttributes = kAkAttributes;
  if (alg == AkAlg::kRsa2048) {
    p.type = TPM2_ALG_RSA;
    p.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
    p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
    p.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
    p.parameters.rsaDetail.keyBits = 2048;
    p.parameters.rsaDetail.exponent = 0;
  } else {
    p.type = TPM2_ALG_ECC;
    p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    p.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    p.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  }
  return t;
}

std::string HandleHex(uint32_t h) {
  return absl::StrCat("0x", absl::Hex(h, absl::kZeroPad8));
}

absl::Status CheckPersistentHandle(uint32_t h) {
  if ((h >> 24) != TPM2_HT_PERSISTENT) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ak handle ", HandleHex(h), ": want a persistent handle 0x81xxxxxx"));
  }
  return absl::OkStatus();
}

// The ESYS_TR for a persistent handle, or nullopt when it is empty.
absl::StatusOr<std::optional<PersistentHandle>> OpenPersistent(
    const EsysContext& ctx, uint32_t handle) {
  ESYS_TR tr = ESYS_TR_NONE;
  TSS2_RC rc = Esys_TR_FromTPMPublic(ctx.get(), handle, ESYS_TR_NONE,
                                     ESYS_TR_NONE, ESYS_TR_NONE, &tr);
  if (rc != TSS2_RC_SUCCESS) {
    std::optional<uint32_t> base = TpmRcBase(rc);
    if (base.has_value() && *base == TPM2_RC_HANDLE) {
      return std::optional<PersistentHandle>();
    }
    return TssStatus("Esys_TR_FromTPMPublic", rc);
  }
  return std::optional<PersistentHandle>(PersistentHandle(ctx, tr));
}

// The hash of the AK's signing scheme, which TPM2_Quote uses for pcrDigest
// (Part 3 §18.4.1).
absl::StatusOr<HashAlg> QuoteDigestAlg(const AttestationKey& ak) {
  TPM2B_PUBLIC pub{};
  size_t offset = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(ak.public_area.data(), ak.public_area.size(),
                                     &offset, &pub) != TSS2_RC_SUCCESS) {
    return absl::InternalError("quote: the AK public area does not unmarshal");
  }
  const TPMT_PUBLIC& p = pub.publicArea;
  TPMI_ALG_HASH h = p.type == TPM2_ALG_RSA
                        ? p.parameters.rsaDetail.scheme.details.anySig.hashAlg
                        : p.parameters.eccDetail.scheme.details.anySig.hashAlg;
  std::optional<HashAlg> alg = HashAlgFromId(h);
  if (!alg.has_value()) {
    return absl::FailedPreconditionError("quote: the AK has no signing scheme hash");
  }
  return *alg;
}

}  // namespace

absl::string_view AkAlgName(AkAlg alg) {
  return alg == AkAlg::kRsa2048 ? "rsa2048" : "ecc-p256";
}

absl::Status EvictPersistent(const EsysContext& ctx, uint32_t handle) {
  RETURN_IF_ERROR(CheckPersistentHandle(handle));
  ASSIGN_OR_RETURN(std::optional<PersistentHandle> existing,
                   OpenPersistent(ctx, handle));
  if (!existing.has_value()) return absl::OkStatus();
  ESYS_TR out = ESYS_TR_NONE;
  TSS2_RC rc = Esys_EvictControl(ctx.get(), ESYS_TR_RH_OWNER, existing->get(),
                                 ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                 handle, &out);
  if (rc != TSS2_RC_SUCCESS) return TssStatus("Esys_EvictControl(evict)", rc);
  // ESYS released the ESYS_TR of the evicted object itself.
  existing->Release();
  return absl::OkStatus();
}

absl::StatusOr<AttestationKey> CreateAk(const EsysContext& ctx,
                                        const EndorsementKey& ek,
                                        const AkOptions& options) {
  const uint32_t h = options.persistent_handle;
  RETURN_IF_ERROR(CheckPersistentHandle(h));
  {
    ASSIGN_OR_RETURN(std::optional<PersistentHandle> existing,
                     OpenPersistent(ctx, h));
    if (existing.has_value() && !options.replace) {
      return absl::AlreadyExistsError(absl::StrCat(
          "create ak: persistent handle ", HandleHex(h),
          " is taken (evict it or ask to replace it)"));
    }
  }
  if (options.replace) RETURN_IF_ERROR(EvictPersistent(ctx, h));

  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_PUBLIC templ = AkTemplate(options.alg);
  TPM2B_DATA outside_info{};
  TPML_PCR_SELECTION creation_pcr{};
  TPM2B_PRIVATE* raw_priv = nullptr;
  TPM2B_PUBLIC* raw_pub = nullptr;
  TPM2B_CREATION_DATA* raw_cd = nullptr;
  TPM2B_DIGEST* raw_ch = nullptr;
  TPMT_TK_CREATION* raw_tk = nullptr;
  TSS2_RC rc;
  {
    ASSIGN_OR_RETURN(TransientHandle session, EkAuthSession(ctx, ek));
    rc = Esys_Create(ctx.get(), ek.handle.get(),
                     session.valid() ? session.get() : ESYS_TR_PASSWORD,
                     ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &templ,
                     &outside_info, &creation_pcr, &raw_priv, &raw_pub, &raw_cd,
                     &raw_ch, &raw_tk);
  }
  EsysPtr<TPM2B_PRIVATE> priv(raw_priv);
  EsysPtr<TPM2B_PUBLIC> pub(raw_pub);
  EsysPtr<TPM2B_CREATION_DATA> cd(raw_cd);
  EsysPtr<TPM2B_DIGEST> ch(raw_ch);
  EsysPtr<TPMT_TK_CREATION> tk(raw_tk);
  if (rc != TSS2_RC_SUCCESS) {
    return WithContext(TssStatus("Esys_Create", rc), "create ak");
  }
  ESYS_TR loaded_tr = ESYS_TR_NONE;
  {
    ASSIGN_OR_RETURN(TransientHandle session, EkAuthSession(ctx, ek));
    rc = Esys_Load(ctx.get(), ek.handle.get(),
                   session.valid() ? session.get() : ESYS_TR_PASSWORD,
                   ESYS_TR_NONE, ESYS_TR_NONE, priv.get(), pub.get(), &loaded_tr);
  }
  if (rc != TSS2_RC_SUCCESS) {
    return WithContext(TssStatus("Esys_Load", rc), "create ak");
  }
  TransientHandle loaded(ctx, loaded_tr);
  ESYS_TR persistent_tr = ESYS_TR_NONE;
  rc = Esys_EvictControl(ctx.get(), ESYS_TR_RH_OWNER, loaded.get(),
                         ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, h,
                         &persistent_tr);
  if (rc != TSS2_RC_SUCCESS) {
    return WithContext(TssStatus("Esys_EvictControl", rc),
                                     absl::StrCat("persist ak at ", HandleHex(h)));
  }
  PersistentHandle persistent(ctx, persistent_tr);
  loaded = TransientHandle();  // flush the transient copy
  AttestationKey ak;
  ak.alg = options.alg;
  ak.persistent_handle = h;
  ASSIGN_OR_RETURN(ak.public_area, MarshalPublic(*pub));
  ASSIGN_OR_RETURN(ak.name, ObjectName(ctx, persistent.get()));
  ak.handle = std::move(persistent);
  return ak;
}

absl::StatusOr<AttestationKey> LoadAk(const EsysContext& ctx, uint32_t handle) {
  RETURN_IF_ERROR(CheckPersistentHandle(handle));
  ASSIGN_OR_RETURN(std::optional<PersistentHandle> opened,
                   OpenPersistent(ctx, handle));
  if (!opened.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("load ak: no object at ", HandleHex(handle)));
  }
  TPM2B_PUBLIC* raw_pub = nullptr;
  TPM2B_NAME* raw_name = nullptr;
  TPM2B_NAME* raw_qname = nullptr;
  TSS2_RC rc = Esys_ReadPublic(ctx.get(), opened->get(), ESYS_TR_NONE,
                               ESYS_TR_NONE, ESYS_TR_NONE, &raw_pub, &raw_name,
                               &raw_qname);
  EsysPtr<TPM2B_PUBLIC> pub(raw_pub);
  EsysPtr<TPM2B_NAME> name(raw_name);
  EsysPtr<TPM2B_NAME> qname(raw_qname);
  if (rc != TSS2_RC_SUCCESS) return TssStatus("Esys_ReadPublic", rc);
  const TPMT_PUBLIC& p = pub->publicArea;
  const TPMA_OBJECT a = p.objectAttributes;
  const bool is_ak = (a & TPMA_OBJECT_RESTRICTED) && (a & TPMA_OBJECT_SIGN_ENCRYPT) &&
                     !(a & TPMA_OBJECT_DECRYPT) && (a & TPMA_OBJECT_FIXEDTPM);
  AttestationKey ak;
  if (is_ak && p.type == TPM2_ALG_RSA && p.parameters.rsaDetail.keyBits == 2048) {
    ak.alg = AkAlg::kRsa2048;
  } else if (is_ak && p.type == TPM2_ALG_ECC &&
             p.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256) {
    ak.alg = AkAlg::kEccNistP256;
  } else {
    return absl::FailedPreconditionError(absl::StrCat(
        "load ak: the object at ", HandleHex(handle),
        " is not a fixedTPM restricted signing RSA-2048 or ECC P-256 key"));
  }
  ak.persistent_handle = handle;
  ASSIGN_OR_RETURN(ak.public_area, MarshalPublic(*pub));
  ak.name.assign(name->name, name->name + name->size);
  ak.handle = std::move(*opened);
  return ak;
}

absl::StatusOr<QuoteResult> Quote(const EsysContext& ctx,
                                  const AttestationKey& ak,
                                  absl::Span<const uint8_t> nonce,
                                  const QuoteOptions& options) {
  if (nonce.size() > kMaxNonceSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "quote: nonce has ", nonce.size(), " bytes, want at most ", kMaxNonceSize));
  }
  std::vector<HashAlg> banks = options.banks;
  if (banks.empty()) {
    ASSIGN_OR_RETURN(banks, AllocatedPcrBanks(ctx));
  }
  if (banks.empty()) return absl::InvalidArgumentError("quote: no pcr banks");
  std::vector<uint32_t> pcrs = options.pcrs.empty() ? AllPcrs() : options.pcrs;
  std::sort(pcrs.begin(), pcrs.end());
  pcrs.erase(std::unique(pcrs.begin(), pcrs.end()), pcrs.end());
  TPM2B_DATA qualifying{};
  qualifying.size = static_cast<uint16_t>(nonce.size());
  if (!nonce.empty()) std::memcpy(qualifying.buffer, nonce.data(), nonce.size());
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_NULL;  // the AK's own scheme

  ASSIGN_OR_RETURN(HashAlg digest_alg, QuoteDigestAlg(ak));
  for (int attempt = 0; attempt < 3; ++attempt) {
    // Read, then quote, then check that the quote's pcrDigest is the digest
    // of what was read. The pcrUpdateCounter cannot be used for this: PCRs
    // 16 and 21-23 do not increment it (PC Client PTP Table 4,
    // TPMA_PCR_NO_INCREMENT).
    ASSIGN_OR_RETURN(PcrReadResult read, ReadPcrs(ctx, banks, pcrs));
    TPML_PCR_SELECTION sel = internal::MakeSelection(banks, pcrs);
    TPM2B_ATTEST* raw_attest = nullptr;
    TPMT_SIGNATURE* raw_sig = nullptr;
    TSS2_RC rc = Esys_Quote(ctx.get(), ak.handle.get(), ESYS_TR_PASSWORD,
                            ESYS_TR_NONE, ESYS_TR_NONE, &qualifying, &scheme,
                            &sel, &raw_attest, &raw_sig);
    EsysPtr<TPM2B_ATTEST> attest(raw_attest);
    EsysPtr<TPMT_SIGNATURE> sig(raw_sig);
    if (rc != TSS2_RC_SUCCESS) {
      return WithContext(TssStatus("Esys_Quote", rc), "quote");
    }
    TPMS_ATTEST info{};
    size_t offset = 0;
    rc = Tss2_MU_TPMS_ATTEST_Unmarshal(attest->attestationData, attest->size,
                                       &offset, &info);
    if (rc != TSS2_RC_SUCCESS) return TssStatus("Tss2_MU_TPMS_ATTEST_Unmarshal", rc);
    std::vector<uint8_t> concat;
    for (const PcrBank& bank : read.banks) {
      for (const auto& [index, value] : bank.values) {
        concat.insert(concat.end(), value.begin(), value.end());
      }
    }
    ASSIGN_OR_RETURN(Digest expected, Hash(digest_alg, concat));
    const TPM2B_DIGEST& got = info.attested.quote.pcrDigest;
    if (got.size != expected.size() ||
        !std::equal(expected.begin(), expected.end(), got.buffer)) {
      continue;  // a PCR was extended between the read and the quote
    }
    QuoteResult out;
    out.attest.assign(attest->attestationData,
                      attest->attestationData + attest->size);
    ASSIGN_OR_RETURN(out.signature, MarshalSignature(*sig));
    out.pcrs = std::move(read.banks);
    return out;
  }
  return absl::UnavailableError(
      "quote: PCRs kept changing around the quote (3 attempts)");
}

absl::StatusOr<ClockInfo> QuoteClock(const QuoteResult& quote) {
  ASSIGN_OR_RETURN(AttestInfo info, ParseAttest(quote.attest));
  return info.clock_info;
}

absl::StatusOr<std::vector<QuoteResult>> QuoteRoundAfter(
    const std::optional<ClockInfo>& previous,
    absl::FunctionRef<absl::StatusOr<std::vector<QuoteResult>>()> quote_round,
    ClockInfo* round_clock, int max_tries) {
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(std::vector<QuoteResult> quotes, quote_round());
    std::optional<ClockInfo> latest;
    for (const QuoteResult& q : quotes) {
      ASSIGN_OR_RETURN(ClockInfo c, QuoteClock(q));
      if (!latest.has_value() || c.reset_count > latest->reset_count ||
          (c.reset_count == latest->reset_count && c.clock > latest->clock)) {
        latest = c;
      }
    }
    if (latest.has_value()) *round_clock = *latest;
    const bool later = !previous.has_value() || !latest.has_value() ||
                       latest->reset_count != previous->reset_count ||
                       latest->clock > previous->clock;
    if (later || attempt >= max_tries) return quotes;
    absl::SleepFor(absl::Milliseconds(1));
  }
}

}  // namespace vigil::tpm
