#include "tpm/verify/make_credential.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <tss2/tss2_tpm2_types.h>

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tpm/types/hash_alg.h"
#include "tpm/verify/kdf.h"

namespace vigil::tpm {
namespace {

using Bytes = std::vector<uint8_t>;

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
struct BnCtxDeleter {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct GroupDeleter {
  void operator()(EC_GROUP* g) const { EC_GROUP_free(g); }
};
struct PointDeleter {
  void operator()(EC_POINT* p) const { EC_POINT_clear_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct CipherDeleter {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
using PointPtr = std::unique_ptr<EC_POINT, PointDeleter>;

constexpr absl::string_view kIdentityLabel = "IDENTITY";
constexpr absl::string_view kStorageLabel = "STORAGE";
constexpr absl::string_view kIntegrityLabel = "INTEGRITY";

absl::Status Internal(absl::string_view what) {
  ERR_clear_error();
  return absl::InternalError(absl::StrCat("make credential: ", what));
}

void PutU16(size_t v, Bytes* out) {
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v));
}

Bytes Tpm2b(absl::Span<const uint8_t> body) {
  Bytes out;
  out.reserve(2 + body.size());
  PutU16(body.size(), &out);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

absl::Status RejectEk(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("EK rejected: ", why));
}

// The EK must be a storage key (Part 1 §24.1: the "protector" is a restricted
// decryption key) whose symmetric definition is AES in CFB mode.
absl::StatusOr<uint32_t> CheckEk(const TPMT_PUBLIC& p) {
  if (p.type != TPM2_ALG_RSA && p.type != TPM2_ALG_ECC) {
    return RejectEk("not an RSA or ECC key");
  }
  const TPMA_OBJECT a = p.objectAttributes;
  if ((a & TPMA_OBJECT_RESTRICTED) == 0 || (a & TPMA_OBJECT_DECRYPT) == 0 ||
      (a & TPMA_OBJECT_SIGN_ENCRYPT) != 0) {
    return RejectEk("not a restricted decryption (storage) key");
  }
  const TPMT_SYM_DEF_OBJECT& sym = p.type == TPM2_ALG_RSA
                                       ? p.parameters.rsaDetail.symmetric
                                       : p.parameters.eccDetail.symmetric;
  if (sym.algorithm != TPM2_ALG_AES || sym.mode.aes != TPM2_ALG_CFB ||
      (sym.keyBits.aes != 128 && sym.keyBits.aes != 192 &&
       sym.keyBits.aes != 256)) {
    return RejectEk("symmetric definition is not AES-128/192/256-CFB");
  }
  if (p.type == TPM2_ALG_RSA && p.parameters.rsaDetail.keyBits < 2048) {
    return RejectEk(absl::StrCat("RSA key of ", p.parameters.rsaDetail.keyBits,
                                 " bits is smaller than 2048"));
  }
  if (p.type == TPM2_ALG_ECC &&
      EccCurveName(p.parameters.eccDetail.curveID) == nullptr) {
    return RejectEk("ECC curve is not NIST P-256, P-384 or P-521");
  }
  return sym.keyBits.aes;
}

// MGF1 (RFC 8017 §B.2.1) with `hash`.
absl::StatusOr<Bytes> Mgf1(HashAlg hash, absl::Span<const uint8_t> seed,
                           size_t len) {
  Bytes out;
  uint8_t block[kMaxDigestSize];
  for (uint32_t c = 0; out.size() < len; ++c) {
    const uint8_t ctr[4] = {static_cast<uint8_t>(c >> 24),
                            static_cast<uint8_t>(c >> 16),
                            static_cast<uint8_t>(c >> 8),
                            static_cast<uint8_t>(c)};
    RETURN_IF_ERROR(HashParts(hash, {seed, ctr}, block));
    out.insert(out.end(), block, block + DigestSize(hash));
  }
  out.resize(len);
  return out;
}

// RSAES-OAEP-ENCRYPT (RFC 8017 §7.1.1) with the EME-OAEP encoding done here,
// so that its seed comes from `rng`, then a raw RSA operation.
absl::StatusOr<Bytes> RsaOaepEncrypt(const PublicArea& ek, HashAlg hash,
                                     absl::Span<const uint8_t> message,
                                     absl::string_view label_no_nul,
                                     RandomSource& rng) {
  const size_t k = ek.tpmt.unique.rsa.size;
  const size_t h = DigestSize(hash);
  if (k < 2 * h + 2 || message.size() > k - 2 * h - 2) {
    return absl::InvalidArgumentError("EK modulus too small for OAEP");
  }
  Bytes label(label_no_nul.begin(), label_no_nul.end());
  label.push_back(0);
  Bytes db(k - h - 1, 0);
  RETURN_IF_ERROR(HashParts(hash, {label}, db.data()));
  db[k - h - 2 - message.size()] = 0x01;
  std::copy(message.begin(), message.end(), db.end() - message.size());
  Bytes seed(h);
  RETURN_IF_ERROR(rng.Fill(absl::MakeSpan(seed)));
  ASSIGN_OR_RETURN(Bytes db_mask, Mgf1(hash, seed, db.size()));
  for (size_t i = 0; i < db.size(); ++i) db[i] ^= db_mask[i];
  ASSIGN_OR_RETURN(Bytes seed_mask, Mgf1(hash, db, h));
  for (size_t i = 0; i < h; ++i) seed[i] ^= seed_mask[i];
  Bytes em;
  em.reserve(k);
  em.push_back(0);
  em.insert(em.end(), seed.begin(), seed.end());
  em.insert(em.end(), db.begin(), db.end());

  ASSIGN_OR_RETURN(EvpPkeyPtr key, PublicKeyFromArea(ek));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  size_t out_len = k;
  Bytes out(k);
  if (ctx == nullptr || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1 ||
      EVP_PKEY_encrypt(ctx.get(), out.data(), &out_len, em.data(),
                       em.size()) != 1) {
    return Internal("RSA encryption failed");
  }
  out.resize(out_len);
  return out;
}

int CurveNid(TPM2_ECC_CURVE curve) {
  switch (curve) {
    case TPM2_ECC_NIST_P256:
      return NID_X9_62_prime256v1;
    case TPM2_ECC_NIST_P384:
      return NID_secp384r1;
    case TPM2_ECC_NIST_P521:
      return NID_secp521r1;
    default:
      return NID_undef;
  }
}

struct EcdhResult {
  Bytes seed;
  Bytes ephemeral_point;  // marshalled TPMS_ECC_POINT
};

// One-pass ECDH, C(1, 1, ECC CDH) (Part 1 §C.6.4, SP 800-56A §6.2.2.2).
absl::StatusOr<EcdhResult> EcdhSeed(const PublicArea& ek, HashAlg hash,
                                    RandomSource& rng) {
  const TPM2_ECC_CURVE curve = ek.tpmt.parameters.eccDetail.curveID;
  const size_t coord = EccCoordinateSize(curve);
  const TPMS_ECC_POINT& q = ek.tpmt.unique.ecc;
  if (q.x.size == 0 || q.x.size > coord || q.y.size == 0 || q.y.size > coord) {
    return RejectEk("ECC point coordinates do not fit the curve");
  }
  std::unique_ptr<EC_GROUP, GroupDeleter> group(
      EC_GROUP_new_by_curve_name(CurveNid(curve)));
  std::unique_ptr<BN_CTX, BnCtxDeleter> bn_ctx(BN_CTX_new());
  if (group == nullptr || bn_ctx == nullptr) return Internal("EC setup failed");
  BnPtr ek_x(BN_bin2bn(q.x.buffer, q.x.size, nullptr));
  BnPtr ek_y(BN_bin2bn(q.y.buffer, q.y.size, nullptr));
  PointPtr ek_point(EC_POINT_new(group.get()));
  if (ek_x == nullptr || ek_y == nullptr || ek_point == nullptr) {
    return Internal("EC setup failed");
  }
  if (EC_POINT_set_affine_coordinates(group.get(), ek_point.get(), ek_x.get(),
                                      ek_y.get(), bn_ctx.get()) != 1 ||
      EC_POINT_is_on_curve(group.get(), ek_point.get(), bn_ctx.get()) != 1) {
    ERR_clear_error();
    return RejectEk("ECC public point is not on the curve");
  }

  // Ephemeral scalar d in [1, n-1] by rejection sampling from `rng`.
  const BIGNUM* order = EC_GROUP_get0_order(group.get());
  const int order_bits = BN_num_bits(order);
  Bytes buf(static_cast<size_t>((order_bits + 7) / 8));
  BnPtr d;
  for (int attempt = 0; attempt < 64 && d == nullptr; ++attempt) {
    RETURN_IF_ERROR(rng.Fill(absl::MakeSpan(buf)));
    if (order_bits % 8 != 0) buf[0] &= static_cast<uint8_t>((1u << (order_bits % 8)) - 1);
    BnPtr cand(BN_bin2bn(buf.data(), static_cast<int>(buf.size()), nullptr));
    if (cand == nullptr) return Internal("BN_bin2bn failed");
    if (!BN_is_zero(cand.get()) && BN_cmp(cand.get(), order) < 0) {
      d = std::move(cand);
    }
  }
  std::fill(buf.begin(), buf.end(), 0);
  if (d == nullptr) return Internal("random source gave no valid EC scalar");

  PointPtr qe(EC_POINT_new(group.get()));
  PointPtr z_point(EC_POINT_new(group.get()));
  BnPtr qe_x(BN_new()), qe_y(BN_new()), z_x(BN_new());
  if (qe == nullptr || z_point == nullptr || qe_x == nullptr ||
      qe_y == nullptr || z_x == nullptr ||
      EC_POINT_mul(group.get(), qe.get(), d.get(), nullptr, nullptr,
                   bn_ctx.get()) != 1 ||
      EC_POINT_mul(group.get(), z_point.get(), nullptr, ek_point.get(), d.get(),
                   bn_ctx.get()) != 1 ||
      EC_POINT_is_at_infinity(group.get(), z_point.get()) ||
      EC_POINT_get_affine_coordinates(group.get(), qe.get(), qe_x.get(),
                                      qe_y.get(), bn_ctx.get()) != 1 ||
      EC_POINT_get_affine_coordinates(group.get(), z_point.get(), z_x.get(),
                                      nullptr, bn_ctx.get()) != 1) {
    return Internal("ECDH failed");
  }
  Bytes ex(coord), ey(coord), z(coord);
  const int c = static_cast<int>(coord);
  if (BN_bn2binpad(qe_x.get(), ex.data(), c) != c ||
      BN_bn2binpad(qe_y.get(), ey.data(), c) != c ||
      BN_bn2binpad(z_x.get(), z.data(), c) != c) {
    return Internal("EC point encoding failed");
  }
  EcdhResult out;
  ASSIGN_OR_RETURN(
      out.seed, KdfE(hash, z, kIdentityLabel, ex,
                     absl::MakeConstSpan(q.x.buffer, q.x.size),
                     static_cast<uint32_t>(DigestSize(hash) * 8)));
  std::fill(z.begin(), z.end(), 0);
  PutU16(coord, &out.ephemeral_point);
  out.ephemeral_point.insert(out.ephemeral_point.end(), ex.begin(), ex.end());
  PutU16(coord, &out.ephemeral_point);
  out.ephemeral_point.insert(out.ephemeral_point.end(), ey.begin(), ey.end());
  return out;
}

absl::StatusOr<Bytes> AesCfbEncrypt(absl::Span<const uint8_t> key,
                                    absl::Span<const uint8_t> plain) {
  const std::string name = absl::StrCat("AES-", key.size() * 8, "-CFB");
  std::unique_ptr<EVP_CIPHER, CipherDeleter> cipher(
      EVP_CIPHER_fetch(nullptr, name.c_str(), nullptr));
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  const uint8_t iv[16] = {};
  Bytes out(plain.size() + 16);
  int len = 0, fin = 0;
  if (cipher == nullptr || ctx == nullptr ||
      EVP_EncryptInit_ex2(ctx.get(), cipher.get(), key.data(), iv, nullptr) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, plain.data(),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1) {
    return Internal(absl::StrCat(name, " encryption failed"));
  }
  out.resize(static_cast<size_t>(len + fin));
  return out;
}

absl::Status CheckName(absl::Span<const uint8_t> name) {
  if (name.size() >= 2) {
    std::optional<HashAlg> alg =
        HashAlgFromId(static_cast<uint16_t>((name[0] << 8) | name[1]));
    if (alg.has_value() && name.size() == 2 + DigestSize(*alg)) {
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      "make credential: object name is not nameAlg || digest");
}

}  // namespace

absl::StatusOr<CredentialBlob> MakeCredential(
    const PublicArea& ek, absl::Span<const uint8_t> ak_name,
    absl::Span<const uint8_t> credential, RandomSource& rng) {
  ASSIGN_OR_RETURN(const uint32_t sym_bits, CheckEk(ek.tpmt));
  ASSIGN_OR_RETURN(const HashAlg hash, NameAlg(ek));
  RETURN_IF_ERROR(CheckName(ak_name));
  const size_t h = DigestSize(hash);
  if (credential.empty() || credential.size() > h) {
    return absl::InvalidArgumentError(absl::StrCat(
        "make credential: credential of ", credential.size(),
        " bytes; want 1..", h, " (the EK nameAlg digest size)"));
  }

  Bytes seed;
  Bytes secret;
  if (ek.tpmt.type == TPM2_ALG_RSA) {
    seed.resize(h);
    RETURN_IF_ERROR(rng.Fill(absl::MakeSpan(seed)));
    ASSIGN_OR_RETURN(secret,
                     RsaOaepEncrypt(ek, hash, seed, kIdentityLabel, rng));
  } else {
    ASSIGN_OR_RETURN(EcdhResult r, EcdhSeed(ek, hash, rng));
    seed = std::move(r.seed);
    secret = std::move(r.ephemeral_point);
  }

  ASSIGN_OR_RETURN(Bytes sym_key,
                   KdfA(hash, seed, kStorageLabel, ak_name, {}, sym_bits));
  ASSIGN_OR_RETURN(Bytes enc_identity, AesCfbEncrypt(sym_key, Tpm2b(credential)));
  ASSIGN_OR_RETURN(Bytes hmac_key,
                   KdfA(hash, seed, kIntegrityLabel, {}, {},
                        static_cast<uint32_t>(h * 8)));
  ASSIGN_OR_RETURN(Bytes outer_hmac,
                   TpmHmac(hash, hmac_key, {enc_identity, ak_name}));
  std::fill(seed.begin(), seed.end(), 0);
  std::fill(sym_key.begin(), sym_key.end(), 0);
  std::fill(hmac_key.begin(), hmac_key.end(), 0);

  Bytes id_body = Tpm2b(outer_hmac);
  id_body.insert(id_body.end(), enc_identity.begin(), enc_identity.end());
  CredentialBlob blob;
  blob.id_object = Tpm2b(id_body);
  blob.encrypted_secret = Tpm2b(secret);
  return blob;
}

}  // namespace vigil::tpm
