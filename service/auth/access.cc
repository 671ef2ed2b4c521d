#include "service/auth/access.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/encoding.h"

namespace vigil::service::auth {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
};

std::string NameRfc2253(const X509_NAME* name) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    return "";
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : "";
}

std::string Ia5(const ASN1_IA5STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

std::vector<std::string> SubjectAltNames(X509* cert) {
  std::vector<std::string> out;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(
      static_cast<GENERAL_NAMES*>(
          X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    switch (n->type) {
      case GEN_DNS:
        out.push_back(absl::StrCat("DNS:", Ia5(n->d.dNSName)));
        break;
      case GEN_EMAIL:
        out.push_back(absl::StrCat("email:", Ia5(n->d.rfc822Name)));
        break;
      case GEN_URI:
        out.push_back(
            absl::StrCat("URI:", Ia5(n->d.uniformResourceIdentifier)));
        break;
      case GEN_IPADD: {
        const ASN1_OCTET_STRING* ip = n->d.iPAddress;
        char text[INET6_ADDRSTRLEN] = {};
        const int len = ASN1_STRING_length(ip);
        const int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : -1;
        if (family != -1 &&
            inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof(text))) {
          out.push_back(absl::StrCat("IP:", text));
        }
        break;
      }
      default:
        break;  // other name forms grant nothing
    }
  }
  return out;
}

// DNS names and e-mail addresses compare without case (RFC 4343, and the
// domain part of RFC 5321 addresses); URIs and IPs exactly.
std::string NormaliseSan(absl::string_view san) {
  if (absl::StartsWithIgnoreCase(san, "DNS:") ||
      absl::StartsWithIgnoreCase(san, "email:")) {
    return absl::AsciiStrToLower(san);
  }
  const size_t colon = san.find(':');
  if (colon == absl::string_view::npos) return std::string(san);
  // The kind itself is case-insensitive: "uri:" == "URI:".
  std::string kind = absl::AsciiStrToUpper(san.substr(0, colon));
  return absl::StrCat(kind, san.substr(colon));
}

// The control-plane roles in order of what they include; 0 for none.
int AdminRank(Role role) {
  switch (role) {
    case Role::kReader:
      return 1;
    case Role::kContributor:
      return 2;
    case Role::kSystem:
      return 3;
    case Role::kNone:
    case Role::kAgent:
      return 0;
  }
  return 0;
}

}  // namespace

bool RoleSatisfies(Role have, Role need) {
  if (need == Role::kNone) return true;
  if (need == Role::kAgent) return have == Role::kAgent;
  return AdminRank(have) >= AdminRank(need) && AdminRank(have) > 0;
}

namespace {

absl::StatusOr<CertificateIdentity> IdentityOf(X509* cert) {
  CertificateIdentity id;
  id.subject = NameRfc2253(X509_get_subject_name(cert));
  id.issuer = NameRfc2253(X509_get_issuer_name(cert));
  id.sans = SubjectAltNames(cert);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &md_len) != 1) {
    return absl::InternalError("client certificate: SHA-256 unavailable");
  }
  id.sha256_fingerprint = HexEncode(absl::MakeConstSpan(md, md_len));
  return id;
}

}  // namespace

absl::StatusOr<CertificateIdentity> IdentityFromPem(absl::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<X509, X509Free> cert(
      bio == nullptr ? nullptr
                     : PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        "client certificate: not a PEM X.509 certificate");
  }
  return IdentityOf(cert.get());
}

absl::StatusOr<CertificateIdentity> IdentityFromDer(
    absl::Span<const uint8_t> der) {
  const unsigned char* p = der.data();
  std::unique_ptr<X509, X509Free> cert(
      d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr || p != der.data() + der.size()) {
    return absl::InvalidArgumentError(
        "certificate: not a DER X.509 certificate");
  }
  return IdentityOf(cert.get());
}

absl::Status RoleMap::AddRules(absl::string_view list_name,
                               absl::string_view rules, Role role,
                               std::vector<Rule>* out) {
  int n = 0;
  for (absl::string_view raw : absl::StrSplit(rules, ';')) {
    const absl::string_view rule = absl::StripAsciiWhitespace(raw);
    if (rule.empty()) continue;
    ++n;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat(list_name, ": rule ", n, " \"", rule, "\": ", why));
    };
    const size_t colon = rule.find(':');
    if (colon == absl::string_view::npos) {
      return bad("want KIND:VALUE (subject, issuer, san or sha256)");
    }
    const std::string kind = absl::AsciiStrToLower(rule.substr(0, colon));
    const absl::string_view value =
        absl::StripAsciiWhitespace(rule.substr(colon + 1));
    if (value.empty()) return bad("empty value");
    Rule r{Kind::kSubject, std::string(value), role};
    if (kind == "subject") {
      r.kind = Kind::kSubject;
    } else if (kind == "issuer") {
      r.kind = Kind::kIssuer;
    } else if (kind == "san") {
      r.kind = Kind::kSan;
      if (value.find(':') == absl::string_view::npos) {
        return bad(
            "want san:DNS:<name>, san:email:<address>, san:URI:<uri> "
            "or san:IP:<address>");
      }
      r.value = NormaliseSan(value);
    } else if (kind == "sha256") {
      r.kind = Kind::kSha256;
      r.value = absl::AsciiStrToLower(absl::StrReplaceAll(value, {{":", ""}}));
      if (r.value.size() != 64 ||
          r.value.find_first_not_of("0123456789abcdef") != std::string::npos) {
        return bad("want 64 hex digits");
      }
    } else {
      return bad(absl::StrCat("unknown kind ", kind,
                              "; want subject, issuer, san or sha256"));
    }
    out->push_back(std::move(r));
  }
  return absl::OkStatus();
}

absl::StatusOr<RoleMap> RoleMap::Parse(absl::string_view readers,
                                       absl::string_view contributors,
                                       absl::string_view agents) {
  RoleMap m;
  absl::Status s = AddRules("admin_readers", readers, Role::kReader, &m.rules_);
  if (s.ok()) {
    s = AddRules("admin_contributors", contributors, Role::kContributor,
                 &m.rules_);
  }
  if (s.ok()) s = AddRules("agents", agents, Role::kAgent, &m.rules_);
  if (!s.ok()) return s;
  return m;
}

Role RoleMap::RoleFor(const CertificateIdentity& identity) const {
  Role best = Role::kNone;
  for (const Rule& r : rules_) {
    bool match = false;
    switch (r.kind) {
      case Kind::kSubject:
        match = identity.subject == r.value;
        break;
      case Kind::kIssuer:
        match = identity.issuer == r.value;
        break;
      case Kind::kSan:
        for (const std::string& san : identity.sans) {
          match |= NormaliseSan(san) == r.value;
        }
        break;
      case Kind::kSha256:
        match = identity.sha256_fingerprint == r.value;
        break;
    }
    // Agent is not "less than" reader: it is a different grant. A
    // certificate matching both an agent rule and an admin rule gets the
    // admin role; one matching only agent rules is an agent.
    if (match && (best == Role::kNone || AdminRank(r.role) > AdminRank(best))) {
      best = r.role;
    }
  }
  return best;
}

}  // namespace vigil::service::auth
