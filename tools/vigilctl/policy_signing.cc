#include "tools/vigilctl/policy_signing.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "service/control/jws_writer.h"
#include "service/token/x509_certificate.h"

namespace vigil::vigilctl {
namespace {

absl::Status Prefixed(absl::string_view prefix, const absl::Status& status) {
  return absl::InvalidArgumentError(
      absl::StrCat(prefix, ": ", status.message()));
}

bool IsBase64UrlSegment(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<token::SigningKey> LoadPolicySigner(
    const std::string& key_path, const std::string& cert_path) {
  absl::StatusOr<std::string> key_pem = ReadInputFile(key_path);
  if (!key_pem.ok()) return Prefixed("--key", key_pem.status());
  absl::StatusOr<token::SigningKey> key = token::SigningKey::ParsePem(*key_pem);
  if (!key.ok()) {
    return Prefixed(absl::StrCat("--key ", key_path), key.status());
  }
  absl::StatusOr<std::string> chain_pem = ReadInputFile(cert_path);
  if (!chain_pem.ok()) return Prefixed("--cert", chain_pem.status());
  absl::StatusOr<token::SigningKey> with_chain =
      key->WithCertificateChainPem(*chain_pem);
  if (!with_chain.ok()) {
    return Prefixed(absl::StrCat("--cert ", cert_path), with_chain.status());
  }
  return with_chain;
}

absl::StatusOr<std::optional<token::SigningKey>> SignerFromFlags(
    const ParsedArgs& args) {
  const std::optional<std::string> key = args.Value("key");
  const std::optional<std::string> cert = args.Value("cert");
  if (!key.has_value() && !cert.has_value()) {
    return std::optional<token::SigningKey>();
  }
  if (!cert.has_value()) {
    return absl::InvalidArgumentError(
        "--key needs --cert (the signer's certificate chain, PEM, leaf "
        "first)");
  }
  if (!key.has_value()) {
    return absl::InvalidArgumentError(
        "--cert needs --key (the signer's private key, PEM)");
  }
  absl::StatusOr<token::SigningKey> signer = LoadPolicySigner(*key, *cert);
  if (!signer.ok()) return signer.status();
  return std::optional<token::SigningKey>(*std::move(signer));
}

bool IsCompactJws(absl::string_view text) {
  const std::vector<absl::string_view> parts =
      absl::StrSplit(absl::StripAsciiWhitespace(text), '.');
  return parts.size() == 3 && !parts[0].empty() &&
         IsBase64UrlSegment(parts[0]) && IsBase64UrlSegment(parts[1]) &&
         IsBase64UrlSegment(parts[2]);
}

absl::StatusOr<std::string> MakePolicyJws(
    absl::string_view text, const std::optional<token::SigningKey>& signer) {
  return signer.has_value() ? control::MakeSignedPolicyJws(text, *signer)
                            : control::MakeUnsignedPolicyJws(text);
}

absl::StatusOr<std::string> MakeResetJws(
    const std::optional<token::SigningKey>& signer) {
  if (!signer.has_value()) return control::MakeUnsignedResetJws();
  return control::MakeSignedResetJws(*signer);
}

absl::StatusOr<std::string> PolicyJwsFromFile(
    const std::string& path, const std::optional<token::SigningKey>& signer) {
  absl::StatusOr<std::string> content = ReadInputFile(path);
  if (!content.ok()) return content.status();
  if (IsCompactJws(*content)) {
    if (signer.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": holds a JWS already; --key/--cert sign policy text only"));
    }
    return std::string(absl::StripAsciiWhitespace(*content));
  }
  absl::StatusOr<std::string> jws = MakePolicyJws(*content, signer);
  if (!jws.ok()) return Prefixed(path, jws.status());
  return jws;
}

absl::StatusOr<std::string> CertificateChangeJwsFromFile(
    const std::string& cert_path, const token::SigningKey& signer) {
  absl::StatusOr<std::string> bytes = ReadInputFile(cert_path);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<std::vector<token::X509Certificate>> certs =
      token::X509Certificate::ParsePem(*bytes);
  if (!certs.ok()) {
    absl::StatusOr<token::X509Certificate> der =
        token::X509Certificate::ParseDer(*bytes);
    if (!der.ok()) return Prefixed(cert_path, certs.status());
    certs = std::vector<token::X509Certificate>{*std::move(der)};
  }
  if (certs->size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_path, ": holds ", certs->size(),
                     " certificates; a change adds or removes exactly one"));
  }
  absl::StatusOr<std::string> jws =
      control::MakeCertificateChangeJws(certs->front(), signer);
  if (!jws.ok()) return Prefixed(cert_path, jws.status());
  return jws;
}

absl::StatusOr<std::string> CertificateChangeFromArgs(absl::string_view command,
                                                      const ParsedArgs& args) {
  if (args.positional.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(command,
                     ": want exactly one CERT.pem (the certificate to add or "
                     "remove)"));
  }
  const std::optional<std::string> key = args.Value("key");
  const std::optional<std::string> cert = args.Value("cert");
  if (!key.has_value() || !cert.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(command, ": ", key.has_value() ? "--cert" : "--key",
                     " is required (a change is signed by a policy-management "
                     "certificate)"));
  }
  absl::StatusOr<token::SigningKey> signer = LoadPolicySigner(*key, *cert);
  if (!signer.ok()) return signer.status();
  return CertificateChangeJwsFromFile(args.positional[0], *signer);
}

}  // namespace vigil::vigilctl
