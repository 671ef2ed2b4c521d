// EkTrustStore over certificate chains made here with OpenSSL's C API:
// root -> intermediate -> leaf, the leaf certifying an RSA-2048 key whose
// TPM2B_PUBLIC is built like a TPM's EK (EK Credential Profile template L-1).
#include "service/verifier/ek_trust.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <tss2/tss2_tpm2_types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tpm/wire/public_area.h"

namespace vigil::service {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using Cert = std::unique_ptr<X509, X509Free>;

const absl::Time kNow = absl::FromUnixSeconds(1750000000);  // June 2025

Pkey EcKey() { return Pkey(EVP_EC_gen("P-256")); }

// A certificate for `subject_key`, named `cn`, signed by `issuer_key` under
// `issuer` (nullptr: self-signed), valid [not_before, not_after].
Cert MakeCert(const std::string& cn, EVP_PKEY* subject_key, const X509* issuer,
              EVP_PKEY* issuer_key, bool ca, absl::Time not_before,
              absl::Time not_after) {
  static long serial = 1;
  Cert c(X509_new());
  X509_set_version(c.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), serial++);
  X509_NAME* name = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(
      name, "O", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>("Vigil Test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(
      c.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  ASN1_TIME_set(X509_getm_notBefore(c.get()), absl::ToTimeT(not_before));
  ASN1_TIME_set(X509_getm_notAfter(c.get()), absl::ToTimeT(not_after));
  X509_set_pubkey(c.get(), subject_key);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer != nullptr ? const_cast<X509*>(issuer) : c.get(),
                 c.get(), nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(c.get(), ext, -1);
    X509_EXTENSION_free(ext);
  };
  if (ca) {
    add(NID_basic_constraints, "critical,CA:TRUE");
    add(NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add(NID_basic_constraints, "critical,CA:FALSE");
    add(NID_key_usage, "critical,keyEncipherment");
  }
  X509_sign(c.get(), issuer_key, EVP_sha256());
  return c;
}

std::vector<uint8_t> Der(const X509* c) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(c, &der);
  std::vector<uint8_t> out(der, der + (len > 0 ? len : 0));
  OPENSSL_free(der);
  return out;
}

std::string Pem(const X509* c) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, const_cast<X509*>(c));
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

// The marshalled TPM2B_PUBLIC of an RSA-2048 EK holding `key`'s modulus;
// `attributes` defaults to the EK template's.
std::vector<uint8_t> EkPublic(
    EVP_PKEY* key,
    TPMA_OBJECT attributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                             TPMA_OBJECT_SENSITIVEDATAORIGIN |
                             TPMA_OBJECT_ADMINWITHPOLICY |
                             TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT) {
  TPMT_PUBLIC p{};
  p.type = TPM2_ALG_RSA;
  p.nameAlg = TPM2_ALG_SHA256;
  p.objectAttributes = attributes;
  if (attributes & TPMA_OBJECT_DECRYPT) {
    p.parameters.rsaDetail.symmetric = {TPM2_ALG_AES, {128}, {TPM2_ALG_CFB}};
  } else {
    p.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
  }
  p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
  p.parameters.rsaDetail.keyBits = 2048;
  p.parameters.rsaDetail.exponent = 0;
  BIGNUM* n = nullptr;
  EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
  p.unique.rsa.size = 256;
  BN_bn2binpad(n, p.unique.rsa.buffer, 256);
  BN_free(n);
  absl::StatusOr<tpm::PublicArea> area = tpm::MakePublicArea(p);
  EXPECT_OK(area.status());
  // TPM2B_PUBLIC: 2-byte big-endian size, then the TPMT_PUBLIC.
  const size_t n_bytes = area->marshalled.size();
  std::vector<uint8_t> out(2 + n_bytes);
  out[0] = static_cast<uint8_t>(n_bytes >> 8);
  out[1] = static_cast<uint8_t>(n_bytes);
  std::copy(area->marshalled.begin(), area->marshalled.end(), out.begin() + 2);
  return out;
}

// Keys are slow to make (RSA-2048); one set for the whole suite.
class EkTrustTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const absl::Time from = kNow - absl::Hours(24 * 365);
    const absl::Time to = kNow + absl::Hours(24 * 365 * 10);
    root_key_ = EcKey().release();
    inter_key_ = EcKey().release();
    ek_key_ = EVP_RSA_gen(2048);
    other_ek_key_ = EVP_RSA_gen(2048);
    root_ =
        MakeCert("Test EK Root", root_key_, nullptr, root_key_, true, from, to)
            .release();
    inter_ = MakeCert("Test EK Intermediate", inter_key_, root_, root_key_,
                      true, from, to)
                 .release();
    leaf_ = MakeCert("Test EK", ek_key_, inter_, inter_key_, false, from, to)
                .release();
  }
  static void TearDownTestSuite() {
    X509_free(leaf_);
    X509_free(inter_);
    X509_free(root_);
    EVP_PKEY_free(other_ek_key_);
    EVP_PKEY_free(ek_key_);
    EVP_PKEY_free(inter_key_);
    EVP_PKEY_free(root_key_);
  }

  void SetUp() override {
    ASSERT_NE(leaf_, nullptr);
    dir_ = absl::StrCat(
        ::testing::TempDir(), "/ek_trust_test_", getpid(), "_",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << bytes;
  }
  static std::string Str(const std::vector<uint8_t>& b) {
    return std::string(b.begin(), b.end());
  }
  static EkTrustStore Trusting(const std::string& pem) {
    absl::StatusOr<EkTrustStore> s = EkTrustStore::FromPem(pem);
    EXPECT_OK(s.status());
    return *std::move(s);
  }

  static EVP_PKEY* root_key_;
  static EVP_PKEY* inter_key_;
  static EVP_PKEY* ek_key_;
  static EVP_PKEY* other_ek_key_;
  static X509* root_;
  static X509* inter_;
  static X509* leaf_;
  std::string dir_;
};

EVP_PKEY* EkTrustTest::root_key_ = nullptr;
EVP_PKEY* EkTrustTest::inter_key_ = nullptr;
EVP_PKEY* EkTrustTest::ek_key_ = nullptr;
EVP_PKEY* EkTrustTest::other_ek_key_ = nullptr;
X509* EkTrustTest::root_ = nullptr;
X509* EkTrustTest::inter_ = nullptr;
X509* EkTrustTest::leaf_ = nullptr;

TEST_F(EkTrustTest, ChainToTheRootWithTheAgentsIntermediateIsCertified) {
  EkTrustStore store = Trusting(Pem(root_));
  EXPECT_EQ(store.anchor_count(), 1u);
  const std::vector<std::vector<uint8_t>> certs = {Der(leaf_), Der(inter_)};
  ASSERT_OK_AND_ASSIGN(TrustedEk ek,
                       store.Verify(certs, EkPublic(ek_key_), kNow));
  EXPECT_TRUE(ek.certified);
  EXPECT_THAT(ek.issuer, HasSubstr("CN=Test EK Intermediate"));
  EXPECT_EQ(ek.device_id.size(), 64u);
  ASSERT_OK_AND_ASSIGN(std::string id, DeviceIdForEk(ek.public_area));
  EXPECT_EQ(ek.device_id, id);
}

TEST_F(EkTrustTest, WithoutTheIntermediateTheChainIsIncomplete) {
  EkTrustStore store = Trusting(Pem(root_));
  const std::vector<std::vector<uint8_t>> certs = {Der(leaf_)};
  EXPECT_THAT(store.Verify(certs, EkPublic(ek_key_), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       AllOf(HasSubstr("does not chain to the trust bundle"),
                             HasSubstr("unable to get local issuer"),
                             HasSubstr("CN=Test EK Intermediate"))));
}

TEST_F(EkTrustTest, PinnedIntermediateIsAnAnchorOnItsOwn) {
  EkTrustStore store = Trusting(Pem(inter_));
  const std::vector<std::vector<uint8_t>> certs = {Der(leaf_)};
  ASSERT_OK_AND_ASSIGN(TrustedEk ek,
                       store.Verify(certs, EkPublic(ek_key_), kNow));
  EXPECT_TRUE(ek.certified);
}

TEST_F(EkTrustTest, AgentSuppliedRootIsNotTrusted) {
  // The agent sends a whole chain of its own making: a self-signed root
  // that the bundle does not hold must not become an anchor.
  Pkey fake_root_key = EcKey();
  Pkey fake_inter_key = EcKey();
  const absl::Time from = kNow - absl::Hours(24);
  const absl::Time to = kNow + absl::Hours(24);
  Cert fake_root = MakeCert("Test EK Root", fake_root_key.get(), nullptr,
                            fake_root_key.get(), true, from, to);
  Cert fake_inter =
      MakeCert("Test EK Intermediate", fake_inter_key.get(), fake_root.get(),
               fake_root_key.get(), true, from, to);
  Cert fake_leaf = MakeCert("Test EK", ek_key_, fake_inter.get(),
                            fake_inter_key.get(), false, from, to);
  EkTrustStore store = Trusting(Pem(root_));
  const std::vector<std::vector<uint8_t>> certs = {
      Der(fake_leaf.get()), Der(fake_inter.get()), Der(fake_root.get())};
  EXPECT_THAT(store.Verify(certs, EkPublic(ek_key_), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("does not chain to the trust bundle")));
}

TEST_F(EkTrustTest, LeafKeyDifferentFromTheEkPublicAreaIsRefused) {
  EkTrustStore store = Trusting(Pem(root_));
  const std::vector<std::vector<uint8_t>> certs = {Der(leaf_), Der(inter_)};
  EXPECT_THAT(store.Verify(certs, EkPublic(other_ek_key_), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("does not hold the EK certificate's key")));
}

TEST_F(EkTrustTest, ExpiredLeafIsRefused) {
  Cert old = MakeCert("Old EK", ek_key_, inter_, inter_key_, false,
                      kNow - absl::Hours(48), kNow - absl::Hours(1));
  EkTrustStore store = Trusting(Pem(root_));
  const std::vector<std::vector<uint8_t>> certs = {Der(old.get()), Der(inter_)};
  EXPECT_THAT(store.Verify(certs, EkPublic(ek_key_), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("certificate has expired")));
  // The verification time is the caller's, not the wall clock's.
  EXPECT_OK(store.Verify(certs, EkPublic(ek_key_), kNow - absl::Hours(2)));
}

TEST_F(EkTrustTest, NotYetValidLeafIsRefused) {
  Cert early = MakeCert("Future EK", ek_key_, inter_, inter_key_, false,
                        kNow + absl::Hours(1), kNow + absl::Hours(48));
  EkTrustStore store = Trusting(Pem(root_));
  const std::vector<std::vector<uint8_t>> certs = {Der(early.get()),
                                                   Der(inter_)};
  EXPECT_THAT(
      store.Verify(certs, EkPublic(ek_key_), kNow),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not yet valid")));
}

TEST_F(EkTrustTest, UnknownRootIsRefusedNamingTheIssuer) {
  Pkey unrelated_key = EcKey();
  Cert unrelated = MakeCert("Unrelated Root", unrelated_key.get(), nullptr,
                            unrelated_key.get(), true, kNow - absl::Hours(24),
                            kNow + absl::Hours(24));
  EkTrustStore store = Trusting(Pem(unrelated.get()));
  const std::vector<std::vector<uint8_t>> certs = {Der(leaf_), Der(inter_)};
  EXPECT_THAT(store.Verify(certs, EkPublic(ek_key_), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       AllOf(HasSubstr("does not chain to the trust bundle"),
                             HasSubstr("issuer"))));
}

TEST_F(EkTrustTest, LeafCannotActAsACa) {
  // A certificate "issued" by the EK certificate (CA:FALSE) is refused.
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  Cert child = MakeCert("Child", rsa, leaf_, ek_key_, false,
                        kNow - absl::Hours(1), kNow + absl::Hours(1));
  EkTrustStore store = Trusting(Pem(root_));
  const std::vector<std::vector<uint8_t>> certs = {Der(child.get()), Der(leaf_),
                                                   Der(inter_)};
  EXPECT_THAT(store.Verify(certs, EkPublic(rsa), kNow),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("does not chain")));
  EVP_PKEY_free(rsa);
}

TEST_F(EkTrustTest, MalformedInputIsInvalidArgumentNamingWhich) {
  EkTrustStore store = Trusting(Pem(root_));
  const std::vector<uint8_t> garbage = {0x30, 0x03, 0x01, 0x02};
  std::vector<std::vector<uint8_t>> certs = {garbage};
  EXPECT_THAT(store.Verify(certs, EkPublic(ek_key_), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("EK certificate: not a DER X.509")));
  certs = {Der(leaf_), garbage};
  EXPECT_THAT(store.Verify(certs, EkPublic(ek_key_), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("EK certificate chain [1]")));
  // Trailing bytes after the certificate.
  std::vector<uint8_t> trailing = Der(leaf_);
  trailing.push_back(0);
  certs = {trailing, Der(inter_)};
  EXPECT_THAT(store.Verify(certs, EkPublic(ek_key_), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("EK certificate")));
  certs = {Der(leaf_), Der(inter_)};
  EXPECT_THAT(store.Verify(certs, std::vector<uint8_t>{0, 4, 1, 2, 3, 4}, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("EK public area")));
}

TEST_F(EkTrustTest, EkPublicAreaMustBeARestrictedDecryptionKey) {
  EkTrustStore store = Trusting(Pem(root_));
  const std::vector<std::vector<uint8_t>> certs = {Der(leaf_), Der(inter_)};
  const std::vector<uint8_t> signing = EkPublic(
      ek_key_, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                   TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                   TPMA_OBJECT_SIGN_ENCRYPT);
  EXPECT_THAT(store.Verify(certs, signing, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a restricted decryption key")));
}

TEST_F(EkTrustTest, UncertifiedEkOnlyWhenAllowed) {
  EkTrustStore store = Trusting(Pem(root_));
  EXPECT_THAT(store.Verify({}, EkPublic(ek_key_), kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("allow_uncertified_ek is off")));
  EkVerifyOptions allow;
  allow.allow_uncertified = true;
  ASSERT_OK_AND_ASSIGN(TrustedEk ek,
                       store.Verify({}, EkPublic(ek_key_), kNow, allow));
  EXPECT_FALSE(ek.certified);
  EXPECT_TRUE(ek.issuer.empty());
  EXPECT_EQ(ek.device_id.size(), 64u);
}

TEST_F(EkTrustTest, LoadDirectoryReadsPemAndDerFiles) {
  Write("root.pem", Pem(root_));
  Write("intermediate.cer", Str(Der(inter_)));
  Write("notes.txt", "not a certificate, and not read");
  ASSERT_OK_AND_ASSIGN(EkTrustStore store, EkTrustStore::LoadDirectory(dir_));
  EXPECT_EQ(store.anchor_count(), 2u);
  // The DER intermediate alone is enough (pinned).
  const std::vector<std::vector<uint8_t>> certs = {Der(leaf_)};
  EXPECT_OK(store.Verify(certs, EkPublic(ek_key_), kNow));
}

TEST_F(EkTrustTest, LoadDirectoryReadsSeveralCertificatesPerPemFile) {
  Write("bundle.crt", Pem(root_) + Pem(inter_));
  ASSERT_OK_AND_ASSIGN(EkTrustStore store, EkTrustStore::LoadDirectory(dir_));
  EXPECT_EQ(store.anchor_count(), 2u);
}

TEST_F(EkTrustTest, LoadDirectoryNamesTheMalformedFile) {
  Write("a-good.pem", Pem(root_));
  Write("b-bad.pem",
        "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n"
        "-----END CERTIFICATE-----\n");
  EXPECT_THAT(EkTrustStore::LoadDirectory(dir_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(dir_ + "/b-bad.pem"),
                             HasSubstr("not valid PEM"))));
  std::filesystem::remove(dir_ + "/b-bad.pem");
  Write("c-bad.cer", "\x30\x82 garbage DER");
  EXPECT_THAT(EkTrustStore::LoadDirectory(dir_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(dir_ + "/c-bad.cer"),
                             HasSubstr("not a DER X.509"))));
}

TEST_F(EkTrustTest, EmptyAndMissingDirectoriesAreRefused) {
  EXPECT_THAT(
      EkTrustStore::LoadDirectory(dir_),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr(dir_), HasSubstr("holds no certificate"))));
  Write("readme.txt", "only notes here");
  EXPECT_THAT(EkTrustStore::LoadDirectory(dir_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("holds no certificate")));
  const std::string missing = dir_ + "/absent";
  EXPECT_THAT(
      EkTrustStore::LoadDirectory(missing),
      StatusIs(absl::StatusCode::kNotFound,
               AllOf(HasSubstr(missing), HasSubstr("not a directory"))));
  EXPECT_THAT(EkTrustStore::FromPem("no certificates here"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no certificate")));
}

}  // namespace
}  // namespace vigil::service
