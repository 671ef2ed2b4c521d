// File: service/control/signer_trust.h
// -----------------------------------------------------------------------------
// Is the signer of a policy-management JWS one of the trusted
// policy-management certificates (Azure's Isolated mode, maa-spec §5.3)?
// A separate question from "did the signature verify" (management_jws.h).
//
//   ASSIGN_OR_RETURN(TrustedSigners trusted, TrustedSigners::Create(certs));
//   ASSIGN_OR_RETURN(SignerTrust t, trusted.Check(*doc.signer(), clock.Now()));
//   if (!t.trusted) return absl::PermissionDeniedError(t.reason);
//
// A signer is trusted when
//   (a) its leaf certificate IS a trusted certificate (same DER): "pinned".
//       Validity dates are NOT checked: the operator's pin is the trust
//       decision, and an expired pin would otherwise lock an isolated
//       verifier out of its own certificate management (adding a new
//       certificate must itself be signed by a trusted one). Azure's own
//       behaviour here is not documented [INF]; its sample signer
//       certificates are valid for one year.
//   (b) or its leaf chains to a trusted certificate, with the rest of the
//       header's x5c as untrusted intermediates (OpenSSL X509_verify_cert,
//       X509_V_FLAG_PARTIAL_CHAIN so any trusted certificate is an anchor,
//       not only self-signed roots). Here RFC 5280 path validation applies at
//       the injected `now`: every certificate of the path, the anchor too,
//       must be within its validity period, signatures must verify, and
//       every issuer in the path, the trusted anchor included, must carry
//       basicConstraints CA=TRUE: maa-spec §5.3's rule that a signer root
//       needs CA=true, applied where it matters, i.e. to certificates that
//       issue. A trusted certificate without CA=true can still sign itself,
//       by (a); it cannot vouch for others.
// The result names the trusted certificate that vouches (by thumbprint).

#ifndef VIGIL_SERVICE_CONTROL_SIGNER_TRUST_H_
#define VIGIL_SERVICE_CONTROL_SIGNER_TRUST_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "service/control/management_jws.h"
#include "service/token/x509_certificate.h"

typedef struct x509_store_st X509_STORE;

namespace vigil::control {

// The answer of TrustedSigners::Check: a fact, not an error.
struct SignerTrust {
  bool trusted = false;
  // How: the leaf itself is trusted (true), or its chain reaches a trusted
  // certificate (false). Meaningful when trusted.
  bool pinned = false;
  // Thumbprint (CertificateThumbprint) of the trusted certificate that
  // vouches: the leaf when pinned, the chain's anchor otherwise. Empty when
  // not trusted.
  std::string thumbprint;
  // Why not, one line, for audit and the caller's error message:
  // "signer CN=x is not a trusted policy-management certificate and does not
  // chain to one: certificate has expired". Empty when trusted.
  std::string reason;
};

// TrustedSigners: the trusted policy-management certificates. Immutable,
// copyable (the store is shared), thread-safe.
class TrustedSigners {
 public:
  // Create: a set of `certificates` (from the configuration or earlier
  // certificate changes; trusted by the caller). Each must have a key that
  // can sign policies (RS256/ES256, as CertificateJwk needs); duplicates are
  // kept once. An empty set trusts nobody. Fails with kInvalidArgument
  // "trusted certificate 2: ..." for an unusable key, kInternal if OpenSSL
  // fails.
  static absl::StatusOr<TrustedSigners> Create(
      std::vector<token::X509Certificate> certificates);

  // Check: whether `signer` is trusted at `now` (see the file comment). The
  // caller guarantees `now` comes from its injected clock. Fails only with
  // kInternal (OpenSSL out of memory); a "no" is SignerTrust{trusted=false}.
  absl::StatusOr<SignerTrust> Check(const PolicySigner& signer,
                                    absl::Time now) const;

  // The certificates, in the order given, duplicates removed.
  absl::Span<const token::X509Certificate> certificates() const {
    return certificates_;
  }

 private:
  TrustedSigners(std::vector<token::X509Certificate> certificates,
                 std::shared_ptr<X509_STORE> store)
      : certificates_(std::move(certificates)), store_(std::move(store)) {}

  std::vector<token::X509Certificate> certificates_;
  std::shared_ptr<X509_STORE> store_;
};

}  // namespace vigil::control

#endif  // VIGIL_SERVICE_CONTROL_SIGNER_TRUST_H_
