// File: service/grpc/request_validation.h
// -----------------------------------------------------------------------------
// Shape checks on untrusted protocol messages before anything parses them
// (style.md trust table: service/grpc): sizes of every field and repeated
// field, required fields, known enum-like values. The limits are the ones
// protos/vigil/v1/*.proto document. Each failure is kInvalidArgument naming
// the field and the limit ("evidence.event_log: 17000000 bytes, limit
// 16777216").
#ifndef VIGIL_SERVICE_GRPC_REQUEST_VALIDATION_H_
#define VIGIL_SERVICE_GRPC_REQUEST_VALIDATION_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "service/verifier/device_registry.h"
#include "vigil/v1/attestation_service.pb.h"

namespace vigil::service {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kMaxEventLogBytes = 16u << 20;
inline constexpr size_t kMaxMessageBytes = 32u << 20;

absl::Status ValidateHello(const v1::AgentHello& hello);
absl::Status ValidateEvidence(const v1::Evidence& evidence);
absl::Status ValidateCredentialResponse(const v1::CredentialResponse& r);
absl::Status ValidateAttestationWanted(const v1::AttestationWanted& w);
// ValidateDeviceId: service/verifier/device_registry.h (the REST front
// end checks device ids too).
// The unary requests: their fields as above, plus "ticket"/"secret"
// (required, <= 64 bytes) and "relying_party_nonce" (<= 1024 bytes).
absl::Status ValidateActivateEnrollment(
    const v1::ActivateEnrollmentRequest& request);
absl::Status ValidateAttestRequest(const v1::AttestRequest& request);

// The caller as log lines name it. Behind a TLS front (listen_tls = front),
// whose connections all come from its own address, the front's
// x-forwarded-for (systemd/haproxy-vigil-agents.cfg.example sets it to the
// client's address) comes first: "192.0.2.7 via ipv4:127.0.0.1:40512".
// `forwarded_for` is untrusted (anything that reaches the loopback listener
// can send it): it is used only when it is one IPv4 or IPv6 address, so
// the worst it can do is put a wrong address in a log line, never other
// text; otherwise, and when absent, `peer` alone.
std::string PeerForLog(absl::string_view peer,
                       std::optional<absl::string_view> forwarded_for);

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_GRPC_REQUEST_VALIDATION_H_
