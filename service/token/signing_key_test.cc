#include "service/token/signing_key.h"

#include <openssl/sha.h>

#include <atomic>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/token/testing/independent_verifier.h"

namespace vigil::token {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RawGenerate;
using testing::RawPrivatePem;
using ::testing::SizeIs;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;

std::string ExpectedKid(EVP_PKEY* key) {
  const std::string spki = testing::RawSpki(key);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(spki.data()), spki.size(),
         digest);
  return Base64UrlEncode(absl::MakeConstSpan(digest, sizeof(digest)));
}

std::string WriteTemp(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(SigningKey, GeneratedKeysHaveTheirAlgorithmAndKid) {
  ASSERT_OK_AND_ASSIGN(SigningKey es, SigningKey::Generate());
  EXPECT_EQ(es.algorithm(), JwsAlgorithm::kEs256);
  EXPECT_THAT(es.kid(), SizeIs(43));
  ASSERT_OK_AND_ASSIGN(SigningKey rs,
                       SigningKey::Generate(JwsAlgorithm::kRs256));
  EXPECT_EQ(rs.algorithm(), JwsAlgorithm::kRs256);
  EXPECT_NE(es.kid(), rs.kid());
  EXPECT_THAT(SigningKey::Generate(JwsAlgorithm::kRs256, 1024),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1024")));
}

struct PemCase {
  const char* key;
  bool pkcs8;
  JwsAlgorithm alg;
};

class SigningKeyPemTest : public ::testing::TestWithParam<PemCase> {};

TEST_P(SigningKeyPemTest, LoadsAndKidIsSha256OfSpki) {
  testing::PkeyPtr raw = RawGenerate(GetParam().key);
  const std::string pem = RawPrivatePem(raw.get(), GetParam().pkcs8);
  const std::string path =
      WriteTemp(std::string("key-") + GetParam().key +
                    (GetParam().pkcs8 ? "-p8" : "-trad") + ".pem",
                pem);
  ASSERT_OK_AND_ASSIGN(SigningKey key, SigningKey::LoadPemFile(path));
  EXPECT_EQ(key.algorithm(), GetParam().alg);
  EXPECT_EQ(key.kid(), ExpectedKid(raw.get()));
  EXPECT_EQ(key.public_key_der(), testing::RawSpki(raw.get()));
  // The exported secret loads back into the same key.
  ASSERT_OK_AND_ASSIGN(std::string exported, key.ExportPkcs8PemSecret());
  ASSERT_OK_AND_ASSIGN(SigningKey again, SigningKey::ParsePem(exported));
  EXPECT_EQ(again.kid(), key.kid());
}

INSTANTIATE_TEST_SUITE_P(
    Forms, SigningKeyPemTest,
    ::testing::Values(PemCase{"P-256", true, JwsAlgorithm::kEs256},
                      PemCase{"P-256", false, JwsAlgorithm::kEs256},
                      PemCase{"RSA-2048", true, JwsAlgorithm::kRs256},
                      PemCase{"RSA-2048", false, JwsAlgorithm::kRs256}));

TEST(SigningKey, WeakOrUnsupportedKeysAreRefusedByName) {
  EXPECT_THAT(
      SigningKey::ParsePem(RawPrivatePem(RawGenerate("RSA-1024").get(), true)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("RSA key of 1024 bits is not supported")));
  EXPECT_THAT(
      SigningKey::ParsePem(RawPrivatePem(RawGenerate("P-384").get(), true)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("curve secp384r1 is not supported")));
  EXPECT_THAT(
      SigningKey::ParsePem(RawPrivatePem(RawGenerate("Ed25519").get(), true)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("key type ED25519 is not supported")));
}

TEST(SigningKey, EncryptedKeyIsRefusedWithoutPrompting) {
  testing::PkeyPtr raw = RawGenerate("P-256");
  BIO* bio = BIO_new(BIO_s_mem());
  char pass[] = "secret";
  PEM_write_bio_PKCS8PrivateKey(bio, raw.get(), EVP_aes_256_cbc(), pass, 6,
                                nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  EXPECT_THAT(
      SigningKey::ParsePem(pem),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("encrypted")));
}

TEST(SigningKey, ErrorsNeverCarryKeyBytes) {
  const std::string pem = RawPrivatePem(RawGenerate("P-256").get(), true);
  // Corrupt the body so that parsing fails after reading key material.
  std::string broken = pem;
  broken[40] = broken[40] == 'A' ? 'B' : 'A';
  broken.erase(60, 10);
  absl::StatusOr<SigningKey> key = SigningKey::ParsePem(broken);
  ASSERT_THAT(key, Not(IsOk()));
  const std::string body_line = pem.substr(pem.find('\n') + 1, 20);
  EXPECT_THAT(std::string(key.status().message()), Not(HasSubstr(body_line)));
  EXPECT_THAT(SigningKey::ParsePem("hello"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a PEM private key")));
}

TEST(SigningKey, MissingFileNamesThePath) {
  EXPECT_THAT(
      SigningKey::LoadPemFile("/nonexistent/key.pem"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/key.pem")));
}

TEST(SigningKey, SignaturesHaveJoseSizes) {
  ASSERT_OK_AND_ASSIGN(SigningKey es, SigningKey::Generate());
  ASSERT_OK_AND_ASSIGN(std::string sig, es.Sign("a.b"));
  EXPECT_THAT(sig, SizeIs(64));  // R || S, not DER
  ASSERT_OK_AND_ASSIGN(SigningKey rs,
                       SigningKey::Generate(JwsAlgorithm::kRs256));
  ASSERT_OK_AND_ASSIGN(sig, rs.Sign("a.b"));
  EXPECT_THAT(sig, SizeIs(256));
}

// Why `signature` over `signing_input`, as a compact JWS, does not verify
// with the independent verifier; "" when it does.
std::string IndependentProblem(const std::string& signing_input,
                               const std::string& signature, EVP_PKEY* key) {
  return testing::IndependentVerify(
      absl::StrCat(signing_input, ".", Base64UrlEncode(AsBytes(signature))),
      key);
}

// Each signature copies one signing context the key set up once; threads
// share it. Every signature, from every thread and from a copy that added a
// certificate chain, verifies with an independent verifier.
TEST(SigningKey, SignaturesFromConcurrentThreadsAllVerify) {
  for (const char* what : {"P-256", "RSA-2048"}) {
    testing::PkeyPtr raw = RawGenerate(what);
    ASSERT_OK_AND_ASSIGN(SigningKey key,
                         SigningKey::ParsePem(RawPrivatePem(raw.get(), true)));
    ASSERT_OK_AND_ASSIGN(
        SigningKey chained,
        key.WithCertificateChain(
            {testing::RawSelfSignedCertDer(raw.get(), "signer")}));
    const std::string header = Base64UrlEncode(AsBytes(absl::StrCat(
        R"({"alg":")", JwsAlgorithmName(key.algorithm()), R"("})")));
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 25; ++i) {
          const std::string input = absl::StrCat(
              header, ".", Base64UrlEncode(AsBytes(absl::StrCat(t, "-", i))));
          absl::StatusOr<std::string> sig =
              (i % 2 == 0 ? key : chained).Sign(input);
          if (!sig.ok() ||
              !IndependentProblem(input, *sig, raw.get()).empty()) {
            ++failures;
          }
        }
      });
    }
    for (std::thread& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0) << what;
  }
}

TEST(SigningKey, AChainedCopySignsAfterTheOriginalIsGone) {
  testing::PkeyPtr raw = RawGenerate("P-256");
  std::optional<SigningKey> chained;
  {
    ASSERT_OK_AND_ASSIGN(SigningKey key,
                         SigningKey::ParsePem(RawPrivatePem(raw.get(), true)));
    ASSERT_OK_AND_ASSIGN(
        chained, key.WithCertificateChain(
                     {testing::RawSelfSignedCertDer(raw.get(), "signer")}));
  }
  const std::string input =
      absl::StrCat(Base64UrlEncode(AsBytes(R"({"alg":"ES256"})")), ".e30");
  ASSERT_OK_AND_ASSIGN(std::string sig, chained->Sign(input));
  EXPECT_EQ(IndependentProblem(input, sig, raw.get()), "");
}

TEST(SigningKey, CertificateChainMustStartWithThisKey) {
  testing::PkeyPtr raw = RawGenerate("P-256");
  ASSERT_OK_AND_ASSIGN(SigningKey key,
                       SigningKey::ParsePem(RawPrivatePem(raw.get(), true)));
  const std::string leaf = testing::RawSelfSignedCertDer(raw.get(), "leaf");
  testing::PkeyPtr other = RawGenerate("P-256");
  const std::string other_cert =
      testing::RawSelfSignedCertDer(other.get(), "other");
  ASSERT_OK_AND_ASSIGN(SigningKey with_chain,
                       key.WithCertificateChain({leaf, other_cert}));
  EXPECT_THAT(with_chain.certificate_chain(), SizeIs(2));
  EXPECT_EQ(with_chain.kid(), key.kid());
  EXPECT_THAT(key.certificate_chain(), SizeIs(0));
  EXPECT_THAT(key.WithCertificateChain({other_cert}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not for this key")));
  EXPECT_THAT(
      key.WithCertificateChain({leaf, "junk"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("certificate 1")));
  EXPECT_THAT(key.WithCertificateChain({}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST(SigningKey, CertificateChainLoadsFromPem) {
  testing::PkeyPtr raw = RawGenerate("P-256");
  ASSERT_OK_AND_ASSIGN(SigningKey key,
                       SigningKey::ParsePem(RawPrivatePem(raw.get(), false)));
  const std::string der = testing::RawSelfSignedCertDer(raw.get(), "leaf");
  std::string wrapped;  // PEM bodies are 64 characters a line
  const std::string b64 = Base64Encode(AsBytes(der));
  for (size_t i = 0; i < b64.size(); i += 64)
    wrapped += b64.substr(i, 64) + "\n";
  const std::string path =
      WriteTemp("chain.pem", "-----BEGIN CERTIFICATE-----\n" + wrapped +
                                 "-----END CERTIFICATE-----\n");
  ASSERT_OK_AND_ASSIGN(SigningKey with_chain,
                       key.WithCertificateChainPemFile(path));
  ASSERT_THAT(with_chain.certificate_chain(), SizeIs(1));
  EXPECT_EQ(with_chain.certificate_chain()[0], der);
  EXPECT_THAT(
      key.WithCertificateChainPemFile(WriteTemp("empty.pem", "nothing")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no PEM")));
}

}  // namespace
}  // namespace vigil::token
