#include "service/verifier/hmac_key.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::service {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::vigil::testing::StatusIs;

std::vector<uint8_t> KeyBytes(size_t n, uint8_t seed = 1) {
  std::vector<uint8_t> k(n);
  for (size_t i = 0; i < n; ++i) k[i] = static_cast<uint8_t>(seed + i * 7);
  return k;
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/hmac_key_test_",
                                        getpid(), "_", name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::array<uint8_t, HmacKey::kMacSize> Mac(
    const HmacKey& k, absl::string_view label,
    std::initializer_list<absl::Span<const uint8_t>> parts) {
  absl::StatusOr<std::array<uint8_t, HmacKey::kMacSize>> m =
      k.Mac(label, parts);
  EXPECT_OK(m.status());
  return m.ok() ? *m : std::array<uint8_t, HmacKey::kMacSize>{};
}

TEST(HmacKey, FromBytesRefusesShortKeys) {
  EXPECT_THAT(HmacKey::FromBytes(KeyBytes(31)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("31 bytes, want at least 32")));
  EXPECT_THAT(
      HmacKey::FromBytes({}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0 bytes")));
  EXPECT_OK(HmacKey::FromBytes(KeyBytes(32)));
  EXPECT_OK(HmacKey::FromBytes(KeyBytes(64)));
}

TEST(HmacKey, MacIsHmacSha256OverTheLengthPrefixedParts) {
  // Deterministic for the same key, label and parts; any change differs.
  ASSERT_OK_AND_ASSIGN(HmacKey k, HmacKey::FromBytes(KeyBytes(32)));
  auto a = Mac(k, "label", {AsBytes("abc")});
  auto b = Mac(k, "label", {AsBytes("abc")});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, Mac(k, "label", {AsBytes("abd")}));
}

// The framing spelled out and MACed by OpenSSL's one-shot HMAC(): an
// independent path to the same bytes (keys shorter and longer than
// SHA-256's 64-byte block, which HMAC hashes first).
TEST(HmacKey, MacEqualsOneShotHmacOfTheFraming) {
  for (size_t key_size : {32, 64, 100}) {
    const std::vector<uint8_t> key = KeyBytes(key_size, 9);
    ASSERT_OK_AND_ASSIGN(HmacKey k, HmacKey::FromBytes(key));
    std::string framed = std::string("vigil nonce v1") + '\0';
    framed += std::string("\0\0\0\3abc", 7);
    framed += std::string("\0\0\0\0", 4);  // an empty part
    framed += std::string("\0\0\1\0", 4) + std::string(256, 'x');
    uint8_t want[32];
    unsigned int len = 0;
    ASSERT_NE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                   reinterpret_cast<const uint8_t*>(framed.data()),
                   framed.size(), want, &len),
              nullptr);
    const std::string big(256, 'x');
    auto got = Mac(k, "vigil nonce v1", {AsBytes("abc"), {}, AsBytes(big)});
    EXPECT_EQ(std::vector<uint8_t>(got.begin(), got.end()),
              std::vector<uint8_t>(want, want + len))
        << key_size;
  }
}

// One key serves every worker at once (each call copies the keyed state).
TEST(HmacKey, ConcurrentMacsAllAgree) {
  ASSERT_OK_AND_ASSIGN(HmacKey k, HmacKey::FromBytes(KeyBytes(32)));
  const auto want = Mac(k, "label", {AsBytes("device")});
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        absl::StatusOr<std::array<uint8_t, HmacKey::kMacSize>> m =
            k.Mac("label", {AsBytes("device")});
        if (!m.ok() || *m != want) ++wrong;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(HmacKey, DifferentSplitsOfTheSameBytesNeverCollide) {
  ASSERT_OK_AND_ASSIGN(HmacKey k, HmacKey::FromBytes(KeyBytes(32)));
  const auto ab_c = Mac(k, "l", {AsBytes("ab"), AsBytes("c")});
  const auto a_bc = Mac(k, "l", {AsBytes("a"), AsBytes("bc")});
  const auto abc = Mac(k, "l", {AsBytes("abc")});
  const auto abc_empty = Mac(k, "l", {AsBytes("abc"), AsBytes("")});
  EXPECT_NE(ab_c, a_bc);
  EXPECT_NE(ab_c, abc);
  EXPECT_NE(abc, abc_empty);
  // The label is separated from the parts too.
  EXPECT_NE(Mac(k, "la", {AsBytes("b")}), Mac(k, "l", {AsBytes("ab")}));
}

TEST(HmacKey, LabelAndKeySeparateUses) {
  ASSERT_OK_AND_ASSIGN(HmacKey k1, HmacKey::FromBytes(KeyBytes(32, 1)));
  ASSERT_OK_AND_ASSIGN(HmacKey k2, HmacKey::FromBytes(KeyBytes(32, 2)));
  EXPECT_NE(Mac(k1, "vigil nonce v1", {AsBytes("x")}),
            Mac(k1, "vigil enrol v1", {AsBytes("x")}));
  EXPECT_NE(Mac(k1, "l", {AsBytes("x")}), Mac(k2, "l", {AsBytes("x")}));
}

TEST(HmacKey, GeneratedKeysDiffer) {
  ASSERT_OK_AND_ASSIGN(HmacKey a, HmacKey::Generate());
  ASSERT_OK_AND_ASSIGN(HmacKey b, HmacKey::Generate());
  EXPECT_NE(Mac(a, "l", {AsBytes("x")}), Mac(b, "l", {AsBytes("x")}));
}

TEST(HmacKey, FromFileReadsHexAndBase64ToTheSameKey) {
  const std::vector<uint8_t> bytes = KeyBytes(32);
  ASSERT_OK_AND_ASSIGN(HmacKey direct, HmacKey::FromBytes(bytes));
  ASSERT_OK_AND_ASSIGN(HmacKey hex, HmacKey::FromFile(WriteTemp(
                                        "hex", HexEncode(bytes) + "\n")));
  ASSERT_OK_AND_ASSIGN(
      HmacKey b64,
      HmacKey::FromFile(WriteTemp("b64", "  " + Base64Encode(bytes) + "\r\n")));
  const auto want = Mac(direct, "l", {AsBytes("x")});
  EXPECT_EQ(Mac(hex, "l", {AsBytes("x")}), want);
  EXPECT_EQ(Mac(b64, "l", {AsBytes("x")}), want);
}

TEST(HmacKey, FromFileErrorsNameTheFileButNeverEchoItsContents) {
  const std::string missing = WriteTemp("missing", "") + ".absent";
  EXPECT_THAT(HmacKey::FromFile(missing),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr(missing), HasSubstr("cannot open"))));

  // Not hex, not base64: the text must not appear in the error.
  const std::string garbage = WriteTemp("garbage", "s3cr3t!pass*word~\n");
  EXPECT_THAT(HmacKey::FromFile(garbage),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(garbage), HasSubstr("not hex or base64"),
                             Not(HasSubstr("s3cr3t")))));

  // A valid encoding of a key that is too short: neither the text nor the
  // bytes appear.
  const std::string short_hex = HexEncode(KeyBytes(16));
  const std::string short_file = WriteTemp("short", short_hex);
  EXPECT_THAT(HmacKey::FromFile(short_file),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(short_file), HasSubstr("16 bytes"),
                             Not(HasSubstr(short_hex)),
                             Not(HasSubstr(short_hex.substr(0, 8))))));
  const std::string empty = WriteTemp("empty", "\n");
  EXPECT_THAT(HmacKey::FromFile(empty),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(empty)));

  // Not a regular file: a directory, or a FIFO (which must not hang).
  const std::string dir = std::filesystem::path(empty).parent_path();
  EXPECT_THAT(HmacKey::FromFile(dir),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(dir), HasSubstr("not a regular file"))));
  const std::string fifo = WriteTemp("fifo", "") + ".fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THAT(HmacKey::FromFile(fifo),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a regular file")));
  unlink(fifo.c_str());
  // Not a key file at all (a key is < 1 KB of text): refused by size,
  // whatever it holds.
  const std::string big = WriteTemp("big", std::string(64 * 1024 + 1, 'a'));
  EXPECT_THAT(HmacKey::FromFile(big),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(big), HasSubstr("over 65536 bytes"))));
  // Exactly the limit is read (and then judged as text).
  const std::string at_limit = WriteTemp(
      "limit", HexEncode(KeyBytes(32)) + std::string(64 * 1024 - 64, ' '));
  EXPECT_OK(HmacKey::FromFile(at_limit).status());
}

TEST(ConstantTimeEquals, ComparesContentAndSize) {
  const std::vector<uint8_t> a = {1, 2, 3};
  const std::vector<uint8_t> b = {1, 2, 4};
  const std::vector<uint8_t> prefix = {1, 2};
  EXPECT_TRUE(ConstantTimeEquals(a, a));
  EXPECT_FALSE(ConstantTimeEquals(a, b));
  EXPECT_FALSE(ConstantTimeEquals(a, prefix));
  EXPECT_TRUE(ConstantTimeEquals({}, {}));
}

}  // namespace
}  // namespace vigil::service
