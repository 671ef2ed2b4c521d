#include "tpm/verify/random_source.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::tpm {
namespace {

// Byte i of its stream is a function of i alone, so where each handed-out
// byte came from can be checked; counts the draws and can be made to fail.
class StreamSource : public RandomSource {
 public:
  static uint8_t ByteAt(uint64_t i) {
    return static_cast<uint8_t>((i * 2654435761u) >> 13);
  }
  absl::Status Fill(absl::Span<uint8_t> out) override {
    ++draws;
    if (fail) return absl::InternalError("no randomness");
    for (uint8_t& b : out) b = ByteAt(next++);
    return absl::OkStatus();
  }
  uint64_t next = 0;
  int draws = 0;
  bool fail = false;
};

std::vector<uint8_t> Stream(uint64_t from, size_t n) {
  std::vector<uint8_t> v;
  for (size_t i = 0; i < n; ++i) v.push_back(StreamSource::ByteAt(from + i));
  return v;
}

TEST(BufferedRandomSource, HandsOutTheSourcesBytesInOrderOneBlockPerDraw) {
  StreamSource src;
  BufferedRandomSource buffered(&src);
  std::vector<uint8_t> got;
  for (int i = 0; i < 300; ++i) {  // 4,800 bytes: two blocks
    std::vector<uint8_t> n(16);
    ASSERT_TRUE(buffered.Fill(absl::MakeSpan(n)).ok());
    got.insert(got.end(), n.begin(), n.end());
  }
  EXPECT_EQ(got, Stream(0, 4800));
  EXPECT_EQ(src.draws, 2);
}

TEST(BufferedRandomSource, AFillAcrossTheEndOfABlockTakesTheNextBlock) {
  StreamSource src;
  BufferedRandomSource buffered(&src);
  std::vector<uint8_t> a(BufferedRandomSource::kBlock / 4);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(buffered.Fill(absl::MakeSpan(a)).ok());
  std::vector<uint8_t> b(1000);  // 1,024 left in the block
  ASSERT_TRUE(buffered.Fill(absl::MakeSpan(b)).ok());
  std::vector<uint8_t> c(100);  // 24 from this block, 76 from the next
  ASSERT_TRUE(buffered.Fill(absl::MakeSpan(c)).ok());
  EXPECT_EQ(c, Stream(3 * 1024 + 1000, 100));
  EXPECT_EQ(src.draws, 2);
}

TEST(BufferedRandomSource, LargeRequestsGoToTheSourceDirectly) {
  StreamSource src;
  BufferedRandomSource buffered(&src);
  std::vector<uint8_t> small(16), large(BufferedRandomSource::kBlock / 4 + 1);
  ASSERT_TRUE(buffered.Fill(absl::MakeSpan(small)).ok());
  ASSERT_TRUE(buffered.Fill(absl::MakeSpan(large)).ok());
  EXPECT_EQ(large, Stream(BufferedRandomSource::kBlock, large.size()));
  EXPECT_EQ(src.draws, 2);
  ASSERT_TRUE(buffered.Fill(absl::MakeSpan(small)).ok());  // from the block
  EXPECT_EQ(small, Stream(16, 16));
}

TEST(BufferedRandomSource, AFailedDrawFailsTheFillAndHandsOutNothingOfIt) {
  StreamSource src;
  src.fail = true;
  BufferedRandomSource buffered(&src);
  std::vector<uint8_t> n(16);
  absl::Status s = buffered.Fill(absl::MakeSpan(n));
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  src.fail = false;
  ASSERT_TRUE(buffered.Fill(absl::MakeSpan(n)).ok());
  EXPECT_EQ(n, Stream(0, 16));  // a fresh draw
  EXPECT_EQ(src.draws, 2);
}

TEST(BufferedRandomSource, AForkedChildDoesNotHandOutTheParentsBytes) {
  StreamSource src;
  BufferedRandomSource buffered(&src);
  std::vector<uint8_t> first(16);
  ASSERT_TRUE(buffered.Fill(absl::MakeSpan(first)).ok());  // draws block 0

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child's copy of the source draws on from the parent's position:
    // a buffer kept across the fork would give bytes 16..31 instead.
    std::vector<uint8_t> n(16);
    const bool ok = buffered.Fill(absl::MakeSpan(n)).ok();
    const ssize_t w = ok ? write(fds[1], n.data(), n.size()) : 0;
    _exit(w == 16 ? 0 : 1);
  }
  close(fds[1]);
  std::vector<uint8_t> child(16);
  EXPECT_EQ(read(fds[0], child.data(), child.size()), 16);
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  std::vector<uint8_t> parent(16);
  ASSERT_TRUE(buffered.Fill(absl::MakeSpan(parent)).ok());
  EXPECT_EQ(parent, Stream(16, 16));
  EXPECT_EQ(child, Stream(BufferedRandomSource::kBlock, 16));
  EXPECT_NE(child, parent);
}

TEST(BufferedRandomSource, OverOpenSslTwoFillsDiffer) {
  OpenSslRandomSource rng;
  BufferedRandomSource buffered(&rng);
  std::vector<uint8_t> a(16), b(16);
  ASSERT_TRUE(buffered.Fill(absl::MakeSpan(a)).ok());
  ASSERT_TRUE(buffered.Fill(absl::MakeSpan(b)).ok());
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace vigil::tpm
