#include "service/store/records.h"

#include <openssl/sha.h>

#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/encoding.h"

namespace vigil::service::store {
namespace {

// One table per enum: the stored names. Append only.
constexpr std::pair<Role, absl::string_view> kRoles[] = {
    {Role::kNone, "none"},
    {Role::kReader, "reader"},
    {Role::kContributor, "contributor"},
    {Role::kAgent, "agent"},
    {Role::kSystem, "system"},
};
constexpr std::pair<AuditAction, absl::string_view> kActions[] = {
    {AuditAction::kPolicySet, "policy_set"},
    {AuditAction::kPolicyReset, "policy_reset"},
    {AuditAction::kCertAdd, "cert_add"},
    {AuditAction::kCertRemove, "cert_remove"},
    {AuditAction::kAttestation, "attestation"},
    {AuditAction::kEnroll, "enroll"},
    {AuditAction::kAuthDenied, "auth_denied"},
    {AuditAction::kAuditRead, "audit_read"},
    {AuditAction::kPolicyExport, "policy_export"},
    {AuditAction::kPolicyImport, "policy_import"},
};
constexpr std::pair<AuditResult, absl::string_view> kResults[] = {
    {AuditResult::kSuccess, "success"},
    {AuditResult::kDenied, "denied"},
    {AuditResult::kFailure, "failure"},
};

template <typename E, size_t N>
absl::string_view NameOf(const std::pair<E, absl::string_view> (&table)[N],
                         E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

template <typename E, size_t N>
absl::StatusOr<E> Parse(const std::pair<E, absl::string_view> (&table)[N],
                        absl::string_view name, absl::string_view what) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown ", what, " \"", absl::CHexEscape(name), "\""));
}

}  // namespace

absl::string_view RoleName(Role role) { return NameOf(kRoles, role); }
absl::StatusOr<Role> ParseRole(absl::string_view name) {
  return Parse(kRoles, name, "role");
}

absl::string_view AuditActionName(AuditAction action) {
  return NameOf(kActions, action);
}
absl::StatusOr<AuditAction> ParseAuditAction(absl::string_view name) {
  return Parse(kActions, name, "audit action");
}

absl::string_view AuditResultName(AuditResult result) {
  return NameOf(kResults, result);
}
absl::StatusOr<AuditResult> ParseAuditResult(absl::string_view name) {
  return Parse(kResults, name, "audit result");
}

bool IsValidAttestationType(absl::string_view type) {
  if (type.empty() || type.size() > 64 || !absl::ascii_isalpha(type[0])) {
    return false;
  }
  for (char c : type) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

std::string CertificateThumbprint(absl::Span<const uint8_t> der) {
  std::array<uint8_t, SHA_DIGEST_LENGTH> digest;
  SHA1(der.data(), der.size(), digest.data());
  return absl::AsciiStrToUpper(HexEncode(digest));
}

std::string ClaimsDigest(const DeviceClaims& claims) {
  std::string framed;
  auto field = [&framed](absl::string_view s) {
    const uint64_t n = s.size();
    for (int i = 0; i < 8; ++i)
      framed.push_back(static_cast<char>(n >> (8 * i)));
    framed.append(s.data(), s.size());
  };
  field(claims.claims_json);
  field(absl::StrCat(claims.omitted.size()));
  for (const std::string& type : claims.omitted) field(type);
  field(claims.event_log_sha256);
  field(claims.event_log_pcrs);
  std::array<uint8_t, SHA256_DIGEST_LENGTH> digest;
  SHA256(reinterpret_cast<const uint8_t*>(framed.data()), framed.size(),
         digest.data());
  return HexEncode(digest);
}

}  // namespace vigil::service::store
