#include "service/verifier/enrollment.h"

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"

namespace vigil::service {
namespace {

constexpr absl::string_view kLabel = "vigil enrol v1";
constexpr uint8_t kTicketVersion = 1;
constexpr size_t kTicketSize = 9;
// The credential is at most the EK nameAlg's digest size (Part 3 §12.6.1);
// every EK template names SHA-256 or stronger.
constexpr size_t kSecretSize = 32;

std::vector<std::vector<uint8_t>> Certificates(const v1::AgentHello& hello) {
  std::vector<std::vector<uint8_t>> out;
  out.reserve(hello.ek_certificates_size());
  for (const std::string& c : hello.ek_certificates()) {
    out.emplace_back(c.begin(), c.end());
  }
  return out;
}

}  // namespace

absl::StatusOr<Enroller::Checked> Enroller::Check(
    const v1::AgentHello& hello) const {
  Checked c;
  ASSIGN_OR_RETURN(
      c.ek, trust_->Verify(Certificates(hello), AsBytes(hello.ek_public()),
                           clock_->Now(), options_.ek));
  absl::StatusOr<tpm::PublicArea> ak =
      tpm::ParseTpm2bPublic(AsBytes(hello.ak_public()));
  if (!ak.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("AK public area: ", ak.status().message()));
  }
  RETURN_IF_ERROR(tpm::CheckAkPublic(*ak, options_.ak));
  ASSIGN_OR_RETURN(c.ak_name, tpm::ComputeName(*ak));
  c.ak = *std::move(ak);
  return c;
}

absl::StatusOr<std::vector<uint8_t>> Enroller::Secret(
    const Checked& c, absl::Span<const uint8_t> ticket) const {
  ASSIGN_OR_RETURN(auto mac, key_->Mac(kLabel, {AsBytes(c.ek.device_id),
                                                c.ak_name, ticket}));
  return std::vector<uint8_t>(mac.begin(), mac.begin() + kSecretSize);
}

absl::StatusOr<EnrollmentChallenge> Enroller::Begin(
    const v1::AgentHello& hello) const {
  absl::StatusOr<EnrollmentChallenge> c = Challenge(hello);
  if (metrics_ != nullptr) metrics_->CountEnrolment("challenge", c.ok());
  return c;
}

absl::StatusOr<EnrolledDevice> Enroller::Complete(
    const v1::AgentHello& hello, absl::Span<const uint8_t> ticket,
    absl::Span<const uint8_t> secret) const {
  absl::StatusOr<EnrolledDevice> d = Activate(hello, ticket, secret);
  if (metrics_ != nullptr) metrics_->CountEnrolment("activation", d.ok());
  return d;
}

absl::StatusOr<EnrollmentChallenge> Enroller::Challenge(
    const v1::AgentHello& hello) const {
  ASSIGN_OR_RETURN(Checked c, Check(hello));
  EnrollmentChallenge out;
  out.ticket.resize(kTicketSize);
  out.ticket[0] = kTicketVersion;
  const uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(clock_->Now()));
  for (int i = 0; i < 8; ++i) {
    out.ticket[1 + i] = static_cast<uint8_t>(ms >> (56 - 8 * i));
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> secret, Secret(c, out.ticket));
  ASSIGN_OR_RETURN(
      out.credential,
      tpm::MakeCredential(c.ek.public_area, c.ak_name, secret, *rng_));
  out.device_id = c.ek.device_id;
  return out;
}

absl::StatusOr<EnrolledDevice> Enroller::Activate(
    const v1::AgentHello& hello, absl::Span<const uint8_t> ticket,
    absl::Span<const uint8_t> secret) const {
  if (ticket.size() != kTicketSize || ticket[0] != kTicketVersion) {
    return absl::UnauthenticatedError(absl::StrCat(
        "enrolment: malformed ticket (", ticket.size(), " bytes)"));
  }
  ASSIGN_OR_RETURN(Checked c, Check(hello));
  uint64_t ms = 0;
  for (int i = 0; i < 8; ++i) ms = (ms << 8) | ticket[1 + i];
  const absl::Time issued = absl::FromUnixMillis(static_cast<int64_t>(ms));
  const absl::Time now = clock_->Now();
  if (now > issued + options_.challenge_lifetime) {
    return absl::UnauthenticatedError(absl::StrCat(
        "enrolment: the challenge expired ",
        absl::FormatDuration(absl::Trunc(
            now - issued - options_.challenge_lifetime, absl::Seconds(1))),
        " ago; enrol again"));
  }
  if (issued > now + absl::Seconds(30)) {
    return absl::UnauthenticatedError(
        "enrolment: challenge issued in the future");
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> want, Secret(c, ticket));
  if (!ConstantTimeEquals(want, secret)) {
    return absl::UnauthenticatedError(
        "enrolment: credential activation failed: the secret does not match "
        "(the AK is not in the EK's TPM, or the ticket was altered)");
  }
  EnrolledDevice d;
  d.device_id = c.ek.device_id;
  d.ek = std::move(c.ek.public_area);
  d.ak = std::move(c.ak);
  d.ak_name = std::move(c.ak_name);
  d.aik_validated = c.ek.certified;
  d.ek_issuer = c.ek.issuer;
  d.hostname = hello.hostname();
  d.enrolled_at = now;
  return d;
}

}  // namespace vigil::service
