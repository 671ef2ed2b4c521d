// DecodeUntrusted over gRPC's own ByteBuffers: one slice read in place,
// several joined into the thread's reused join buffer (cleared between
// messages, released when large), refusals naming what and where.
#include "service/grpc/untrusted_codec.h"

#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vigil/v1/attestation_service.pb.h"

namespace vigil::service {
namespace {

using ::testing::StartsWith;
using ::vigil::testing::StatusIs;

// `bytes` as gRPC would hand them over after `pieces` reads.
grpc::ByteBuffer InSlices(const std::string& bytes, size_t pieces) {
  std::vector<grpc::Slice> slices;
  const size_t step = (bytes.size() + pieces - 1) / pieces;
  for (size_t at = 0; at < bytes.size(); at += step) {
    slices.emplace_back(bytes.substr(at, step));
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

v1::AgentMessage Evidence(size_t log_bytes, char fill) {
  v1::AgentMessage m;
  m.mutable_evidence()->set_nonce(std::string(32, 'n'));
  m.mutable_evidence()->set_event_log(std::string(log_bytes, fill));
  return m;
}

TEST(DecodeUntrusted, OneSliceOrSeveralDecodeTheSame) {
  const v1::AgentMessage sent = Evidence(45000, 'a');
  for (size_t pieces : {1, 2, 7}) {
    grpc::ByteBuffer in = InSlices(sent.SerializeAsString(), pieces);
    v1::AgentMessage got;
    ASSERT_OK(DecodeUntrusted(&in, "agent message", &got)) << pieces;
    EXPECT_EQ(got.SerializeAsString(), sent.SerializeAsString()) << pieces;
    // gRPC's bytes are released at once (they count against the quota).
    EXPECT_EQ(in.Length(), 0u);
  }
}

// The join buffer is this thread's and reused: a shorter message after a
// longer one must not see the longer one's tail.
TEST(DecodeUntrusted, TheReusedJoinBufferHoldsOnlyTheMessageAtHand) {
  // (Decoding the two joined would merge them: `first`'s event_log_sha256
  // would show.)
  v1::AgentMessage first = Evidence(60000, 'a');
  first.mutable_evidence()->set_event_log_sha256(std::string(32, 'h'));
  const v1::AgentMessage second = Evidence(1000, 'b');
  v1::AgentMessage got;
  grpc::ByteBuffer in = InSlices(first.SerializeAsString(), 3);
  ASSERT_OK(DecodeUntrusted(&in, "agent message", &got));
  EXPECT_GE(untrusted_codec_internal::JoinBuffer().capacity(), 60000u);
  in = InSlices(second.SerializeAsString(), 3);
  ASSERT_OK(DecodeUntrusted(&in, "agent message", &got));
  EXPECT_EQ(got.SerializeAsString(), second.SerializeAsString());
}

TEST(DecodeUntrusted, LargeJoinBuffersAreNotKept) {
  const v1::AgentMessage sent =
      Evidence(untrusted_codec_internal::kKeptJoinBufferBytes + 1, 'c');
  grpc::ByteBuffer in = InSlices(sent.SerializeAsString(), 2);
  v1::AgentMessage got;
  ASSERT_OK(DecodeUntrusted(&in, "agent message", &got));
  EXPECT_EQ(got.evidence().event_log(), sent.evidence().event_log());
  EXPECT_LT(untrusted_codec_internal::JoinBuffer().capacity(), 1024u);
}

TEST(DecodeUntrusted, RefusalsNameWhatAndWhere) {
  // Field 3 (evidence) says 16 bytes follow; 1 does.
  grpc::ByteBuffer in = InSlices(std::string("\x1a\x10\x08", 3), 2);
  v1::AgentMessage got;
  EXPECT_THAT(DecodeUntrusted(&in, "agent message", &got),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "agent message: offset 0: field 3: length 16 runs "
                       "past the end (1 bytes left)"));
  EXPECT_EQ(in.Length(), 0u);
  // A refusal does not poison the next message on this thread.
  const v1::AgentMessage sent = Evidence(100, 'd');
  in = InSlices(sent.SerializeAsString(), 2);
  ASSERT_OK(DecodeUntrusted(&in, "agent message", &got));
  EXPECT_EQ(got.SerializeAsString(), sent.SerializeAsString());
}

}  // namespace
}  // namespace vigil::service
