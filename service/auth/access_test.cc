#include "service/auth/access.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/auth/caller_authenticator.h"

namespace vigil::service::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

// A self-signed P-256 certificate with `subject` (CN only) and a SAN
// extension `san` ("DNS:a.example, email:x@y, IP:10.0.0.7"), as PEM.
std::string MakeCertPem(const std::string& cn, const std::string& san) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Example"),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_set_pubkey(x, key);
  if (!san.empty()) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(
        nullptr, nullptr, NID_subject_alt_name, san.c_str());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  X509_free(x);
  EVP_PKEY_free(key);
  return pem;
}

TEST(RoleSatisfies, ContributorIncludesReaderAndAgentIsApart) {
  EXPECT_TRUE(RoleSatisfies(Role::kContributor, Role::kReader));
  EXPECT_TRUE(RoleSatisfies(Role::kContributor, Role::kContributor));
  EXPECT_TRUE(RoleSatisfies(Role::kReader, Role::kReader));
  EXPECT_FALSE(RoleSatisfies(Role::kReader, Role::kContributor));
  EXPECT_FALSE(RoleSatisfies(Role::kAgent, Role::kReader));
  EXPECT_FALSE(RoleSatisfies(Role::kContributor, Role::kAgent));
  EXPECT_FALSE(RoleSatisfies(Role::kNone, Role::kReader));
  EXPECT_TRUE(RoleSatisfies(Role::kAgent, Role::kAgent));
  EXPECT_TRUE(RoleSatisfies(Role::kSystem, Role::kContributor));
}

TEST(IdentityFromPem, ReadsSubjectIssuerSansAndFingerprint) {
  const std::string pem =
      MakeCertPem("alice",
                  "DNS:Ops.Example, email:alice@example.com, IP:10.0.0.7, "
                  "URI:spiffe://example/admin");
  ASSERT_OK_AND_ASSIGN(CertificateIdentity id, IdentityFromPem(pem));
  EXPECT_EQ(id.subject, "CN=alice,O=Example");  // RFC 2253: most specific first
  EXPECT_EQ(id.issuer, "CN=alice,O=Example");   // self-signed
  EXPECT_THAT(id.sans,
              ElementsAre("DNS:Ops.Example", "email:alice@example.com",
                          "IP:10.0.0.7", "URI:spiffe://example/admin"));
  EXPECT_EQ(id.sha256_fingerprint.size(), 64u);
  EXPECT_THAT(IdentityFromPem("not a certificate"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a PEM X.509 certificate")));
}

TEST(RoleMap, GrantsTheHighestMatchingRole) {
  ASSERT_OK_AND_ASSIGN(
      RoleMap map,
      RoleMap::Parse("subject:CN=auditor,O=Example; issuer:CN=Ops CA",
                     "san:dns:OPS.example; sha256:" + std::string(64, 'A'),
                     "issuer:CN=Fleet CA"));
  CertificateIdentity auditor{"CN=auditor,O=Example", "CN=Other", {}, ""};
  EXPECT_EQ(map.RoleFor(auditor), Role::kReader);
  // SAN DNS names compare without case; contributor beats reader.
  CertificateIdentity ops{"CN=x", "CN=Ops CA", {"DNS:ops.example"}, ""};
  EXPECT_EQ(map.RoleFor(ops), Role::kContributor);
  CertificateIdentity pinned{"CN=y", "CN=z", {}, std::string(64, 'a')};
  EXPECT_EQ(map.RoleFor(pinned), Role::kContributor);
  CertificateIdentity agent{"CN=host-17", "CN=Fleet CA", {}, ""};
  EXPECT_EQ(map.RoleFor(agent), Role::kAgent);
  // A subject differing only in order or spacing is another subject.
  CertificateIdentity near{"O=Example,CN=auditor", "CN=Other", {}, ""};
  EXPECT_EQ(map.RoleFor(near), Role::kNone);
  EXPECT_EQ(RoleMap().RoleFor(auditor), Role::kNone);
}

TEST(RoleMap, ParseErrorsNameTheListAndRule) {
  EXPECT_THAT(RoleMap::Parse("", "subject:CN=a; subjct:CN=x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "admin_contributors: rule 2 \"subjct:CN=x\": unknown "
                       "kind subjct; want subject, issuer, san or sha256"));
  EXPECT_THAT(RoleMap::Parse("CN=a", ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("admin_readers: rule 1 \"CN=a\": want "
                                 "KIND:VALUE")));
  EXPECT_THAT(RoleMap::Parse("sha256:abc", ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("want 64 hex digits")));
  EXPECT_THAT(RoleMap::Parse("san:ops.example", ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("want san:DNS:<name>")));
  EXPECT_THAT(
      RoleMap::Parse("subject:", ""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty value")));
}

// The precedence every front end shares: the admin socket, then a bearer
// header, then a verified client certificate, else nothing.
TEST(CallerAuthenticator, DecidesFromWhatTheTransportSaw) {
  ASSERT_OK_AND_ASSIGN(RoleMap roles,
                       RoleMap::Parse("", "subject:CN=ops,O=Example"));
  const CallerAuthenticator authn(std::move(roles), /*oidc=*/nullptr);
  EXPECT_FALSE(authn.accepts_bearer_tokens());

  Credentials local;
  local.source = "unix:";
  local.local_socket = true;
  ASSERT_OK_AND_ASSIGN(Caller c, authn.Authenticate(local));
  EXPECT_EQ(c.role, Role::kContributor);
  EXPECT_EQ(c.method, "unix");

  Credentials cert;
  cert.source = "ipv4:127.0.0.1:4000";
  cert.client_certificate_pem = MakeCertPem("ops", "");
  ASSERT_OK_AND_ASSIGN(c, authn.Authenticate(cert));
  EXPECT_EQ(c.identity, "cert:CN=ops,O=Example");
  EXPECT_EQ(c.role, Role::kContributor);
  EXPECT_EQ(c.source, "ipv4:127.0.0.1:4000");
  cert.client_certificate_pem = MakeCertPem("stranger", "");
  ASSERT_OK_AND_ASSIGN(c, authn.Authenticate(cert));
  EXPECT_EQ(c.role, Role::kNone);

  // A header is never silently ignored in favour of the certificate.
  cert.authorization = "Bearer x.y.z";
  EXPECT_THAT(authn.Authenticate(cert),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("bearer tokens are not accepted here")));
  cert.authorization.reset();
  cert.client_certificate_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n";
  EXPECT_THAT(authn.Authenticate(cert),
              StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
  EXPECT_THAT(
      authn.Authenticate(Credentials{}),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no credential")));
}

}  // namespace
}  // namespace vigil::service::auth
