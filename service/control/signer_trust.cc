#include "service/control/signer_trust.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "service/control/certificate_jwk.h"

namespace vigil::control {
namespace {

// Leaf, intermediates from x5c, anchor: x5c holds at most kMaxX5cCertificates,
// plus the trusted anchor when it is not in x5c.
constexpr int kMaxChainDepth = static_cast<int>(kMaxX5cCertificates) + 1;

struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};

std::string SubjectOf(const X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "?";
  X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, len > 0 ? static_cast<size_t>(len) : 0);
  BIO_free(bio);
  return out.empty() ? "(empty subject)" : out;
}

// basicConstraints present with cA TRUE (RFC 5280 §4.2.1.9). OpenSSL's own
// X509_check_ca also counts v1 roots and keyCertSign without basicConstraints;
// maa-spec §5.3 asks for the extension.
bool HasCaTrue(X509* cert) {
  return (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
}

}  // namespace

absl::StatusOr<TrustedSigners> TrustedSigners::Create(
    std::vector<token::X509Certificate> certificates) {
  std::shared_ptr<X509_STORE> store(X509_STORE_new(), X509_STORE_free);
  if (store == nullptr) return absl::InternalError("OpenSSL: X509_STORE_new");
  std::vector<token::X509Certificate> kept;
  for (size_t i = 0; i < certificates.size(); ++i) {
    token::X509Certificate& cert = certificates[i];
    if (absl::StatusOr<token::JwsAlgorithm> alg = cert.Algorithm(); !alg.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "trusted certificate ", i, ": ", alg.status().message()));
    }
    bool duplicate = false;
    for (const token::X509Certificate& k : kept) {
      duplicate = duplicate || k.der() == cert.der();
    }
    if (duplicate) continue;
    if (X509_STORE_add_cert(store.get(), cert.native()) != 1) {
      ERR_clear_error();
      return absl::InternalError(
          absl::StrCat("OpenSSL: cannot add trusted certificate ", i));
    }
    kept.push_back(std::move(cert));
  }
  return TrustedSigners(std::move(kept), std::move(store));
}

absl::StatusOr<SignerTrust> TrustedSigners::Check(const PolicySigner& signer,
                                                  absl::Time now) const {
  SignerTrust out;
  const token::X509Certificate& leaf = signer.leaf();
  for (const token::X509Certificate& t : certificates_) {
    if (t.der() == leaf.der()) {
      out.trusted = true;
      out.pinned = true;
      out.thumbprint = CertificateThumbprint(t);
      return out;
    }
  }
  const std::string who = absl::StrCat(
      "signer ", SubjectOf(leaf.native()),
      " is not a trusted policy-management certificate and does not chain to "
      "one: ");
  if (certificates_.empty()) {
    out.reason = absl::StrCat(who, "no certificate is trusted");
    return out;
  }
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (untrusted == nullptr || ctx == nullptr) {
    return absl::InternalError("OpenSSL: out of memory");
  }
  for (size_t i = 1; i < signer.certificates().size(); ++i) {
    // The stack borrows; the certificates outlive ctx.
    if (sk_X509_push(untrusted.get(), signer.certificates()[i].native()) <= 0) {
      return absl::InternalError("OpenSSL: sk_X509_push");
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), store_.get(), leaf.native(),
                          untrusted.get()) != 1) {
    ERR_clear_error();
    return absl::InternalError("OpenSSL: X509_STORE_CTX_init");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(now));
  X509_VERIFY_PARAM_set_depth(param, kMaxChainDepth);
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    out.reason = absl::StrCat(who, X509_verify_cert_error_string(err));
    return out;
  }
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  const int n = chain == nullptr ? 0 : sk_X509_num(chain);
  if (n < 2) {  // the leaf alone would have been pinned above
    return absl::InternalError("OpenSSL: verified chain has no anchor");
  }
  for (int i = 1; i < n; ++i) {
    X509* issuer = sk_X509_value(chain, i);
    if (!HasCaTrue(issuer)) {
      out.reason = absl::StrCat(
          who, "issuer ", SubjectOf(issuer),
          " does not have basicConstraints CA=TRUE (maa-spec §5.3)");
      return out;
    }
  }
  X509* anchor = sk_X509_value(chain, n - 1);
  for (const token::X509Certificate& t : certificates_) {
    if (X509_cmp(t.native(), anchor) == 0) {
      out.trusted = true;
      out.thumbprint = CertificateThumbprint(t);
      return out;
    }
  }
  return absl::InternalError("OpenSSL: verified chain ends outside the store");
}

}  // namespace vigil::control
