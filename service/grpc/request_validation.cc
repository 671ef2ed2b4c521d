#include "service/grpc/request_validation.h"

#include <arpa/inet.h>

#include <string>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace vigil::service {
namespace {

// A field's name for an error message: a literal, or a callable that makes
// it only when the check fails (names with indices were a StrCat per PCR
// value, ~30 allocations per valid Evidence).
std::string NameOf(absl::string_view name) { return std::string(name); }
template <typename F, typename = std::enable_if_t<std::is_invocable_v<F>>>
std::string NameOf(const F& make) {
  return make();
}

template <typename Name>
absl::Status Size(const Name& field, size_t got, size_t limit) {
  if (got <= limit) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(NameOf(field), ": ", got, " bytes, limit ", limit));
}

template <typename Name>
absl::Status Count(const Name& field, int got, int min, int max) {
  if (got >= min && got <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(NameOf(field), ": got ", got, ", want ",
                   min == max ? "" : absl::StrCat(min, ".."), max));
}

template <typename Name>
absl::Status Required(const Name& field, size_t size) {
  if (size > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(NameOf(field), ": missing"));
}

absl::Status ValidateTpmInfo(absl::string_view prefix, const v1::TpmInfo& t) {
  RETURN_IF_ERROR(Size([&] { return absl::StrCat(prefix, ".manufacturer"); },
                       t.manufacturer().size(), 16));
  RETURN_IF_ERROR(Size([&] { return absl::StrCat(prefix, ".vendor"); },
                       t.vendor().size(), 64));
  RETURN_IF_ERROR(
      Size([&] { return absl::StrCat(prefix, ".firmware_version"); },
           t.firmware_version().size(), 32));
  return absl::OkStatus();
}

// The banks of evidence.quotes[quote].
absl::Status ValidateBanks(
    int quote, const google::protobuf::RepeatedPtrField<v1::PcrBank>& banks) {
  RETURN_IF_ERROR(Count(
      [&] { return absl::StrCat("evidence.quotes[", quote, "].pcrs (banks)"); },
      banks.size(), 0, 8));
  for (int i = 0; i < banks.size(); ++i) {
    RETURN_IF_ERROR(Count(
        [&] {
          return absl::StrCat("evidence.quotes[", quote, "].pcrs[", i,
                              "].values");
        },
        banks[i].values_size(), 0, 24));
    for (int j = 0; j < banks[i].values_size(); ++j) {
      RETURN_IF_ERROR(Size(
          [&] {
            return absl::StrCat("evidence.quotes[", quote, "].pcrs[", i,
                                "].values[", j, "].digest");
          },
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
    RETURN_IF_ERROR(
        Size([i] { return absl::StrCat("hello.ek_certificates[", i, "]"); },
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
    auto name = [i](absl::string_view field) {
      return [i, field] {
        return absl::StrCat("evidence.quotes[", i, "]", field);
      };
    };
    RETURN_IF_ERROR(Required(name(".attest"), q.attest().size()));
    RETURN_IF_ERROR(Size(name(".attest"), q.attest().size(), 1024));
    RETURN_IF_ERROR(Required(name(".signature"), q.signature().size()));
    RETURN_IF_ERROR(Size(name(".signature"), q.signature().size(), 1024));
    RETURN_IF_ERROR(ValidateBanks(i, q.pcrs()));
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

std::string PeerForLog(absl::string_view peer,
                       std::optional<absl::string_view> forwarded_for) {
  if (!forwarded_for.has_value() || forwarded_for->empty() ||
      forwarded_for->size() > INET6_ADDRSTRLEN - 1) {
    return std::string(peer);
  }
  const std::string address(*forwarded_for);
  unsigned char parsed[sizeof(struct in6_addr)];
  if (inet_pton(AF_INET, address.c_str(), parsed) != 1 &&
      inet_pton(AF_INET6, address.c_str(), parsed) != 1) {
    return std::string(peer);
  }
  return absl::StrCat(address, " via ", peer);
}

}  // namespace vigil::service
