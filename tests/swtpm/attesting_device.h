// File: tests/swtpm/attesting_device.h
// -----------------------------------------------------------------------------
// AttestingDevice: what an agent holds, for verifier tests: an swtpm whose
// PCRs re-enact a recorded boot (boot_reenactment.h), its RSA-2048 EK and
// EK certificate (from the per-run SwtpmCa), an AK under the EK, and the
// boot's event log. It speaks the protocol's messages (vigil::v1) so tests
// can drive the verifier core in process or over gRPC.
//
//   ASSERT_OK_AND_ASSIGN(auto d, AttestingDevice::Boot(kLinuxLog));
//   challenge = verifier.enroller().Begin(d->Hello());
//   secret = d->Activate(challenge.credential);
//   evidence = d->Evidence(nonce.bytes);
#ifndef VIGIL_TESTS_SWTPM_ATTESTING_DEVICE_H_
#define VIGIL_TESTS_SWTPM_ATTESTING_DEVICE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/testing/testdata.h"
#include "tests/swtpm/swtpm_instance.h"
#include "tpm/device/attestation_key.h"
#include "tpm/device/ek.h"
#include "tpm/device/esys_context.h"
#include "tpm/wire/credential_file.h"
#include "vigil/v1/attestation_service.pb.h"

namespace vigil::testing {

struct AttestingDevice {
  std::unique_ptr<SwtpmInstance> swtpm;
  std::optional<tpm::EsysContext> ctx;
  std::optional<tpm::EndorsementKey> ek;
  std::optional<tpm::AttestationKey> ak;
  std::vector<uint8_t> ek_cert;
  std::vector<uint8_t> log;
  // The last Evidence's signed clock: the next is made later, as the agent
  // makes it (tpm::QuoteRoundAfter).
  mutable std::optional<tpm::ClockInfo> last_clock;

  // Boot(log_name, distinct_ek): an swtpm re-enacting
  // eventlog/testdata/corpus/<log_name>, with an EK (and its certificate)
  // and a fresh AK. `distinct_ek`: a TPM of its own instead of a clone of
  // the per-process template (SwtpmOptions). Fails as the harness does.
  // Inline: SourcePath() knows the source tree only in test targets.
  static absl::StatusOr<std::unique_ptr<AttestingDevice>> Boot(
      const std::string& log_name, bool distinct_ek = false) {
    return BootWithLog(
        ReadFileBytes(SourcePath("eventlog/testdata/corpus/" + log_name)),
        distinct_ek);
  }
  // The same with the log's bytes.
  static absl::StatusOr<std::unique_ptr<AttestingDevice>> BootWithLog(
      std::vector<uint8_t> log, bool distinct_ek = false);

  // The AgentHello an agent on this device sends (protocol version 1).
  v1::AgentHello Hello() const;

  // TPM2_ActivateCredential of a challenge (the enrolment answer).
  absl::StatusOr<std::vector<uint8_t>> Activate(
      const tpm::CredentialBlob& credential) const;
  absl::StatusOr<std::vector<uint8_t>> Activate(
      const v1::CredentialChallenge& challenge) const;

  // A quote over every PCR of every allocated bank with `nonce`, plus the
  // boot's event log, as the agent sends it.
  absl::StatusOr<v1::Evidence> Evidence(absl::Span<const uint8_t> nonce) const;
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SWTPM_ATTESTING_DEVICE_H_
