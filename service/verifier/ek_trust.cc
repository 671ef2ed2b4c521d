#include "service/verifier/ek_trust.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <tss2/tss2_tpm2_types.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"

namespace vigil::service {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};

std::string OneLineName(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, len > 0 ? static_cast<size_t>(len) : 0);
  BIO_free(bio);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> SpkiSha256(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0) {
    ERR_clear_error();
    return absl::InvalidArgumentError("public key: cannot encode as DER");
  }
  std::vector<uint8_t> digest(SHA256_DIGEST_LENGTH);
  SHA256(der, static_cast<size_t>(len), digest.data());
  OPENSSL_free(der);
  return digest;
}

// Adds every certificate in `pem` to `store`; returns how many.
absl::StatusOr<size_t> AddPem(X509_STORE* store, absl::string_view pem,
                              absl::string_view what) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return absl::InternalError("OpenSSL: BIO_new_mem_buf");
  size_t n = 0;
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
    if (cert == nullptr) break;
    if (X509_STORE_add_cert(store, cert.get()) != 1) {
      // Duplicates are harmless; anything else is not.
      unsigned long err = ERR_peek_last_error();
      if (ERR_GET_REASON(err) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
        BIO_free(bio);
        ERR_clear_error();
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": certificate ", n + 1, " cannot be added"));
      }
    }
    ++n;
  }
  // PEM_read_bio_X509 ends with "no start line" at the end of input; any
  // other error means a malformed certificate.
  unsigned long err = ERR_peek_last_error();
  BIO_free(bio);
  if (err != 0 && !(ERR_GET_LIB(err) == ERR_LIB_PEM &&
                    ERR_GET_REASON(err) == PEM_R_NO_START_LINE)) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": certificate ", n + 1, " is not valid PEM"));
  }
  ERR_clear_error();
  return n;
}

std::shared_ptr<X509_STORE> NewStore() {
  return std::shared_ptr<X509_STORE>(X509_STORE_new(), X509_STORE_free);
}

absl::StatusOr<X509Ptr> ParseDer(absl::Span<const uint8_t> der,
                                 absl::string_view what) {
  const uint8_t* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr || p != der.data() + der.size()) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": not a DER X.509 certificate"));
  }
  return cert;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> PublicKeySha256(
    const tpm::PublicArea& area) {
  ASSIGN_OR_RETURN(tpm::EvpPkeyPtr key, tpm::PublicKeyFromArea(area));
  return SpkiSha256(key.get());
}

absl::StatusOr<std::string> DeviceIdForEk(const tpm::PublicArea& ek) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> digest, PublicKeySha256(ek));
  return HexEncode(digest);
}

absl::StatusOr<std::vector<std::filesystem::path>> EkTrustBundleFiles(
    const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::NotFoundError(
        absl::StrCat("EK trust bundle: ", dir, " is not a directory"));
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() &&
        (ext == ".pem" || ext == ".crt" || ext == ".cer")) {
      files.push_back(entry.path());
    }
  }
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("EK trust bundle: ", dir, ": ", ec.message()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

absl::StatusOr<EkTrustStore> EkTrustStore::LoadDirectory(
    const std::string& dir) {
  ASSIGN_OR_RETURN(std::vector<std::filesystem::path> files,
                   EkTrustBundleFiles(dir));
  std::shared_ptr<X509_STORE> store = NewStore();
  if (store == nullptr) return absl::InternalError("OpenSSL: X509_STORE_new");
  size_t total = 0;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string bytes = buf.str();
    if (!in.good() && !in.eof()) {
      return absl::InvalidArgumentError(
          absl::StrCat("EK trust bundle: ", path.string(), ": unreadable"));
    }
    if (absl::StrContains(bytes, "-----BEGIN")) {
      ASSIGN_OR_RETURN(
          size_t n, AddPem(store.get(), bytes,
                           absl::StrCat("EK trust bundle: ", path.string())));
      total += n;
    } else {
      // Vendors publish roots as DER .cer/.crt files.
      ASSIGN_OR_RETURN(X509Ptr cert, ParseDer(AsBytes(bytes),
                                              absl::StrCat("EK trust bundle: ",
                                                           path.string())));
      X509_STORE_add_cert(store.get(), cert.get());
      ERR_clear_error();
      ++total;
    }
  }
  if (total == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("EK trust bundle: ", dir,
                     " holds no certificate (*.pem, *.crt, *.cer)"));
  }
  return EkTrustStore(std::move(store), total);
}

absl::StatusOr<EkTrustStore> EkTrustStore::FromPem(absl::string_view pem) {
  std::shared_ptr<X509_STORE> store = NewStore();
  if (store == nullptr) return absl::InternalError("OpenSSL: X509_STORE_new");
  ASSIGN_OR_RETURN(size_t n, AddPem(store.get(), pem, "EK trust bundle"));
  if (n == 0) {
    return absl::FailedPreconditionError("EK trust bundle: no certificate");
  }
  return EkTrustStore(std::move(store), n);
}

absl::StatusOr<TrustedEk> EkTrustStore::Verify(
    absl::Span<const std::vector<uint8_t>> certificates,
    absl::Span<const uint8_t> ek_public, absl::Time now,
    const EkVerifyOptions& options) const {
  absl::StatusOr<tpm::PublicArea> ek = tpm::ParseTpm2bPublic(ek_public);
  if (!ek.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("EK public area: ", ek.status().message()));
  }
  // MakeCredential needs a storage key: restricted + decrypt (Part 1 §24).
  const TPMA_OBJECT attrs = ek->tpmt.objectAttributes;
  if ((attrs & TPMA_OBJECT_RESTRICTED) == 0 ||
      (attrs & TPMA_OBJECT_DECRYPT) == 0 ||
      (attrs & TPMA_OBJECT_SIGN_ENCRYPT)) {
    return absl::InvalidArgumentError(
        "EK public area: not a restricted decryption key (an EK is a storage "
        "key; TCG EK Credential Profile §2.1.5)");
  }
  ASSIGN_OR_RETURN(tpm::EvpPkeyPtr ek_key, tpm::PublicKeyFromArea(*ek));
  TrustedEk out;
  out.public_area = *std::move(ek);
  ASSIGN_OR_RETURN(std::vector<uint8_t> ek_digest, SpkiSha256(ek_key.get()));
  out.device_id = HexEncode(ek_digest);
  if (certificates.empty()) {
    if (!options.allow_uncertified) {
      return absl::FailedPreconditionError(
          "EK has no certificate and this verifier requires one "
          "(allow_uncertified_ek is off)");
    }
    out.certified = false;
    return out;
  }
  ASSIGN_OR_RETURN(X509Ptr leaf, ParseDer(certificates[0], "EK certificate"));
  std::unique_ptr<STACK_OF(X509), StackFree> chain(sk_X509_new_null());
  if (chain == nullptr) return absl::InternalError("OpenSSL: sk_X509_new_null");
  for (size_t i = 1; i < certificates.size(); ++i) {
    ASSIGN_OR_RETURN(X509Ptr c,
                     ParseDer(certificates[i],
                              absl::StrCat("EK certificate chain [", i, "]")));
    sk_X509_push(chain.get(), c.release());
  }
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (ctx == nullptr || X509_STORE_CTX_init(ctx.get(), store_.get(), leaf.get(),
                                            chain.get()) != 1) {
    return absl::InternalError("OpenSSL: X509_STORE_CTX_init");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // Not X509_V_FLAG_X509_STRICT: shipped EK certificates often break
  // RFC 5280 details (non-critical basicConstraints on vendor CAs, missing
  // key identifiers) that do not weaken the chain's signatures.
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(now));
  // TCG EK certificates are not TLS certificates: no purpose check, and
  // their critical subjectAltName directoryName (TPM manufacturer, model,
  // version; EK Credential Profile §3.2.9) is understood by OpenSSL.
  const int ok = X509_verify_cert(ctx.get());
  if (ok != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return absl::UnauthenticatedError(
        absl::StrCat("EK certificate does not chain to the trust bundle: ",
                     X509_verify_cert_error_string(err), " (issuer ",
                     OneLineName(X509_get_issuer_name(leaf.get())), ")"));
  }
  EVP_PKEY* cert_key = X509_get0_pubkey(leaf.get());
  if (cert_key == nullptr || EVP_PKEY_eq(cert_key, ek_key.get()) != 1) {
    ERR_clear_error();
    return absl::UnauthenticatedError(
        "EK public area does not hold the EK certificate's key (the "
        "certificate belongs to another TPM or key)");
  }
  out.certified = true;
  out.issuer = OneLineName(X509_get_issuer_name(leaf.get()));
  return out;
}

}  // namespace vigil::service
