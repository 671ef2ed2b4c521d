// File: agent/collect/evidence_collector.h
// -----------------------------------------------------------------------------
// EvidenceCollector: the Attester backed by the local TPM (tpm/device) and the
// boot event log. No gRPC here; it speaks vigil.v1 messages only.
//
//   ASSIGN_OR_RETURN(tpm::EsysContext ctx, tpm::EsysContext::Open(tcti));
//   EvidenceCollector collector(std::move(ctx), std::move(reopen), log.get(),
//                               CollectorOptions{});
//   ASSIGN_OR_RETURN(v1::AgentHello hello, collector.Hello());
//
// The AK lives at a persistent handle (default 0x81010002) so the same AK is
// presented after every restart, and the verifier recognises the enrolled
// (EK, AK) pair; it is created under the EK only when the handle is empty.
// The EK is recreated from its template when needed (deterministic, EKCP
// §2.2.1.4) and flushed at once, since swtpm has 3 object slots.

#ifndef VIGIL_AGENT_COLLECT_EVIDENCE_COLLECTOR_H_
#define VIGIL_AGENT_COLLECT_EVIDENCE_COLLECTOR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/collect/attester.h"
#include "agent/collect/event_log_source.h"
#include "tpm/device/attestation_key.h"
#include "tpm/device/ek.h"
#include "tpm/device/esys_context.h"

namespace vigil::agent {

struct CollectorOptions {
  // The EK whose certificate is sent and under which the AK is created.
  tpm::EkKind ek_kind = tpm::EkKind::kRsa2048;
  // Where the AK is persisted (tpm/device/attestation_key.h).
  uint32_t ak_handle = tpm::kDefaultAkHandle;
  // The algorithm of a newly created AK (an existing one is used as it is).
  tpm::AkAlg ak_alg = tpm::AkAlg::kEccNistP256;
  // Banks per TPM2_Quote. 0: all allocated banks in one quote, and one quote
  // per bank if the TPM refuses that (a TPM may cap the selection size).
  size_t max_banks_per_quote = 0;
  std::string agent_version;
  std::string hostname;  // informational, sent in AgentHello
};

// Opens a fresh TPM connection after the old one broke (esys_context.h: a
// TCTI failure leaves ESYS unusable). May be empty: then a broken connection
// stays broken (kUnavailable) until the agent restarts.
using TpmOpener = std::function<absl::StatusOr<tpm::EsysContext>()>;

// Not thread-safe (one owner, as the EsysContext it holds).
class EvidenceCollector final : public Attester {
 public:
  // `log` may be null (a TPM without a boot log: Evidence.event_log is then
  // empty); otherwise it must outlive the collector.
  EvidenceCollector(tpm::EsysContext ctx, TpmOpener reopen, EventLogSource* log,
                    CollectorOptions options);
  ~EvidenceCollector() override;

  // Fails additionally with kFailedPrecondition when the EK certificate does
  // not certify the EK (EkKind mismatch), or the object at ak_handle is not
  // an AK.
  absl::StatusOr<v1::AgentHello> Hello() override;
  absl::StatusOr<v1::CredentialResponse> Activate(
      const v1::CredentialChallenge& challenge) override;
  // Fails additionally with kInvalidArgument for a nonce over 64 bytes or a
  // pcr_mask with bits above PCR 23; a mask of 0 quotes all 24 PCRs.
  absl::StatusOr<v1::Evidence> Collect(
      const v1::AttestationRequest& request) override;
  absl::StatusOr<uint32_t> ResetCount() override;

 private:
  // Opens the context if it was discarded and loads (or creates) the AK.
  absl::StatusOr<const tpm::EsysContext*> Ready();
  absl::StatusOr<tpm::AttestationKey> LoadOrCreateAk(
      const tpm::EsysContext& ctx);
  absl::StatusOr<std::vector<tpm::QuoteResult>> QuoteAllBanks(
      const tpm::EsysContext& ctx, const std::string& nonce,
      const std::vector<uint32_t>& pcrs);
  // Passes `s` through; drops the TPM connection when it broke.
  absl::Status Check(absl::Status s);

  std::optional<tpm::EsysContext> ctx_;
  std::optional<tpm::AttestationKey> ak_;  // destroyed before ctx_
  // Read once; v1 form, so this header need not include tpm_info.h (whose
  // tpm::ClockInfo clashes with tpm/wire/attest_info.h's in one TU).
  std::optional<v1::TpmInfo> info_;
  TpmOpener reopen_;
  EventLogSource* log_;
  CollectorOptions options_;
  // The signed clock of the last round's quotes (none before the first).
  std::optional<tpm::ClockInfo> last_round_clock_;
};

// The PCR indices selected by `mask` (bit i = PCR i), ascending; all 24 for
// 0. Fails with kInvalidArgument for bits above PCR 23.
absl::StatusOr<std::vector<uint32_t>> PcrsFromMask(uint32_t mask);

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_COLLECT_EVIDENCE_COLLECTOR_H_
