#include "service/admin/policy_archive.h"

#include <openssl/sha.h>

#include <array>
#include <string>

#include "absl/strings/str_replace.h"
#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/control/testing/test_pki.h"
#include "service/token/json.h"

namespace vigil::service::admin {
namespace {

using ::testing::HasSubstr;
using ::vigil::control::testing::TestSigner;
using ::vigil::testing::StatusIs;

PolicyArchive Sample() {
  static const TestSigner* signer =
      new TestSigner(TestSigner::Make("P-256", "policy signer"));
  PolicyArchive a;
  a.exported_at = absl::FromUnixSeconds(1750000000);
  a.exported_by = "unix:local-administrator";
  a.issuer = "https://verifier.example";
  a.mode = "isolated";
  ArchivedPolicy tpm;
  tpm.attestation_type = "Tpm";
  tpm.version = 3;
  tpm.jws = "eyJhbGciOiJub25lIn0.e30.";
  tpm.policy_hash = "ph";
  tpm.token_hash = "th";
  tpm.signer_thumbprint = "AB";
  a.policies.push_back(tpm);
  ArchivedPolicy vbs;
  vbs.attestation_type = "VbsEnclave";
  vbs.is_default = true;
  a.policies.push_back(vbs);
  a.policy_certificates.push_back(ArchiveCertificate(signer->der));
  a.ek_roots.push_back(ArchiveCertificate(signer->der));
  return a;
}

absl::Status Decoded(const std::string& text) {
  return DecodePolicyArchive(text).status();
}

// A modified archive with its checksum recomputed (OpenSSL directly: the
// content is invalid, so it cannot go through the encoder), so a test
// reaches the field checks behind the checksum.
std::string Resealed(token::Json root) {
  const std::string content = root["content"].dump();
  std::array<uint8_t, SHA256_DIGEST_LENGTH> d;
  SHA256(reinterpret_cast<const uint8_t*>(content.data()), content.size(),
         d.data());
  root["sha256"] = HexEncode(d);
  return root.dump();
}

TEST(PolicyArchive, RoundTripsEveryField) {
  const PolicyArchive a = Sample();
  std::string sha;
  const std::string text = EncodePolicyArchive(a, &sha);
  EXPECT_THAT(text, HasSubstr("\"format\": \"vigil-policy-backup\""));
  ASSERT_OK_AND_ASSIGN(PolicyArchive b, DecodePolicyArchive(text));
  EXPECT_EQ(b.sha256, sha);
  EXPECT_EQ(b.exported_at, a.exported_at);
  EXPECT_EQ(b.exported_by, a.exported_by);
  EXPECT_EQ(b.issuer, a.issuer);
  EXPECT_EQ(b.mode, "isolated");
  ASSERT_EQ(b.policies.size(), 2u);
  EXPECT_EQ(b.policies[0].jws, a.policies[0].jws);
  EXPECT_EQ(b.policies[0].version, 3);
  EXPECT_EQ(b.policies[0].signer_thumbprint, "AB");
  EXPECT_TRUE(b.policies[1].is_default);
  ASSERT_EQ(b.policy_certificates.size(), 1u);
  EXPECT_EQ(b.policy_certificates[0].der, a.policy_certificates[0].der);
  EXPECT_EQ(b.policy_certificates[0].subject, "CN=policy signer");
  ASSERT_EQ(b.ek_roots.size(), 1u);
  EXPECT_TRUE(b.policy_signers.empty());
  EXPECT_EQ(EncodePolicyArchive(b), text);
}

TEST(PolicyArchive, TamperedContentIsRefused) {
  const std::string text = EncodePolicyArchive(Sample());
  const std::string edited = absl::StrReplaceAll(text, {{"\"ph\"", "\"px\""}});
  ASSERT_NE(edited, text);
  EXPECT_THAT(Decoded(edited),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sha256: does not match the content")));
}

TEST(PolicyArchive, FormatAndVersionAreChecked) {
  token::Json root = token::Json::parse(EncodePolicyArchive(Sample()));
  token::Json v2 = root;
  v2["version"] = 2;
  EXPECT_THAT(Decoded(v2.dump()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("version: 2 is not supported")));
  token::Json other = root;
  other["format"] = "tar";
  EXPECT_THAT(Decoded(other.dump()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("format: \"tar\"")));
  EXPECT_THAT(
      Decoded("{\"format\": "),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not JSON")));
  EXPECT_THAT(Decoded("[]"), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("want a JSON object")));
}

TEST(PolicyArchive, FieldErrorsNameTheField) {
  token::Json root = token::Json::parse(EncodePolicyArchive(Sample()));
  token::Json no_jws = root;
  no_jws["content"]["policies"][0].erase("jws");
  EXPECT_THAT(Decoded(Resealed(no_jws)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("content.policies[0].jws: missing")));
  token::Json bad_type = root;
  bad_type["content"]["policies"][1]["attestation_type"] = "9x";
  EXPECT_THAT(Decoded(Resealed(bad_type)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("content.policies[1].attestation_type")));
  token::Json twice = root;
  twice["content"]["policies"][1]["attestation_type"] = "Tpm";
  EXPECT_THAT(Decoded(Resealed(twice)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Tpm is listed twice")));
  token::Json thumb = root;
  thumb["content"]["trust"]["ek_roots"][0]["thumbprint"] = "00";
  EXPECT_THAT(
      Decoded(Resealed(thumb)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("content.trust.ek_roots[0].thumbprint: does not")));
  token::Json der = root;
  der["content"]["policy_certificates"][0]["der"] = "AAAA";
  EXPECT_THAT(Decoded(Resealed(der)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("content.policy_certificates[0].der: not an "
                                 "X.509 certificate")));
}

}  // namespace
}  // namespace vigil::service::admin
