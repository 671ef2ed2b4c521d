#include "agent/collect/evidence_collector.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tpm/device/credential.h"
#include "tpm/device/tpm_info.h"
#include "tpm/types/pcr_bank.h"

namespace vigil::agent {
namespace {

// EK certificate chain indices (EKCP §2.2.1.5.1: 0x01C00100-0x01C001FF hold
// the certificates between the EK certificate and the root, in order).
constexpr uint32_t kEkChainFirstIndex = 0x01C00100;
// AgentHello carries <= 4 certificates (attestation_service.proto).
constexpr int kMaxEkCertificates = 4;

std::string Bytes(const std::vector<uint8_t>& v) {
  return std::string(v.begin(), v.end());
}

void AppendQuote(const tpm::QuoteResult& q, v1::Evidence& evidence) {
  v1::Quote* out = evidence.add_quotes();
  out->set_attest(Bytes(q.attest));
  out->set_signature(Bytes(q.signature));
  for (const tpm::PcrBank& bank : q.pcrs) {
    v1::PcrBank* b = out->add_pcrs();
    b->set_hash_alg(static_cast<uint32_t>(bank.alg));
    for (const auto& [index, digest] : bank.values) {
      v1::PcrValue* v = b->add_values();
      v->set_index(index);
      v->set_digest(Bytes(digest));
    }
  }
}

v1::TpmInfo ToProto(const tpm::TpmInfo& info) {
  v1::TpmInfo out;
  out.set_manufacturer(info.manufacturer);
  out.set_vendor(info.vendor);
  out.set_firmware_version(info.firmware_version);
  out.set_spec_revision(info.spec_revision);
  out.set_is_software(info.is_software);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<uint32_t>> PcrsFromMask(uint32_t mask) {
  if (mask >> tpm::kNumPcrs != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("AttestationRequest.pcr_mask: got 0x", absl::Hex(mask),
                     ", want bits 0..23 only"));
  }
  std::vector<uint32_t> pcrs;
  for (uint32_t i = 0; i < tpm::kNumPcrs; ++i) {
    if (mask == 0 || (mask & (1u << i)) != 0) pcrs.push_back(i);
  }
  return pcrs;
}

EvidenceCollector::EvidenceCollector(tpm::EsysContext ctx, TpmOpener reopen,
                                     EventLogSource* log,
                                     CollectorOptions options)
    : ctx_(std::move(ctx)),
      reopen_(std::move(reopen)),
      log_(log),
      options_(std::move(options)) {}

EvidenceCollector::~EvidenceCollector() {
  ak_.reset();  // handles before their context (handles.h)
  ctx_.reset();
}

absl::Status EvidenceCollector::Check(absl::Status s) {
  if (s.code() == absl::StatusCode::kUnavailable) {
    ak_.reset();
    ctx_.reset();
  }
  return s;
}

absl::StatusOr<tpm::AttestationKey> EvidenceCollector::LoadOrCreateAk(
    const tpm::EsysContext& ctx) {
  absl::StatusOr<tpm::AttestationKey> ak = tpm::LoadAk(ctx, options_.ak_handle);
  if (ak.status().code() != absl::StatusCode::kNotFound) return ak;
  ASSIGN_OR_RETURN(tpm::EndorsementKey ek,
                   tpm::CreateEk(ctx, options_.ek_kind));
  tpm::AkOptions ak_options;
  ak_options.alg = options_.ak_alg;
  ak_options.persistent_handle = options_.ak_handle;
  return tpm::CreateAk(ctx, ek, ak_options);
}

absl::StatusOr<const tpm::EsysContext*> EvidenceCollector::Ready() {
  if (!ctx_.has_value()) {
    if (!reopen_) {
      return absl::UnavailableError(
          "tpm: the connection broke and cannot be reopened");
    }
    absl::StatusOr<tpm::EsysContext> ctx = reopen_();
    if (!ctx.ok()) return vigil::internal::Annotate(ctx.status(), "reopen tpm");
    ctx_.emplace(*std::move(ctx));
  }
  if (!ak_.has_value()) {
    absl::StatusOr<tpm::AttestationKey> ak = LoadOrCreateAk(*ctx_);
    if (!ak.ok()) {
      return Check(vigil::internal::Annotate(
          ak.status(), absl::StrCat("attestation key at 0x",
                                    absl::Hex(options_.ak_handle))));
    }
    ak_.emplace(*std::move(ak));
  }
  if (!info_.has_value()) {
    absl::StatusOr<tpm::TpmInfo> info = tpm::ReadTpmInfo(*ctx_);
    if (!info.ok())
      return Check(vigil::internal::Annotate(info.status(), "tpm info"));
    info_ = ToProto(*info);
  }
  return &*ctx_;
}

absl::StatusOr<v1::AgentHello> EvidenceCollector::Hello() {
  ASSIGN_OR_RETURN(const tpm::EsysContext* ctx, Ready());
  v1::AgentHello hello;
  hello.set_protocol_version(1);
  hello.set_agent_version(options_.agent_version);
  hello.set_hostname(options_.hostname);
  *hello.mutable_tpm_info() = *info_;
  hello.set_ak_public(Bytes(ak_->public_area));

  absl::StatusOr<tpm::EndorsementKey> ek =
      tpm::CreateEk(*ctx, options_.ek_kind);
  if (!ek.ok())
    return Check(vigil::internal::Annotate(ek.status(), "create ek"));
  hello.set_ek_public(Bytes(ek->public_area));

  absl::StatusOr<std::vector<uint8_t>> cert =
      tpm::ReadEkCertificate(*ctx, options_.ek_kind);
  if (cert.status().code() == absl::StatusCode::kNotFound) {
    // The verifier decides whether an EK without a certificate is enough
    // (then aikValidated is false); the agent just says it has none.
    return hello;
  }
  if (!cert.ok())
    return Check(vigil::internal::Annotate(cert.status(), "ek cert"));
  RETURN_IF_ERROR(vigil::internal::Annotate(
      tpm::CheckEkMatchesCertificate(ek->public_area, *cert),
      absl::StrCat("ek cert at NV 0x",
                   absl::Hex(tpm::EkCertNvIndex(options_.ek_kind)))));
  hello.add_ek_certificates(Bytes(*cert));
  for (int i = 0; hello.ek_certificates_size() < kMaxEkCertificates; ++i) {
    absl::StatusOr<std::vector<uint8_t>> link =
        tpm::ReadNvIndex(*ctx, kEkChainFirstIndex + i);
    if (!link.ok()) break;  // most TPMs hold no chain
    hello.add_ek_certificates(Bytes(*link));
  }
  return hello;
}

absl::StatusOr<v1::CredentialResponse> EvidenceCollector::Activate(
    const v1::CredentialChallenge& challenge) {
  ASSIGN_OR_RETURN(const tpm::EsysContext* ctx, Ready());
  absl::StatusOr<tpm::EndorsementKey> ek =
      tpm::CreateEk(*ctx, options_.ek_kind);
  if (!ek.ok())
    return Check(vigil::internal::Annotate(ek.status(), "create ek"));
  tpm::CredentialBlob blob;
  blob.id_object.assign(challenge.id_object().begin(),
                        challenge.id_object().end());
  blob.encrypted_secret.assign(challenge.encrypted_secret().begin(),
                               challenge.encrypted_secret().end());
  absl::StatusOr<std::vector<uint8_t>> secret =
      tpm::ActivateCredential(*ctx, *ek, *ak_, blob);
  if (!secret.ok()) {
    return Check(
        vigil::internal::Annotate(secret.status(), "activate credential"));
  }
  v1::CredentialResponse response;
  response.set_secret(Bytes(*secret));
  return response;
}

absl::StatusOr<std::vector<tpm::QuoteResult>> EvidenceCollector::QuoteAllBanks(
    const tpm::EsysContext& ctx, const std::string& nonce,
    const std::vector<uint32_t>& pcrs) {
  ASSIGN_OR_RETURN(std::vector<tpm::HashAlg> banks,
                   tpm::AllocatedPcrBanks(ctx));
  const absl::Span<const uint8_t> nonce_bytes(
      reinterpret_cast<const uint8_t*>(nonce.data()), nonce.size());
  auto quote_groups =
      [&](size_t per_quote) -> absl::StatusOr<std::vector<tpm::QuoteResult>> {
    std::vector<tpm::QuoteResult> quotes;
    for (size_t i = 0; i < banks.size(); i += per_quote) {
      tpm::QuoteOptions q;
      q.pcrs = pcrs;
      q.banks.assign(banks.begin() + i,
                     banks.begin() + std::min(banks.size(), i + per_quote));
      ASSIGN_OR_RETURN(tpm::QuoteResult r,
                       tpm::Quote(ctx, *ak_, nonce_bytes, q));
      quotes.push_back(std::move(r));
    }
    return quotes;
  };
  if (options_.max_banks_per_quote > 0) {
    return quote_groups(options_.max_banks_per_quote);
  }
  absl::StatusOr<std::vector<tpm::QuoteResult>> one =
      quote_groups(banks.size());
  // A refusal of the whole selection (not a broken connection) is retried as
  // one quote per bank, which every TPM that allocated the bank can sign.
  if (one.ok() || banks.size() == 1 ||
      one.status().code() == absl::StatusCode::kUnavailable) {
    return one;
  }
  return quote_groups(1);
}

absl::StatusOr<v1::Evidence> EvidenceCollector::Collect(
    const v1::AttestationRequest& request) {
  if (request.nonce().empty() || request.nonce().size() > tpm::kMaxNonceSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AttestationRequest.nonce: got ", request.nonce().size(),
                     " bytes, want 1..", tpm::kMaxNonceSize));
  }
  ASSIGN_OR_RETURN(std::vector<uint32_t> pcrs,
                   PcrsFromMask(request.pcr_mask()));
  ASSIGN_OR_RETURN(const tpm::EsysContext* ctx, Ready());

  v1::Evidence evidence;
  evidence.set_nonce(request.nonce());
  // Later than the last round's signed clock (tpm::QuoteRoundAfter says
  // why): the verifier refuses a round whose clock did not advance.
  tpm::ClockInfo round_clock;
  absl::StatusOr<std::vector<tpm::QuoteResult>> quotes = tpm::QuoteRoundAfter(
      last_round_clock_,
      [&] { return QuoteAllBanks(*ctx, request.nonce(), pcrs); }, &round_clock);
  if (!quotes.ok())
    return Check(vigil::internal::Annotate(quotes.status(), "quote"));
  last_round_clock_ = round_clock;
  for (const tpm::QuoteResult& q : *quotes) AppendQuote(q, evidence);

  absl::StatusOr<tpm::TpmTime> clock = tpm::ReadClock(*ctx);
  if (!clock.ok())
    return Check(vigil::internal::Annotate(clock.status(), "clock"));
  evidence.set_reset_count(clock->reset_count);
  evidence.set_restart_count(clock->restart_count);
  *evidence.mutable_tpm_info() = *info_;
  if (log_ != nullptr) {
    ASSIGN_OR_RETURN(std::vector<uint8_t> log, log_->Read());
    // The verifier holds the log it last accepted from us: when ours is
    // still that one (same boot, nothing appended), name it instead of
    // sending it again (attestation_service.proto, known_event_log_sha256).
    if (request.known_event_log_sha256().size() == 32) {
      ASSIGN_OR_RETURN(tpm::Digest digest,
                       tpm::Hash(tpm::HashAlg::kSha256, log));
      if (Bytes(digest) == request.known_event_log_sha256()) {
        evidence.set_event_log_sha256(Bytes(digest));
        return evidence;
      }
    }
    evidence.set_event_log(Bytes(log));
  }
  return evidence;
}

absl::StatusOr<uint32_t> EvidenceCollector::ResetCount() {
  ASSIGN_OR_RETURN(const tpm::EsysContext* ctx, Ready());
  absl::StatusOr<tpm::TpmTime> clock = tpm::ReadClock(*ctx);
  if (!clock.ok())
    return Check(vigil::internal::Annotate(clock.status(), "clock"));
  return clock->reset_count;
}

}  // namespace vigil::agent
