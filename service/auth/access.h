// File: service/auth/access.h
// -----------------------------------------------------------------------------
// Who is calling the control plane and what they may do (issue #6 §2). Three
// roles, as Azure Attestation's RBAC has them (maa-spec.md §5.4):
//   reader       get policies, list policy-management certificates, audit;
//   contributor  also set/reset policies and manage certificates (within
//                what the verifier's mode allows);
//   agent        attest only (mutual-TLS agents); no control-plane access.
// Callers are identified by a client certificate (mutual TLS; the role from
// configured rules on its subject, SANs, issuing CA or fingerprint), by an
// OIDC bearer token (oidc_authenticator.h), or as local root on the admin
// Unix socket. This library only decides; service/grpc extracts the
// credentials from the connection, and every refusal is audited there.
#ifndef VIGIL_SERVICE_AUTH_ACCESS_H_
#define VIGIL_SERVICE_AUTH_ACCESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/store/records.h"

namespace vigil::service::auth {

// The roles are the store's (audit records carry them): kNone, kReader,
// kContributor, kAgent and kSystem (the verifier itself).
using ::vigil::service::store::Role;
using ::vigil::service::store::RoleName;

// Whether a caller with `have` may do what needs `need`: contributor
// includes reader, system includes both; agent and none include nothing of
// the control plane, and only an agent is an agent.
bool RoleSatisfies(Role have, Role need);

// An authenticated caller.
struct Caller {
  // "cert:CN=alice,O=Example", "oidc:<identity_claim>" (one issuer is
  // configured, so the claim alone names the caller),
  // "unix:local-administrator".
  std::string identity;
  Role role = Role::kNone;
  std::string method;  // "mtls", "oidc", "unix"
  std::string source;  // the peer address ("ipv4:10.0.0.7:51234", "unix:")
};

// What a client certificate says about its holder (the leaf the TLS
// handshake verified against the admin listener's client CA bundle).
struct CertificateIdentity {
  std::string subject;             // RFC 2253, e.g. "CN=alice,O=Example"
  std::string issuer;              // RFC 2253
  std::vector<std::string> sans;   // "DNS:ops.example", "email:a@b", "URI:...",
                                   // "IP:10.0.0.7"
  std::string sha256_fingerprint;  // lower-case hex of SHA-256(DER)
};

// Parses a PEM certificate (as gRPC's auth context hands it over). Fails
// with kInvalidArgument when it is not one.
absl::StatusOr<CertificateIdentity> IdentityFromPem(absl::string_view pem);
// The same for a DER certificate.
absl::StatusOr<CertificateIdentity> IdentityFromDer(
    absl::Span<const uint8_t> der);

// Rules mapping certificate identities to roles, from configuration:
//   admin_readers      = subject:CN=auditor,O=Example; issuer:CN=Audit CA
//   admin_contributors = san:email:ops@example.com; sha256:3f1a...
// A rule is KIND:VALUE with KIND one of
//   subject   the subject DN, exactly (RFC 2253 form, as `openssl x509
//             -subject -nameopt RFC2253` prints it);
//   issuer    the issuing CA's DN, exactly: everyone that CA certified;
//   san       one subjectAltName, "DNS:", "email:", "URI:" or "IP:" then
//             the value (DNS names and e-mail compared without case);
//   sha256    the certificate's fingerprint (hex, any case, ':' allowed).
// Rules are separated by ';'. A certificate gets the highest role any rule
// grants it, or kNone.
class RoleMap {
 public:
  RoleMap() = default;

  // Fails with kInvalidArgument naming the list and the rule
  // ("admin_contributors: rule 2 \"subjct:CN=x\": unknown kind subjct; want
  // subject, issuer, san or sha256").
  static absl::StatusOr<RoleMap> Parse(absl::string_view readers,
                                       absl::string_view contributors,
                                       absl::string_view agents = "");

  Role RoleFor(const CertificateIdentity& identity) const;
  bool empty() const { return rules_.empty(); }

 private:
  enum class Kind : uint8_t { kSubject, kIssuer, kSan, kSha256 };
  struct Rule {
    Kind kind;
    std::string value;  // normalised for comparison
    Role role;
  };
  static absl::Status AddRules(absl::string_view list_name,
                               absl::string_view rules, Role role,
                               std::vector<Rule>* out);
  std::vector<Rule> rules_;
};

}  // namespace vigil::service::auth

#endif  // VIGIL_SERVICE_AUTH_ACCESS_H_
