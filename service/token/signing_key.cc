#include "service/token/signing_key.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"
#include "service/token/internal/openssl_util.h"
#include "service/token/x509_certificate.h"

namespace vigil::token {

using internal::EvpPkeyPtr;
using internal::OpenSslError;

struct SigningKey::State {
  EvpPkeyPtr key;
  // internal::NewSignTemplate(alg, key), shared by the copies that add a
  // certificate chain: each signature copies it. Null when OpenSSL cannot
  // set it up or copy it (OpenSSL 3.0.0 cannot copy a signing context):
  // then each signature sets up its own, as SignJws does.
  std::shared_ptr<const EVP_MD_CTX> sign_template;
  JwsAlgorithm alg;
  std::string kid;
  std::string spki;
  std::vector<std::string> chain;
};

namespace {

// A key file is small; anything larger is not a key and is not read whole.
constexpr std::streamsize kMaxPemFileSize = 1 << 20;

using BioPtr = std::unique_ptr<BIO, internal::OpenSslFree>;

// Refuses to ask for a passphrase: OpenSSL's default callback would prompt
// on the terminal of a daemon.
int NoPassphrase(char*, int, int, void*) { return -1; }

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  }
  std::string text;
  text.resize(kMaxPemFileSize + 1);
  in.read(text.data(), kMaxPemFileSize + 1);
  if (in.bad()) return absl::InternalError(absl::StrCat(path, ": read error"));
  if (in.gcount() > kMaxPemFileSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than ", kMaxPemFileSize, " bytes"));
  }
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

BioPtr MemBio(absl::string_view data) {
  if (data.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return nullptr;
  }
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

}  // namespace

absl::StatusOr<SigningKey> SigningKey::FromOwnedKey(EVP_PKEY* raw) {
  EvpPkeyPtr key(raw);
  ASSIGN_OR_RETURN(const JwsAlgorithm alg,
                   internal::AlgorithmForKey(key.get()));
  auto state = std::make_shared<State>();
  ASSIGN_OR_RETURN(state->spki, internal::SubjectPublicKeyInfoDer(key.get()));
  state->kid = Base64UrlEncode(internal::Sha256(AsBytes(state->spki)));
  state->alg = alg;
  state->sign_template = internal::NewSignTemplate(alg, key.get());
  state->key = std::move(key);
  return SigningKey(std::move(state));
}

absl::StatusOr<SigningKey> SigningKey::Generate(JwsAlgorithm alg,
                                                int rsa_bits) {
  EVP_PKEY* key = nullptr;
  if (alg == JwsAlgorithm::kEs256) {
    key = EVP_EC_gen("P-256");
  } else {
    if (rsa_bits < internal::kMinRsaBits || rsa_bits > internal::kMaxRsaBits) {
      return absl::InvalidArgumentError(
          absl::StrCat("RSA key size ", rsa_bits, " is not supported; want ",
                       internal::kMinRsaBits, " to ", internal::kMaxRsaBits));
    }
    key = EVP_RSA_gen(static_cast<unsigned int>(rsa_bits));
  }
  if (key == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "key generation failed");
  }
  return FromOwnedKey(key);
}

absl::StatusOr<SigningKey> SigningKey::ParsePem(absl::string_view pem) {
  BioPtr bio = MemBio(pem);
  if (bio == nullptr) return absl::InvalidArgumentError("PEM too large");
  EVP_PKEY* key =
      PEM_read_bio_PrivateKey(bio.get(), nullptr, &NoPassphrase, nullptr);
  if (key == nullptr) {
    const bool encrypted = pem.find("ENCRYPTED") != absl::string_view::npos;
    return OpenSslError(
        absl::StatusCode::kInvalidArgument,
        encrypted ? "encrypted private keys are not supported; decrypt it "
                    "into a file only the service user can read"
                  : "not a PEM private key (want PKCS#8 \"PRIVATE KEY\" or "
                    "\"EC PRIVATE KEY\" / \"RSA PRIVATE KEY\")");
  }
  return FromOwnedKey(key);
}

absl::StatusOr<SigningKey> SigningKey::LoadPemFile(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string pem, ReadSmallFile(path));
  absl::StatusOr<SigningKey> key = ParsePem(pem);
  if (!key.ok()) return ::vigil::internal::Annotate(key.status(), path);
  return key;
}

absl::StatusOr<SigningKey> SigningKey::WithCertificateChain(
    std::vector<std::string> der_chain) const {
  if (der_chain.empty()) {
    return absl::InvalidArgumentError("certificate chain is empty");
  }
  for (size_t i = 0; i < der_chain.size(); ++i) {
    absl::StatusOr<X509Certificate> cert =
        X509Certificate::ParseDer(der_chain[i]);
    if (!cert.ok()) {
      return ::vigil::internal::Annotate(cert.status(),
                                         absl::StrCat("certificate ", i));
    }
    if (i == 0 && EVP_PKEY_eq(cert->public_key(), state_->key.get()) != 1) {
      return OpenSslError(absl::StatusCode::kInvalidArgument,
                          "certificate 0 (the leaf) is not for this key");
    }
  }
  auto state = std::make_shared<State>();
  // EVP_PKEY is reference counted; the copy shares the key.
  if (EVP_PKEY_up_ref(state_->key.get()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_PKEY_up_ref failed");
  }
  state->key.reset(state_->key.get());
  state->sign_template = state_->sign_template;
  state->alg = state_->alg;
  state->kid = state_->kid;
  state->spki = state_->spki;
  state->chain = std::move(der_chain);
  return SigningKey(std::move(state));
}

absl::StatusOr<SigningKey> SigningKey::WithCertificateChainPem(
    absl::string_view pem) const {
  ASSIGN_OR_RETURN(std::vector<X509Certificate> certs,
                   X509Certificate::ParsePem(pem));
  std::vector<std::string> chain;
  for (const X509Certificate& cert : certs) chain.push_back(cert.der());
  return WithCertificateChain(std::move(chain));
}

absl::StatusOr<SigningKey> SigningKey::WithCertificateChainPemFile(
    const std::string& path) const {
  ASSIGN_OR_RETURN(const std::string pem, ReadSmallFile(path));
  absl::StatusOr<SigningKey> key = WithCertificateChainPem(pem);
  if (!key.ok()) return ::vigil::internal::Annotate(key.status(), path);
  return key;
}

JwsAlgorithm SigningKey::algorithm() const { return state_->alg; }
const std::string& SigningKey::kid() const { return state_->kid; }
const std::string& SigningKey::public_key_der() const { return state_->spki; }
absl::Span<const std::string> SigningKey::certificate_chain() const {
  return state_->chain;
}

absl::StatusOr<std::string> SigningKey::Sign(
    absl::string_view signing_input) const {
  if (state_->sign_template == nullptr) {
    return internal::SignJws(state_->alg, state_->key.get(), signing_input);
  }
  return internal::SignJwsFrom(state_->alg, *state_->sign_template,
                               signing_input);
}

absl::StatusOr<std::string> SigningKey::ExportPkcs8PemSecret() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), state_->key.get(), nullptr,
                                    nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "cannot encode the key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace vigil::token
