#include "service/admin/policy_archive.h"

#include <openssl/sha.h>

#include <array>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"
#include "service/auth/access.h"
#include "service/store/records.h"
#include "service/token/json.h"
#include "service/token/x509_certificate.h"

namespace vigil::service::admin {
namespace {

using token::Json;

std::string Sha256Hex(absl::string_view bytes) {
  std::array<uint8_t, SHA256_DIGEST_LENGTH> digest;
  SHA256(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
         digest.data());
  return HexEncode(digest);
}

absl::Status Wrong(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// Reads the member `key` of `object` (named `path` in errors).
class Fields {
 public:
  Fields(const Json& object, std::string path)
      : object_(object), path_(std::move(path)) {}

  std::string Path(absl::string_view key) const {
    return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", key);
  }

  absl::StatusOr<const Json*> Get(absl::string_view key,
                                  Json::value_t type) const {
    auto it = object_.find(std::string(key));
    if (it == object_.end()) return Wrong(Path(key), "missing");
    const bool ok = type == Json::value_t::number_integer
                        ? it->is_number_integer()
                        : it->type() == type;
    if (!ok) {
      const char* want = type == Json::value_t::string    ? "a string"
                         : type == Json::value_t::boolean ? "true or false"
                         : type == Json::value_t::array   ? "an array"
                         : type == Json::value_t::object  ? "an object"
                                                          : "an integer";
      return Wrong(Path(key), absl::StrCat("want ", want));
    }
    return &*it;
  }
  absl::StatusOr<std::string> String(absl::string_view key) const {
    ASSIGN_OR_RETURN(const Json* j, Get(key, Json::value_t::string));
    return j->get<std::string>();
  }
  // Optional strings are "" when absent.
  absl::StatusOr<std::string> OptionalString(absl::string_view key) const {
    if (!object_.contains(std::string(key))) return std::string();
    return String(key);
  }
  absl::StatusOr<int64_t> Int(absl::string_view key) const {
    ASSIGN_OR_RETURN(const Json* j, Get(key, Json::value_t::number_integer));
    return j->get<int64_t>();
  }
  absl::StatusOr<bool> Bool(absl::string_view key) const {
    ASSIGN_OR_RETURN(const Json* j, Get(key, Json::value_t::boolean));
    return j->get<bool>();
  }

 private:
  const Json& object_;
  std::string path_;
};

Json CertificatesJson(const std::vector<ArchivedCertificate>& certs) {
  Json out = Json::array();
  for (const ArchivedCertificate& c : certs) {
    out.push_back({{"thumbprint", c.thumbprint},
                   {"subject", c.subject},
                   {"der", Base64Encode(AsBytes(c.der))}});
  }
  return out;
}

absl::StatusOr<std::vector<ArchivedCertificate>> ReadCertificates(
    const Fields& parent, absl::string_view key) {
  ASSIGN_OR_RETURN(const Json* list, parent.Get(key, Json::value_t::array));
  std::vector<ArchivedCertificate> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = absl::StrCat(parent.Path(key), "[", i, "]");
    const Json& item = (*list)[i];
    if (!item.is_object()) return Wrong(path, "want an object");
    Fields f(item, path);
    ArchivedCertificate c;
    ASSIGN_OR_RETURN(c.thumbprint, f.String("thumbprint"));
    ASSIGN_OR_RETURN(c.subject, f.OptionalString("subject"));
    ASSIGN_OR_RETURN(std::string der64, f.String("der"));
    absl::StatusOr<std::vector<uint8_t>> der = Base64Decode(der64);
    if (!der.ok()) return Wrong(f.Path("der"), "not base64");
    c.der.assign(der->begin(), der->end());
    if (!token::X509Certificate::ParseDer(c.der).ok()) {
      return Wrong(f.Path("der"), "not an X.509 certificate");
    }
    if (store::CertificateThumbprint(*der) != c.thumbprint) {
      return Wrong(f.Path("thumbprint"),
                   "does not match der (want the upper-case hex SHA-1)");
    }
    if (!seen.insert(c.thumbprint).second) {
      return Wrong(
          path, absl::StrCat("certificate ", c.thumbprint, " is listed twice"));
    }
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<ArchivedPolicy> ReadPolicy(const Json& item,
                                          const std::string& path) {
  if (!item.is_object()) return Wrong(path, "want an object");
  Fields f(item, path);
  ArchivedPolicy p;
  ASSIGN_OR_RETURN(p.attestation_type, f.String("attestation_type"));
  if (!store::IsValidAttestationType(p.attestation_type)) {
    return Wrong(f.Path("attestation_type"),
                 "want a letter then up to 63 of [A-Za-z0-9_.-]");
  }
  ASSIGN_OR_RETURN(p.is_default, f.Bool("is_default"));
  ASSIGN_OR_RETURN(p.default_policy_hash,
                   f.OptionalString("default_policy_hash"));
  if (p.is_default) return p;
  ASSIGN_OR_RETURN(p.version, f.Int("version"));
  if (p.version < 1) return Wrong(f.Path("version"), "want >= 1");
  ASSIGN_OR_RETURN(p.jws, f.String("jws"));
  if (p.jws.empty()) return Wrong(f.Path("jws"), "empty");
  ASSIGN_OR_RETURN(p.policy_hash, f.String("policy_hash"));
  ASSIGN_OR_RETURN(p.token_hash, f.String("token_hash"));
  ASSIGN_OR_RETURN(p.signer_thumbprint, f.OptionalString("signer_thumbprint"));
  return p;
}

}  // namespace

ArchivedCertificate ArchiveCertificate(absl::string_view der) {
  ArchivedCertificate c;
  c.der = std::string(der);
  c.thumbprint = store::CertificateThumbprint(AsBytes(der));
  absl::StatusOr<auth::CertificateIdentity> id =
      auth::IdentityFromDer(AsBytes(der));
  if (id.ok()) c.subject = id->subject;
  return c;
}

std::string EncodePolicyArchive(const PolicyArchive& archive,
                                std::string* sha256) {
  Json policies = Json::array();
  for (const ArchivedPolicy& p : archive.policies) {
    Json j = {{"attestation_type", p.attestation_type},
              {"is_default", p.is_default}};
    if (!p.is_default) {
      j["version"] = p.version;
      j["jws"] = p.jws;
      j["policy_hash"] = p.policy_hash;
      j["token_hash"] = p.token_hash;
      if (!p.signer_thumbprint.empty()) {
        j["signer_thumbprint"] = p.signer_thumbprint;
      }
    }
    if (!p.default_policy_hash.empty()) {
      j["default_policy_hash"] = p.default_policy_hash;
    }
    policies.push_back(std::move(j));
  }
  Json content = {
      {"exported_at", absl::FormatTime(absl::RFC3339_sec, archive.exported_at,
                                       absl::UTCTimeZone())},
      {"exported_by", archive.exported_by},
      {"issuer", archive.issuer},
      {"mode", archive.mode},
      {"policies", std::move(policies)},
      {"policy_certificates", CertificatesJson(archive.policy_certificates)},
      {"trust",
       {{"ek_roots", CertificatesJson(archive.ek_roots)},
        {"policy_signers", CertificatesJson(archive.policy_signers)}}}};
  const std::string checksum = Sha256Hex(content.dump());
  if (sha256 != nullptr) *sha256 = checksum;
  Json out = {{"format", std::string(kArchiveFormat)},
              {"version", kArchiveVersion},
              {"sha256", checksum},
              {"content", std::move(content)}};
  return out.dump(2) + "\n";
}

absl::StatusOr<PolicyArchive> DecodePolicyArchive(absl::string_view text) {
  Json root = Json::parse(text.begin(), text.end(), nullptr,
                          /*allow_exceptions=*/false);
  if (root.is_discarded()) return Wrong("archive", "not JSON");
  if (!root.is_object()) return Wrong("archive", "want a JSON object");
  Fields top(root, "");
  ASSIGN_OR_RETURN(std::string format, top.String("format"));
  if (format != kArchiveFormat) {
    return Wrong("format", absl::StrCat("\"", format, "\", want \"",
                                        kArchiveFormat, "\""));
  }
  ASSIGN_OR_RETURN(int64_t version, top.Int("version"));
  if (version != kArchiveVersion) {
    return Wrong("version",
                 absl::StrCat(version,
                              " is not supported (this verifier reads "
                              "version ",
                              kArchiveVersion, ")"));
  }
  PolicyArchive a;
  ASSIGN_OR_RETURN(a.sha256, top.String("sha256"));
  ASSIGN_OR_RETURN(const Json* content,
                   top.Get("content", Json::value_t::object));
  if (Sha256Hex(content->dump()) != a.sha256) {
    return Wrong("sha256", "does not match the content (tampered or damaged)");
  }
  Fields c(*content, "content");
  ASSIGN_OR_RETURN(std::string at, c.String("exported_at"));
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, at, &a.exported_at, &error)) {
    return Wrong(c.Path("exported_at"), "want an RFC 3339 time");
  }
  ASSIGN_OR_RETURN(a.exported_by, c.String("exported_by"));
  ASSIGN_OR_RETURN(a.issuer, c.String("issuer"));
  ASSIGN_OR_RETURN(a.mode, c.String("mode"));
  ASSIGN_OR_RETURN(const Json* policies,
                   c.Get("policies", Json::value_t::array));
  std::set<std::string> types;
  for (size_t i = 0; i < policies->size(); ++i) {
    const std::string path = absl::StrCat("content.policies[", i, "]");
    ASSIGN_OR_RETURN(ArchivedPolicy p, ReadPolicy((*policies)[i], path));
    if (!types.insert(p.attestation_type).second) {
      return Wrong(path, absl::StrCat("attestation type ", p.attestation_type,
                                      " is listed twice"));
    }
    a.policies.push_back(std::move(p));
  }
  ASSIGN_OR_RETURN(a.policy_certificates,
                   ReadCertificates(c, "policy_certificates"));
  ASSIGN_OR_RETURN(const Json* trust, c.Get("trust", Json::value_t::object));
  Fields t(*trust, c.Path("trust"));
  ASSIGN_OR_RETURN(a.ek_roots, ReadCertificates(t, "ek_roots"));
  ASSIGN_OR_RETURN(a.policy_signers, ReadCertificates(t, "policy_signers"));
  return a;
}

}  // namespace vigil::service::admin
