#include "tests/swtpm/attesting_device.h"

#include "common/status_macros.h"
#include "eventlog/parser.h"
#include "tests/swtpm/boot_reenactment.h"
#include "tpm/device/credential.h"

namespace vigil::testing {

absl::StatusOr<std::unique_ptr<AttestingDevice>> AttestingDevice::BootWithLog(
    std::vector<uint8_t> log, bool distinct_ek) {
  auto d = std::make_unique<AttestingDevice>();
  d->log = std::move(log);
  ASSIGN_OR_RETURN(eventlog::EventLog parsed, eventlog::Parse(d->log));
  SwtpmOptions options;
  options.distinct_ek = distinct_ek;
  ASSIGN_OR_RETURN(d->swtpm, StartSwtpmWithBootLog(parsed, options));
  ASSIGN_OR_RETURN(tpm::EsysContext ctx,
                   tpm::EsysContext::Open(d->swtpm->tcti_config()));
  d->ctx.emplace(std::move(ctx));
  ASSIGN_OR_RETURN(tpm::EndorsementKey ek,
                   tpm::CreateEk(*d->ctx, tpm::EkKind::kRsa2048));
  d->ek.emplace(std::move(ek));
  ASSIGN_OR_RETURN(d->ek_cert,
                   tpm::ReadEkCertificate(*d->ctx, tpm::EkKind::kRsa2048));
  ASSIGN_OR_RETURN(tpm::AttestationKey ak,
                   tpm::CreateAk(*d->ctx, *d->ek, tpm::AkOptions()));
  d->ak.emplace(std::move(ak));
  return d;
}

v1::AgentHello AttestingDevice::Hello() const {
  v1::AgentHello h;
  h.set_protocol_version(1);
  h.add_ek_certificates(std::string(ek_cert.begin(), ek_cert.end()));
  h.set_ek_public(std::string(ek->public_area.begin(), ek->public_area.end()));
  h.set_ak_public(std::string(ak->public_area.begin(), ak->public_area.end()));
  h.set_hostname("test-device");
  return h;
}

absl::StatusOr<std::vector<uint8_t>> AttestingDevice::Activate(
    const tpm::CredentialBlob& credential) const {
  return tpm::ActivateCredential(*ctx, *ek, *ak, credential);
}

absl::StatusOr<std::vector<uint8_t>> AttestingDevice::Activate(
    const v1::CredentialChallenge& challenge) const {
  tpm::CredentialBlob blob;
  blob.id_object.assign(challenge.id_object().begin(),
                        challenge.id_object().end());
  blob.encrypted_secret.assign(challenge.encrypted_secret().begin(),
                               challenge.encrypted_secret().end());
  return Activate(blob);
}

absl::StatusOr<v1::Evidence> AttestingDevice::Evidence(
    absl::Span<const uint8_t> nonce) const {
  tpm::ClockInfo clock;
  ASSIGN_OR_RETURN(std::vector<tpm::QuoteResult> round,
                   tpm::QuoteRoundAfter(
                       last_clock,
                       [&]() -> absl::StatusOr<std::vector<tpm::QuoteResult>> {
                         ASSIGN_OR_RETURN(tpm::QuoteResult q,
                                          tpm::Quote(*ctx, *ak, nonce, {}));
                         return std::vector<tpm::QuoteResult>{std::move(q)};
                       },
                       &clock));
  last_clock = clock;
  const tpm::QuoteResult& q = round[0];
  v1::Evidence e;
  e.set_nonce(std::string(nonce.begin(), nonce.end()));
  v1::Quote* wq = e.add_quotes();
  wq->set_attest(std::string(q.attest.begin(), q.attest.end()));
  wq->set_signature(std::string(q.signature.begin(), q.signature.end()));
  for (const tpm::PcrBank& b : q.pcrs) {
    v1::PcrBank* wb = wq->add_pcrs();
    wb->set_hash_alg(static_cast<uint32_t>(b.alg));
    for (const auto& [pcr, value] : b.values) {
      v1::PcrValue* v = wb->add_values();
      v->set_index(pcr);
      v->set_digest(std::string(value.begin(), value.end()));
    }
  }
  e.set_event_log(std::string(log.begin(), log.end()));
  return e;
}

}  // namespace vigil::testing
