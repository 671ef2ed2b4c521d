#include "service/token/x509_certificate.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/token/internal/openssl_util.h"

namespace vigil::token {
namespace {

using internal::OpenSslError;

// Refuses to ask for a passphrase (certificates never have one; OpenSSL's
// default callback would prompt on a terminal).
int NoPassphrase(char*, int, int, void*) { return -1; }

}  // namespace

absl::StatusOr<X509Certificate> X509Certificate::ParseDer(
    absl::string_view der) {
  if (der.empty() ||
      der.size() > static_cast<size_t>(std::numeric_limits<long>::max())) {
    return absl::InvalidArgumentError("not a DER X.509 certificate");
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* raw = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  std::shared_ptr<X509> cert(raw, X509_free);
  if (cert == nullptr ||
      p != reinterpret_cast<const unsigned char*>(der.data() + der.size())) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "not a DER X.509 certificate");
  }
  return X509Certificate(std::move(cert), std::string(der));
}

absl::StatusOr<std::vector<X509Certificate>> X509Certificate::ParsePem(
    absl::string_view pem) {
  if (pem.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return absl::InvalidArgumentError("PEM too large");
  }
  std::unique_ptr<BIO, internal::OpenSslFree> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "BIO_new_mem_buf failed");
  }
  std::vector<X509Certificate> out;
  while (true) {
    internal::X509Ptr cert(
        PEM_read_bio_X509(bio.get(), nullptr, &NoPassphrase, nullptr));
    if (cert == nullptr) break;
    absl::StatusOr<std::string> der =
        internal::ToDer(&i2d_X509, cert.get(), "a certificate");
    if (!der.ok()) return der.status();
    absl::StatusOr<X509Certificate> parsed = ParseDer(*der);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "certificate ", out.size() + 1, ": ", parsed.status().message()));
    }
    out.push_back(*std::move(parsed));
  }
  // PEM_read_bio_X509 ends with "no start line" at the end of the input; any
  // other error is a malformed block.
  const unsigned long err = ERR_peek_last_error();
  const bool clean_end =
      err == 0 || (ERR_GET_LIB(err) == ERR_LIB_PEM &&
                   ERR_GET_REASON(err) == PEM_R_NO_START_LINE);
  ERR_clear_error();
  if (!clean_end) {
    return absl::InvalidArgumentError(absl::StrCat(
        "certificate ", out.size() + 1, ": not a valid PEM certificate"));
  }
  if (out.empty()) {
    return absl::InvalidArgumentError("no PEM \"CERTIFICATE\" block");
  }
  return out;
}

const std::string& X509Certificate::der() const { return der_; }

EVP_PKEY* X509Certificate::public_key() const {
  return X509_get0_pubkey(cert_.get());
}

absl::StatusOr<JwsAlgorithm> X509Certificate::Algorithm() const {
  const EVP_PKEY* key = public_key();
  if (key == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "certificate has no usable public key");
  }
  return internal::AlgorithmForKey(key);
}

absl::Status X509Certificate::VerifyJws(JwsAlgorithm alg,
                                        absl::string_view signing_input,
                                        absl::string_view signature) const {
  absl::StatusOr<JwsAlgorithm> fits = Algorithm();
  if (!fits.ok()) return fits.status();
  if (*fits != alg) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alg ", JwsAlgorithmName(alg), " does not fit the certificate's ",
        *fits == JwsAlgorithm::kEs256 ? "EC P-256" : "RSA",
        " key (it verifies ", JwsAlgorithmName(*fits), " only)"));
  }
  return internal::VerifyJws(alg, public_key(), signing_input, signature);
}

}  // namespace vigil::token
