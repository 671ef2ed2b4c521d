#include "service/grpc/request_validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace vigil::service {
namespace {

absl::Status Size(absl::string_view field, size_t got, size_t limit) {
  if (got <= limit) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", got, " bytes, limit ", limit));
}

absl::Status Count(absl::string_view field, int got, int min, int max) {
  if (got >= min && got <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": got ", got, ", want ",
                   min == max ? "" : absl::StrCat(min, ".."), max));
}

absl::Status Required(absl::string_view field, size_t size) {
  if (size > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": missing"));
}

absl::Status ValidateTpmInfo(absl::string_view prefix, const v1::TpmInfo& t) {
  RETURN_IF_ERROR(
      Size(absl::StrCat(prefix, ".manufacturer"), t.manufacturer().size(), 16));
  RETURN_IF_ERROR(Size(absl::StrCat(prefix, ".vendor"), t.vendor().size(), 64));
  RETURN_IF_ERROR(Size(absl::StrCat(prefix, ".firmware_version"),
                       t.firmware_version().size(), 32));
  return absl::OkStatus();
}

absl::Status ValidateBanks(
    absl::string_view prefix,
    const google::protobuf::RepeatedPtrField<v1::PcrBank>& banks) {
  RETURN_IF_ERROR(
      Count(absl::StrCat(prefix, ".pcrs (banks)"), banks.size(), 0, 8));
  for (int i = 0; i < banks.size(); ++i) {
    RETURN_IF_ERROR(Count(absl::StrCat(prefix, ".pcrs[", i, "].values"),
                          banks[i].values_size(), 0, 24));
    for (int j = 0; j < banks[i].values_size(); ++j) {
      RETURN_IF_ERROR(
          Size(absl::StrCat(prefix, ".pcrs[", i, "].values[", j, "].digest"),
               banks[i].values(j).digest().size(), 64));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateHello(const v1::AgentHello& hello) {
  if (hello.protocol_version() != kProtocolVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "hello.protocol_version: ", hello.protocol_version(),
        " is not spoken here; this verifier speaks ", kProtocolVersion));
  }
  RETURN_IF_ERROR(
      Size("hello.agent_version", hello.agent_version().size(), 256));
  RETURN_IF_ERROR(
      Count("hello.ek_certificates", hello.ek_certificates_size(), 0, 4));
  for (int i = 0; i < hello.ek_certificates_size(); ++i) {
    RETURN_IF_ERROR(Size(absl::StrCat("hello.ek_certificates[", i, "]"),
                         hello.ek_certificates(i).size(), 8192));
  }
  RETURN_IF_ERROR(Required("hello.ek_public", hello.ek_public().size()));
  RETURN_IF_ERROR(Size("hello.ek_public", hello.ek_public().size(), 1024));
  RETURN_IF_ERROR(Required("hello.ak_public", hello.ak_public().size()));
  RETURN_IF_ERROR(Size("hello.ak_public", hello.ak_public().size(), 1024));
  RETURN_IF_ERROR(Size("hello.hostname", hello.hostname().size(), 256));
  return ValidateTpmInfo("hello.tpm_info", hello.tpm_info());
}

absl::Status ValidateEvidence(const v1::Evidence& evidence) {
  RETURN_IF_ERROR(Required("evidence.nonce", evidence.nonce().size()));
  RETURN_IF_ERROR(Size("evidence.nonce", evidence.nonce().size(), 64));
  RETURN_IF_ERROR(Count("evidence.quotes", evidence.quotes_size(), 1, 8));
  for (int i = 0; i < evidence.quotes_size(); ++i) {
    const v1::Quote& q = evidence.quotes(i);
    const std::string p = absl::StrCat("evidence.quotes[", i, "]");
    RETURN_IF_ERROR(Required(absl::StrCat(p, ".attest"), q.attest().size()));
    RETURN_IF_ERROR(Size(absl::StrCat(p, ".attest"), q.attest().size(), 1024));
    RETURN_IF_ERROR(
        Required(absl::StrCat(p, ".signature"), q.signature().size()));
    RETURN_IF_ERROR(
        Size(absl::StrCat(p, ".signature"), q.signature().size(), 1024));
    RETURN_IF_ERROR(ValidateBanks(p, q.pcrs()));
  }
  // The log itself, or the SHA-256 of one the verifier named as known.
  if (!evidence.event_log_sha256().empty()) {
    if (!evidence.event_log().empty()) {
      return absl::InvalidArgumentError(
          "evidence: event_log and event_log_sha256 both set; send one");
    }
    if (evidence.event_log_sha256().size() != 32) {
      return absl::InvalidArgumentError(absl::StrCat(
          "evidence.event_log_sha256: ", evidence.event_log_sha256().size(),
          " bytes, want 32"));
    }
  } else {
    RETURN_IF_ERROR(
        Required("evidence.event_log", evidence.event_log().size()));
  }
  RETURN_IF_ERROR(Size("evidence.event_log", evidence.event_log().size(),
                       kMaxEventLogBytes));
  return ValidateTpmInfo("evidence.tpm_info", evidence.tpm_info());
}

absl::Status ValidateCredentialResponse(const v1::CredentialResponse& r) {
  RETURN_IF_ERROR(Required("credential.secret", r.secret().size()));
  return Size("credential.secret", r.secret().size(), 64);
}

absl::Status ValidateAttestationWanted(const v1::AttestationWanted& w) {
  return Size("attestation_wanted.reason", w.reason().size(), 64);
}

absl::Status ValidateActivateEnrollment(
    const v1::ActivateEnrollmentRequest& request) {
  RETURN_IF_ERROR(ValidateHello(request.hello()));
  RETURN_IF_ERROR(Required("ticket", request.ticket().size()));
  RETURN_IF_ERROR(Size("ticket", request.ticket().size(), 64));
  RETURN_IF_ERROR(Required("secret", request.secret().size()));
  return Size("secret", request.secret().size(), 64);
}

absl::Status ValidateAttestRequest(const v1::AttestRequest& request) {
  RETURN_IF_ERROR(ValidateDeviceId(request.device_id()));
  RETURN_IF_ERROR(ValidateEvidence(request.evidence()));
  return Size("relying_party_nonce", request.relying_party_nonce().size(),
              1024);
}

}  // namespace vigil::service
