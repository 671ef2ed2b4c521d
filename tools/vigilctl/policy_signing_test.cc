// `vigilctl policy sign` and `vigilctl policy-certs make-change`, run in
// process: what they write must decode with the service's own readers
// (service/control) to the text, certificate and signer given.
#include "tools/vigilctl/policy_signing.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/control/certificate_change.h"
#include "service/control/certificate_jwk.h"
#include "service/control/policy_document.h"
#include "service/control/testing/test_pki.h"
#include "tools/vigilctl/policy_command.h"
#include "tools/vigilctl/testing/vigilctl_runner.h"

namespace vigil::vigilctl {
namespace {

using control::testing::TestSigner;
using testing::CommandOutput;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunInProcess;
using testing::ScratchDir;
using testing::SignerFiles;
using testing::WriteSignerFiles;
using vigil::testing::IsOk;

constexpr char kPolicy[] =
    "version=1.0;\n"
    "authorizationrules { => permit(); };\n"
    "issuancerules {\n"
    "  c:[type==\"secureBootEnabled\", value==true] => issue(type=\"sb\", "
    "value=true);\n"
    "};\n";

CommandOutput Policy(std::vector<std::string> args) {
  return RunInProcess([&] { return RunPolicyCommand(args); });
}

CommandOutput Certs(std::vector<std::string> args) {
  return RunInProcess([&] { return RunPolicyCertsCommand(args); });
}

std::string Trimmed(const std::string& s) {
  return std::string(absl::StripAsciiWhitespace(s));
}

class PolicySignTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  TestSigner root_ = TestSigner::Make("P-256", "policy root", {.ca = true});
  TestSigner signer_ =
      TestSigner::Make("RSA-2048", "policy signer", {.issuer = &root_});
  SignerFiles files_ = WriteSignerFiles(dir_, signer_, "signer");
  std::string policy_ = dir_.Write("tpm.policy", kPolicy);
};

TEST_F(PolicySignTest, SignedOutputDecodesToTheTextAndTheSignersThumbprint) {
  CommandOutput r =
      Policy({"sign", policy_, "--key", files_.key, "--cert", files_.cert});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  absl::StatusOr<control::PolicyDocument> doc =
      control::DecodePolicyDocument(Trimmed(r.out));
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(doc->policy_text(), kPolicy);
  EXPECT_EQ(doc->text_encoding(), control::PolicyTextEncoding::kBase64Url);
  ASSERT_TRUE(doc->is_signed());
  EXPECT_EQ(doc->signer()->thumbprint(),
            control::CertificateThumbprint(signer_.cert));
  // The whole chain travels in x5c, leaf first.
  ASSERT_EQ(doc->signer()->certificates().size(), 2u);
  EXPECT_EQ(doc->signer()->certificates()[1].der(), root_.der);
}

TEST_F(PolicySignTest, OutWritesTheJwsToTheFileOnly) {
  const std::string out = dir_.Join("tpm.jws");
  CommandOutput r = Policy({"sign", policy_, "--key", files_.key, "--cert",
                            files_.cert, "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  absl::StatusOr<std::string> written = ReadInputFile(out);
  ASSERT_THAT(written, IsOk());
  EXPECT_THAT(control::DecodePolicyDocument(Trimmed(*written)), IsOk());
}

TEST_F(PolicySignTest, UnsignedIsAlgNoneWithTheSameText) {
  CommandOutput r = Policy({"sign", policy_, "--unsigned"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::StartsWith("eyJhbGciOiJub25lIn0."));
  absl::StatusOr<control::PolicyDocument> doc =
      control::DecodePolicyDocument(Trimmed(r.out));
  ASSERT_THAT(doc, IsOk());
  EXPECT_FALSE(doc->is_signed());
  EXPECT_EQ(doc->policy_text(), kPolicy);
}

TEST_F(PolicySignTest, ResetIsUnsignedWithoutAKeyAndSignedWithOne) {
  CommandOutput unsigned_reset = Policy({"sign", "--reset"});
  ASSERT_EQ(unsigned_reset.exit_code, 0) << unsigned_reset.err;
  EXPECT_EQ(unsigned_reset.out, "eyJhbGciOiJub25lIn0..\n");

  CommandOutput r =
      Policy({"sign", "--reset", "--key", files_.key, "--cert", files_.cert});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  absl::StatusOr<control::PolicyDocument> doc =
      control::DecodePolicyDocument(Trimmed(r.out));
  ASSERT_THAT(doc, IsOk());
  EXPECT_TRUE(doc->is_reset());
  ASSERT_TRUE(doc->is_signed());
  EXPECT_EQ(doc->signer()->thumbprint(),
            control::CertificateThumbprint(signer_.cert));
}

TEST_F(PolicySignTest, MakeChangeDecodesToTheCertificateSignedByTheSigner) {
  TestSigner added = TestSigner::Make("P-256", "second policy signer");
  const std::string cert =
      dir_.Write("added.pem", testing::CertificatePem(added.der));
  CommandOutput r =
      Certs({"make-change", cert, "--key", files_.key, "--cert", files_.cert});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  absl::StatusOr<control::PolicyCertificateChange> change =
      control::DecodePolicyCertificateChange(Trimmed(r.out));
  ASSERT_THAT(change, IsOk());
  EXPECT_EQ(change->thumbprint(), control::CertificateThumbprint(added.cert));
  EXPECT_EQ(change->claim_name(), "policyCertificate");
  EXPECT_EQ(change->signer().thumbprint(),
            control::CertificateThumbprint(signer_.cert));
}

TEST_F(PolicySignTest, ArgumentErrorsNameTheFlagAndWriteNothing) {
  TestSigner other = TestSigner::Make("P-256", "other");
  SignerFiles other_files = WriteSignerFiles(dir_, other, "other");
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  const std::vector<Case> cases = {
      {{"sign", policy_, "--key", files_.key}, "--cert"},
      {{"sign", policy_, "--cert", files_.cert}, "--key"},
      {{"sign", policy_}, "--unsigned"},
      {{"sign", policy_, "--unsigned", "--key", files_.key, "--cert",
        files_.cert},
       "--unsigned"},
      {{"sign", policy_, "--bogus"}, "unknown flag --bogus"},
      {{"sign", policy_, "--key"}, "--key needs a value"},
      {{"sign", policy_, "--key", dir_.Join("missing.key"), "--cert",
        files_.cert},
       "--key"},
      // The chain's leaf must hold the key.
      {{"sign", policy_, "--key", other_files.key, "--cert", files_.cert},
       "--cert"},
      {{"sign", "--reset", policy_}, "--reset takes no FILE"},
      {{"sign", dir_.Join("missing.policy"), "--unsigned"}, "missing.policy"},
  };
  for (const Case& c : cases) {
    CommandOutput r = Policy(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.names;
    EXPECT_THAT(r.err, HasSubstr(c.names));
    EXPECT_THAT(r.out, Not(HasSubstr("eyJ"))) << c.names;
  }
  CommandOutput no_cert =
      Certs({"make-change", files_.cert, "--key", files_.key});
  EXPECT_EQ(no_cert.exit_code, 2);
  EXPECT_THAT(no_cert.err, HasSubstr("--cert is required"));
}

TEST(IsCompactJws, TellsJwsFromPolicyText) {
  EXPECT_TRUE(IsCompactJws("eyJhbGciOiJub25lIn0..\n"));
  EXPECT_TRUE(IsCompactJws("eyJhbGciOiJub25lIn0.eyJhIjoxfQ."));
  EXPECT_TRUE(IsCompactJws(" a-b_c.d.e "));
  EXPECT_FALSE(IsCompactJws(kPolicy));
  EXPECT_FALSE(IsCompactJws("version=1.0;"));
  EXPECT_FALSE(IsCompactJws(".a.b"));
  EXPECT_FALSE(IsCompactJws("a.b"));
  EXPECT_FALSE(IsCompactJws("a.b.c.d"));
  EXPECT_FALSE(IsCompactJws("a.b=.c"));
}

}  // namespace
}  // namespace vigil::vigilctl
