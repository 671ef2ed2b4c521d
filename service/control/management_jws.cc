#include "service/control/management_jws.h"

#include <openssl/sha.h>

#include <array>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"
#include "service/control/certificate_jwk.h"

namespace vigil::control {
namespace {

using token::Json;
using token::JwsAlgorithm;
using token::X509Certificate;

absl::Status Invalid(absl::string_view part, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(part, ": ", what));
}

// "alg" values accepted for policy management, case-sensitive (RFC 7515
// §4.1.1). The aliases are the names Azure's SDKs emit (maa-spec §5.1).
struct AlgName {
  absl::string_view name;
  std::optional<JwsAlgorithm> alg;
};
constexpr AlgName kAlgNames[] = {
    {"none", std::nullopt},
    {"RS256", JwsAlgorithm::kRs256},
    {"ES256", JwsAlgorithm::kEs256},
    {"RSA256", JwsAlgorithm::kRs256},   // Python SDK, MAA docs' examples
    {"ECDH256", JwsAlgorithm::kEs256},  // Python SDK for EC keys
};

absl::StatusOr<std::optional<JwsAlgorithm>> MapAlg(absl::string_view alg) {
  for (const AlgName& a : kAlgNames) {
    if (a.name == alg) return a.alg;
  }
  return Invalid("header",
                 absl::StrCat("alg ", token::DumpJson(std::string(alg)),
                              " is not accepted for policy management (want "
                              "\"none\", \"RS256\" or \"ES256\"; \"RSA256\" "
                              "and \"ECDH256\" are read as RS256 and ES256)"));
}

// An "x5c" array (RFC 7515 §4.1.6): standard base64 DER certificates.
absl::StatusOr<std::vector<X509Certificate>> ReadX5c(const Json& x5c,
                                                     absl::string_view name) {
  if (!x5c.is_array() || x5c.empty()) {
    return Invalid("header", absl::StrCat(name,
                                          ": not a non-empty array of "
                                          "certificates (RFC 7515 §4.1.6)"));
  }
  if (x5c.size() > kMaxX5cCertificates) {
    return Invalid(
        "header", absl::StrCat(name, ": ", x5c.size(),
                               " certificates, at most ", kMaxX5cCertificates));
  }
  std::vector<X509Certificate> out;
  for (size_t i = 0; i < x5c.size(); ++i) {
    absl::StatusOr<X509Certificate> cert = CertificateFromX5c(x5c[i]);
    if (!cert.ok()) {
      return Invalid(
          "header", absl::StrCat(name, "[", i, "]: ", cert.status().message()));
    }
    out.push_back(*std::move(cert));
  }
  return out;
}

bool SameChain(absl::Span<const X509Certificate> a,
               absl::Span<const X509Certificate> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].der() != b[i].der()) return false;
  }
  return true;
}

// The certificates of "x5c" or "jwk"."x5c" (both: they must agree), and the
// member they came from; nullopt when the header names no key.
absl::Status ReadSignerCertificates(const Json& header,
                                    UntrustedManagementJws* out) {
  std::optional<std::vector<X509Certificate>> from_x5c;
  std::optional<std::vector<X509Certificate>> from_jwk;
  if (auto it = header.find("x5c"); it != header.end()) {
    ASSIGN_OR_RETURN(from_x5c, ReadX5c(*it, "x5c"));
  }
  if (auto jwk = header.find("jwk"); jwk != header.end()) {
    if (!jwk->is_object()) {
      return Invalid("header", "jwk: not a JSON object (RFC 7515 §4.1.3)");
    }
    auto x5c = jwk->find("x5c");
    if (x5c == jwk->end()) {
      return Invalid("header",
                     "jwk: policy signing key is not an X.509 certificate (a "
                     "\"jwk\" without \"x5c\" is a raw key; Azure Attestation "
                     "refuses it too)");
    }
    ASSIGN_OR_RETURN(from_jwk, ReadX5c(*x5c, "jwk.x5c"));
  }
  if (from_x5c.has_value() && from_jwk.has_value() &&
      !SameChain(*from_x5c, *from_jwk)) {
    return Invalid("header",
                   "x5c and jwk.x5c name different certificates; send one");
  }
  if (from_x5c.has_value()) {
    out->untrusted_x5c = *std::move(from_x5c);
    out->x5c_member = "x5c";
  } else if (from_jwk.has_value()) {
    out->untrusted_x5c = *std::move(from_jwk);
    out->x5c_member = "jwk.x5c";
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view UntrustedManagementJws::signing_input() const {
  const absl::string_view all(compact);
  return all.substr(0, all.rfind('.'));
}

absl::StatusOr<UntrustedManagementJws> ParseManagementJws(
    absl::string_view jws) {
  ASSIGN_OR_RETURN(
      const token::CompactJwsSegments segments,
      token::SplitCompactJws(jws, {}, {.payload = true, .signature = true}));
  UntrustedManagementJws out;
  ASSIGN_OR_RETURN(out.header, token::DecodeJwsHeader(segments.header));
  if (!out.header.crit.empty()) {
    return Invalid("header",
                   "\"crit\" is not supported (RFC 7515 §4.1.11: no "
                   "extension is understood here)");
  }
  ASSIGN_OR_RETURN(out.algorithm, MapAlg(out.header.alg));
  RETURN_IF_ERROR(ReadSignerCertificates(out.header.json, &out));
  if (!out.algorithm.has_value()) {
    if (!out.x5c_member.empty() || out.header.json.contains("jwk")) {
      return Invalid(
          "header",
          absl::StrCat("alg \"none\" with a signing key (",
                       out.header.json.contains("x5c") ? "\"x5c\"" : "\"jwk\"",
                       "); an unsigned document names no "
                       "signer"));
    }
    if (!segments.signature.empty()) {
      return Invalid("signature",
                     absl::StrCat("alg \"none\" requires an empty signature "
                                  "(RFC 7518 §3.6), got ",
                                  segments.signature.size(), " characters"));
    }
  } else {
    if (out.untrusted_x5c.empty()) {
      return Invalid("header",
                     absl::StrCat("alg \"", out.header.alg,
                                  "\" without a certificate: \"x5c\" or "
                                  "\"jwk\".\"x5c\" is required (maa-spec "
                                  "§5.1)"));
    }
    if (segments.signature.empty()) {
      return Invalid(
          "signature",
          absl::StrCat("empty, but alg \"", out.header.alg, "\" requires one"));
    }
    ASSIGN_OR_RETURN(out.signature,
                     token::DecodeJwsSignature(segments.signature));
  }
  if (!segments.payload.empty()) {
    ASSIGN_OR_RETURN(out.untrusted_claims,
                     token::DecodeJwtClaims(segments.payload));
  }
  out.compact = std::string(jws);
  return out;
}

absl::StatusOr<VerifiedManagementJws> VerifyManagementJws(
    UntrustedManagementJws jws) {
  VerifiedManagementJws out;
  if (jws.algorithm.has_value()) {
    if (jws.untrusted_x5c.empty()) {  // only if not from ParseManagementJws
      return Invalid("header", "signed, but no certificate");
    }
    const X509Certificate& leaf = jws.untrusted_x5c.front();
    const std::string where = absl::StrCat(jws.x5c_member, "[0]");
    absl::StatusOr<JwsAlgorithm> key_alg = leaf.Algorithm();
    if (!key_alg.ok()) {
      return Invalid("header",
                     absl::StrCat(where, ": ", key_alg.status().message()));
    }
    if (*key_alg != *jws.algorithm) {
      return Invalid(
          "header",
          absl::StrCat("alg \"", jws.header.alg, "\" does not fit the ", where,
                       " certificate's ",
                       *key_alg == JwsAlgorithm::kEs256 ? "EC P-256" : "RSA",
                       " key (it verifies ", token::JwsAlgorithmName(*key_alg),
                       " only; RFC 8725 §3.1)"));
    }
    const absl::Status verified =
        leaf.VerifyJws(*jws.algorithm, jws.signing_input(), jws.signature);
    if (!verified.ok()) {
      if (verified.code() == absl::StatusCode::kInternal) return verified;
      return absl::InvalidArgumentError(absl::StrCat(
          verified.message(), " with the ", where, " certificate's key"));
    }
    out.signer_ = PolicySigner(std::move(jws.untrusted_x5c), *jws.algorithm);
  }
  out.claims_ = std::move(jws.untrusted_claims);
  out.token_hash_ = PolicyTokenHash(jws.compact);
  out.compact_ = std::move(jws.compact);
  return out;
}

absl::StatusOr<VerifiedManagementJws> DecodeManagementJws(
    absl::string_view jws) {
  ASSIGN_OR_RETURN(UntrustedManagementJws parsed, ParseManagementJws(jws));
  return VerifyManagementJws(std::move(parsed));
}

std::string PolicyTokenHash(absl::string_view jws) {
  std::array<uint8_t, SHA256_DIGEST_LENGTH> digest;
  SHA256(reinterpret_cast<const unsigned char*>(jws.data()), jws.size(),
         digest.data());
  return Base64UrlEncode(digest);
}

std::string PolicySigner::thumbprint() const {
  return CertificateThumbprint(leaf());
}

token::Json PolicySigner::Jwk() const {
  return CertificateJwk(algorithm_, certificates_);
}

}  // namespace vigil::control
