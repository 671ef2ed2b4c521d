#include "service/token/compact_jws.h"

#include <string>

#include "common/encoding.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::token {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;

std::string B64(const std::string& s) { return Base64UrlEncode(AsBytes(s)); }

std::string Token(const std::string& header, const std::string& payload,
                  const std::string& sig = "sig") {
  return B64(header) + "." + B64(payload) + "." + B64(sig);
}

constexpr char kHeader[] = R"({"alg":"ES256","kid":"k"})";
constexpr char kPayload[] = R"({"iss":"i","exp":1738120398,"aud":["a","b"]})";

TEST(SplitCompactJws, SplitsIntoThreeViews) {
  const std::string token = Token(kHeader, kPayload);
  ASSERT_OK_AND_ASSIGN(CompactJwsSegments s, SplitCompactJws(token));
  EXPECT_EQ(s.header, B64(kHeader));
  EXPECT_EQ(s.payload, B64(kPayload));
  EXPECT_EQ(s.signature, B64("sig"));
  EXPECT_EQ(s.signing_input, B64(kHeader) + "." + B64(kPayload));
}

TEST(SplitCompactJws, NamesTheSegmentThatIsWrong) {
  const auto k = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(SplitCompactJws(""), StatusIs(k, "token: empty"));
  EXPECT_THAT(
      SplitCompactJws("a.b"),
      StatusIs(k, "token: 2 segments, want 3 (header.payload.signature)"));
  EXPECT_THAT(SplitCompactJws("a.b.c.d.e"),
              StatusIs(k, HasSubstr("5 is a JWE")));
  EXPECT_THAT(SplitCompactJws(".b.c"), StatusIs(k, "header: empty"));
  EXPECT_THAT(SplitCompactJws("a..c"), StatusIs(k, "payload: empty"));
  EXPECT_THAT(SplitCompactJws("a.b."),
              StatusIs(k, HasSubstr("signature: empty (unsecured")));
  EXPECT_THAT(SplitCompactJws("a.b.c=="),
              StatusIs(k, HasSubstr("signature: has '=' padding")));
  EXPECT_THAT(SplitCompactJws(std::string(2 << 20, 'a')),
              StatusIs(k, HasSubstr("token: 2097152 bytes, at most 1048576")));
  EXPECT_THAT(SplitCompactJws(std::string(20000, 'a') + ".b.c"),
              StatusIs(k, "header: 20000 bytes, at most 16384"));
}

TEST(SplitCompactJws, EmptyPayloadAndSignatureOnlyWhenAllowed) {
  const auto k = absl::StatusCode::kInvalidArgument;
  // Azure Attestation's unsigned reset document (maa-spec §5.2).
  const std::string reset = "eyJhbGciOiJub25lIn0..";
  EXPECT_THAT(SplitCompactJws(reset), StatusIs(k, "payload: empty"));
  EXPECT_THAT(SplitCompactJws(reset, {}, {.payload = true}),
              StatusIs(k, HasSubstr("signature: empty")));
  ASSERT_OK_AND_ASSIGN(
      CompactJwsSegments s,
      SplitCompactJws(reset, {}, {.payload = true, .signature = true}));
  EXPECT_EQ(s.header, "eyJhbGciOiJub25lIn0");
  EXPECT_EQ(s.payload, "");
  EXPECT_EQ(s.signature, "");
  EXPECT_EQ(s.signing_input, "eyJhbGciOiJub25lIn0.");
  // The header stays required.
  EXPECT_THAT(SplitCompactJws("..", {}, {.payload = true, .signature = true}),
              StatusIs(k, "header: empty"));
}

TEST(DecodeJwsHeader, ReportsFieldProblems) {
  const auto k = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(DecodeJwsHeader("a*b"), StatusIs(k, HasSubstr("header: ")));
  EXPECT_THAT(DecodeJwsHeader(B64("[1]")),
              StatusIs(k, "header: not a JSON object"));
  EXPECT_THAT(DecodeJwsHeader(B64("{\"alg\":")),
              StatusIs(k, HasSubstr("header: not JSON: ")));
  EXPECT_THAT(DecodeJwsHeader(B64("{}")),
              StatusIs(k, HasSubstr("header: \"alg\" is missing")));
  EXPECT_THAT(DecodeJwsHeader(B64(R"({"alg":5})")),
              StatusIs(k, "header: \"alg\": not a string"));
  EXPECT_THAT(DecodeJwsHeader(B64(R"({"alg":"ES256","kid":1})")),
              StatusIs(k, "header: \"kid\": not a string"));
  EXPECT_THAT(DecodeJwsHeader(B64(R"({"alg":"ES256","alg":"none"})")),
              StatusIs(k, "header: duplicate member \"alg\""));
  EXPECT_THAT(DecodeJwsHeader(B64(R"({"alg":"ES256","crit":[]})")),
              StatusIs(k, HasSubstr("\"crit\": not a non-empty array")));
  EXPECT_THAT(DecodeJwsHeader(B64(R"({"alg":"ES256","x":[[[[[1]]]]]})")),
              StatusIs(k, HasSubstr("nesting deeper than")));
  ASSERT_OK_AND_ASSIGN(
      JwsHeader h,
      DecodeJwsHeader(B64(R"({"alg":"ES256","kid":"k","crit":["b64"]})")));
  EXPECT_EQ(h.alg, "ES256");
  EXPECT_EQ(*h.kid, "k");
  EXPECT_EQ(h.crit, std::vector<std::string>{"b64"});
}

TEST(ReadRegisteredClaims, TypesAreChecked) {
  const auto k = absl::StatusCode::kInvalidArgument;
  auto read = [](const char* json) {
    return ReadRegisteredClaims(Json::parse(json));
  };
  EXPECT_THAT(read(R"({"exp":"soon"})"),
              StatusIs(k, "payload: \"exp\": not a NumericDate (RFC 7519 §2)"));
  EXPECT_THAT(read(R"({"nbf":-1})"),
              StatusIs(k, HasSubstr("\"nbf\": not a NumericDate")));
  EXPECT_THAT(read(R"({"iat":1e300})"),
              StatusIs(k, HasSubstr("\"iat\": not a NumericDate")));
  EXPECT_THAT(read(R"({"exp":18446744073709551615})"),
              StatusIs(k, HasSubstr("\"exp\": not a NumericDate")));
  EXPECT_THAT(read(R"({"iss":1})"),
              StatusIs(k, "payload: \"iss\": not a string"));
  EXPECT_THAT(read(R"({"aud":[1]})"),
              StatusIs(k, HasSubstr("\"aud\": not all strings")));
  ASSERT_OK_AND_ASSIGN(RegisteredClaims r,
                       read(R"({"exp":1738120398.9,"aud":"x"})"));
  EXPECT_EQ(*r.expiration, absl::FromUnixSeconds(1738120398));
  EXPECT_EQ(r.audiences, std::vector<std::string>{"x"});
}

TEST(ParseUnverifiedJwt, ReadsEverythingAndChecksNothingElse) {
  ASSERT_OK_AND_ASSIGN(UnverifiedJwt jwt,
                       ParseUnverifiedJwt(Token(kHeader, kPayload)));
  EXPECT_EQ(jwt.header.alg, "ES256");
  EXPECT_EQ(*jwt.registered.issuer, "i");
  EXPECT_EQ(jwt.registered.audiences.size(), 2u);
  EXPECT_EQ(jwt.signature, "sig");
  EXPECT_THAT(ParseUnverifiedJwt(Token(kHeader, R"({"exp":1,"exp":2})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "payload: duplicate member \"exp\""));
  EXPECT_THAT(ParseUnverifiedJwt(Token(kHeader, "\"just a string\"")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "payload: not a JSON object"));
  EXPECT_THAT(ParseUnverifiedJwt(Token(kHeader, "{\"a\":\"\xFF\"}")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("payload: not JSON")));
}

}  // namespace
}  // namespace vigil::token
