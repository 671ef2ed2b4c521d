#include "service/grpc/request_validation.h"

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/grpc/status_mapping.h"

namespace vigil::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::vigil::testing::IsOk;
using ::vigil::testing::StatusIs;

std::string Bytes(size_t n) { return std::string(n, 'x'); }

// Messages with every field at its limit: valid.
v1::AgentHello FullHello() {
  v1::AgentHello h;
  h.set_protocol_version(kProtocolVersion);
  h.set_agent_version(Bytes(256));
  for (int i = 0; i < 4; ++i) h.add_ek_certificates(Bytes(8192));
  h.set_ek_public(Bytes(1024));
  h.set_ak_public(Bytes(1024));
  h.set_hostname(Bytes(256));
  h.mutable_tpm_info()->set_manufacturer(Bytes(16));
  h.mutable_tpm_info()->set_vendor(Bytes(64));
  h.mutable_tpm_info()->set_firmware_version(Bytes(32));
  return h;
}

v1::Evidence FullEvidence() {
  v1::Evidence e;
  e.set_nonce(Bytes(64));
  for (int q = 0; q < 8; ++q) {
    v1::Quote* quote = e.add_quotes();
    quote->set_attest(Bytes(1024));
    quote->set_signature(Bytes(1024));
    for (int b = 0; b < 8; ++b) {
      v1::PcrBank* bank = quote->add_pcrs();
      for (int i = 0; i < 24; ++i) {
        v1::PcrValue* v = bank->add_values();
        v->set_index(i);
        v->set_digest(Bytes(64));
      }
    }
  }
  e.set_event_log(Bytes(kMaxEventLogBytes));
  e.mutable_tpm_info()->set_manufacturer(Bytes(16));
  return e;
}

struct Case {
  std::string name;
  std::function<void(v1::AgentHello&)> mutate;
  std::string want;  // the one-line message, exactly
};

TEST(PeerForLog, TheFrontsAddressComesFirstWhenItIsOneAddress) {
  const std::string peer = "ipv4:127.0.0.1:40512";
  EXPECT_EQ(PeerForLog(peer, std::nullopt), peer);
  EXPECT_EQ(PeerForLog(peer, "192.0.2.7"), "192.0.2.7 via " + peer);
  EXPECT_EQ(PeerForLog(peer, "2001:db8::7"), "2001:db8::7 via " + peer);
  // Anything else that reaches the listener could send anything: it never
  // gets into the line.
  for (const char* bad :
       {"", "192.0.2.7, 198.51.100.1", "192.0.2.7\nvigil-verifier: forged",
        "example.com", "192.0.2.256", "::ffff:192.0.2.7 ", "1.2.3.4:80",
        "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255.1"}) {
    EXPECT_EQ(PeerForLog(peer, bad), peer) << bad;
  }
}

TEST(ValidateHello, FieldsAtTheirLimitsPass) {
  EXPECT_OK(ValidateHello(FullHello()));
}

TEST(ValidateHello, EachFieldOneOverItsLimitIsNamedWithTheLimit) {
  const std::vector<Case> cases = {
      {"agent_version", [](auto& h) { h.set_agent_version(Bytes(257)); },
       "hello.agent_version: 257 bytes, limit 256"},
      {"ek_certificates count", [](auto& h) { h.add_ek_certificates("x"); },
       "hello.ek_certificates: got 5, want 0..4"},
      {"ek_certificates[2]",
       [](auto& h) { h.set_ek_certificates(2, Bytes(8193)); },
       "hello.ek_certificates[2]: 8193 bytes, limit 8192"},
      {"ek_public", [](auto& h) { h.set_ek_public(Bytes(1025)); },
       "hello.ek_public: 1025 bytes, limit 1024"},
      {"ak_public", [](auto& h) { h.set_ak_public(Bytes(1025)); },
       "hello.ak_public: 1025 bytes, limit 1024"},
      {"hostname", [](auto& h) { h.set_hostname(Bytes(257)); },
       "hello.hostname: 257 bytes, limit 256"},
      {"manufacturer",
       [](auto& h) { h.mutable_tpm_info()->set_manufacturer(Bytes(17)); },
       "hello.tpm_info.manufacturer: 17 bytes, limit 16"},
      {"vendor", [](auto& h) { h.mutable_tpm_info()->set_vendor(Bytes(65)); },
       "hello.tpm_info.vendor: 65 bytes, limit 64"},
      {"firmware_version",
       [](auto& h) { h.mutable_tpm_info()->set_firmware_version(Bytes(33)); },
       "hello.tpm_info.firmware_version: 33 bytes, limit 32"},
      {"ek_public missing", [](auto& h) { h.clear_ek_public(); },
       "hello.ek_public: missing"},
      {"ak_public missing", [](auto& h) { h.clear_ak_public(); },
       "hello.ak_public: missing"},
  };
  for (const Case& c : cases) {
    v1::AgentHello h = FullHello();
    c.mutate(h);
    EXPECT_THAT(ValidateHello(h),
                StatusIs(absl::StatusCode::kInvalidArgument, c.want))
        << c.name;
  }
}

TEST(ValidateHello, ProtocolVersionMismatchIsFailedPreconditionNamingBoth) {
  for (uint32_t version : {0u, 2u, 0xFFFFFFFFu}) {
    v1::AgentHello h = FullHello();
    h.set_protocol_version(version);
    EXPECT_THAT(
        ValidateHello(h),
        StatusIs(absl::StatusCode::kFailedPrecondition,
                 absl::StrCat("hello.protocol_version: ", version,
                              " is not spoken here; this verifier speaks 1")));
  }
}

TEST(ValidateEvidence, FieldsAtTheirLimitsPass) {
  EXPECT_OK(ValidateEvidence(FullEvidence()));
}

TEST(ValidateEvidence, EachFieldOneOverItsLimitIsNamedWithTheLimit) {
  struct EvidenceCase {
    std::string name;
    std::function<void(v1::Evidence&)> mutate;
    std::string want;
  };
  const std::vector<EvidenceCase> cases = {
      {"nonce", [](auto& e) { e.set_nonce(Bytes(65)); },
       "evidence.nonce: 65 bytes, limit 64"},
      {"nonce missing", [](auto& e) { e.clear_nonce(); },
       "evidence.nonce: missing"},
      {"no quotes", [](auto& e) { e.clear_quotes(); },
       "evidence.quotes: got 0, want 1..8"},
      {"quotes", [](auto& e) { *e.add_quotes() = e.quotes(0); },
       "evidence.quotes: got 9, want 1..8"},
      {"attest", [](auto& e) { e.mutable_quotes(3)->set_attest(Bytes(1025)); },
       "evidence.quotes[3].attest: 1025 bytes, limit 1024"},
      {"attest missing", [](auto& e) { e.mutable_quotes(0)->clear_attest(); },
       "evidence.quotes[0].attest: missing"},
      {"signature",
       [](auto& e) { e.mutable_quotes(7)->set_signature(Bytes(1025)); },
       "evidence.quotes[7].signature: 1025 bytes, limit 1024"},
      {"signature missing",
       [](auto& e) { e.mutable_quotes(1)->clear_signature(); },
       "evidence.quotes[1].signature: missing"},
      {"banks",
       [](auto& e) { e.mutable_quotes(0)->add_pcrs()->set_hash_alg(11); },
       "evidence.quotes[0].pcrs (banks): got 9, want 0..8"},
      {"values",
       [](auto& e) {
         e.mutable_quotes(2)->mutable_pcrs(5)->add_values()->set_index(0);
       },
       "evidence.quotes[2].pcrs[5].values: got 25, want 0..24"},
      {"digest",
       [](auto& e) {
         e.mutable_quotes(1)->mutable_pcrs(4)->mutable_values(23)->set_digest(
             Bytes(65));
       },
       "evidence.quotes[1].pcrs[4].values[23].digest: 65 bytes, limit 64"},
      {"event_log",
       [](auto& e) { e.set_event_log(Bytes(kMaxEventLogBytes + 1)); },
       "evidence.event_log: 16777217 bytes, limit 16777216"},
      {"event_log missing", [](auto& e) { e.clear_event_log(); },
       "evidence.event_log: missing"},
      {"event_log and its digest",
       [](auto& e) { e.set_event_log_sha256(std::string(32, 'd')); },
       "evidence: event_log and event_log_sha256 both set; send one"},
      {"event_log_sha256 short",
       [](auto& e) {
         e.clear_event_log();
         e.set_event_log_sha256(std::string(31, 'd'));
       },
       "evidence.event_log_sha256: 31 bytes, want 32"},
      {"manufacturer",
       [](auto& e) { e.mutable_tpm_info()->set_manufacturer(Bytes(17)); },
       "evidence.tpm_info.manufacturer: 17 bytes, limit 16"},
  };
  for (const EvidenceCase& c : cases) {
    v1::Evidence e = FullEvidence();
    c.mutate(e);
    EXPECT_THAT(ValidateEvidence(e),
                StatusIs(absl::StatusCode::kInvalidArgument, c.want))
        << c.name;
  }
}

TEST(ValidateCredentialResponse, SecretIsRequiredAndAtMost64Bytes) {
  v1::CredentialResponse r;
  EXPECT_THAT(ValidateCredentialResponse(r),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "credential.secret: missing"));
  r.set_secret(Bytes(64));
  EXPECT_OK(ValidateCredentialResponse(r));
  r.set_secret(Bytes(65));
  EXPECT_THAT(ValidateCredentialResponse(r),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "credential.secret: 65 bytes, limit 64"));
}

TEST(ValidateActivateEnrollment, NamesTicketOrSecretAndTheLimit) {
  v1::ActivateEnrollmentRequest r;
  *r.mutable_hello() = FullHello();
  r.set_ticket(Bytes(64));
  r.set_secret(Bytes(64));
  EXPECT_OK(ValidateActivateEnrollment(r));
  r.set_ticket(Bytes(65));
  EXPECT_THAT(ValidateActivateEnrollment(r),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "ticket: 65 bytes, limit 64"));
  r.set_ticket(Bytes(64));
  r.set_secret(Bytes(65));
  EXPECT_THAT(ValidateActivateEnrollment(r),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "secret: 65 bytes, limit 64"));
  r.clear_secret();
  EXPECT_THAT(ValidateActivateEnrollment(r),
              StatusIs(absl::StatusCode::kInvalidArgument, "secret: missing"));
}

TEST(ValidateAttestRequest, NamesTheRelyingPartyNonceAndItsLimit) {
  v1::AttestRequest r;
  r.set_device_id(std::string(64, 'a'));
  v1::Quote* q = r.mutable_evidence()->add_quotes();
  q->set_attest("a");
  q->set_signature("s");
  r.mutable_evidence()->set_nonce(Bytes(41));
  r.mutable_evidence()->set_event_log("log");
  r.set_relying_party_nonce(Bytes(1024));
  ASSERT_OK(ValidateAttestRequest(r));
  r.set_relying_party_nonce(Bytes(1025));
  EXPECT_THAT(ValidateAttestRequest(r),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "relying_party_nonce: 1025 bytes, limit 1024"));
  r.set_device_id("short");
  EXPECT_THAT(ValidateAttestRequest(r),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("device_id")));
}

TEST(ValidateAttestationWanted, ReasonIsAtMost64Bytes) {
  v1::AttestationWanted w;
  EXPECT_OK(ValidateAttestationWanted(w));
  w.set_reason(Bytes(64));
  EXPECT_OK(ValidateAttestationWanted(w));
  w.set_reason(Bytes(65));
  EXPECT_THAT(ValidateAttestationWanted(w),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "attestation_wanted.reason: 65 bytes, limit 64"));
}

TEST(ValidateDeviceId, WantsExactly64LowerCaseHexDigits) {
  const std::string good(64, 'a');
  EXPECT_OK(ValidateDeviceId(good));
  EXPECT_OK(ValidateDeviceId(std::string(32, '0') + std::string(32, 'f')));
  EXPECT_THAT(ValidateDeviceId(std::string(63, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "device_id: 63 characters, want 64 hex digits"));
  EXPECT_THAT(
      ValidateDeviceId(std::string(65, 'a')),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("65 characters")));
  EXPECT_THAT(ValidateDeviceId(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("0 characters")));
  for (char bad : {'A', 'F', 'g', '-', ' ', '\0', '/'}) {
    std::string id = good;
    id[10] = bad;
    EXPECT_THAT(ValidateDeviceId(id),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "device_id: want lower-case hex digits"))
        << static_cast<int>(bad);
  }
}

TEST(ToGrpcStatus, CodesMapOneToOneAndMessagesPassThrough) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  for (absl::StatusCode code :
       {absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound,
        absl::StatusCode::kUnauthenticated,
        absl::StatusCode::kFailedPrecondition,
        absl::StatusCode::kResourceExhausted,
        absl::StatusCode::kDeadlineExceeded, absl::StatusCode::kUnavailable,
        absl::StatusCode::kPermissionDenied, absl::StatusCode::kAborted}) {
    grpc::Status g = ToGrpcStatus(absl::Status(code, "device abc: why"));
    EXPECT_EQ(static_cast<int>(g.error_code()), static_cast<int>(code));
    EXPECT_EQ(g.error_message(), "device abc: why");
  }
}

TEST(ToGrpcStatus, InternalAndUnknownMessagesNeverReachTheClient) {
  for (absl::StatusCode code :
       {absl::StatusCode::kInternal, absl::StatusCode::kUnknown}) {
    grpc::Status g = ToGrpcStatus(
        absl::Status(code, "OpenSSL: error:0480006C at /etc/vigil/secret.key"));
    EXPECT_EQ(static_cast<int>(g.error_code()), static_cast<int>(code));
    EXPECT_THAT(g.error_message(), Not(HasSubstr("OpenSSL")));
    EXPECT_THAT(g.error_message(), Not(HasSubstr("/etc/vigil")));
    EXPECT_EQ(g.error_message(), "internal error in the verifier (logged)");
  }
}

}  // namespace
}  // namespace vigil::service
