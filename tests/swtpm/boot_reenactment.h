// File: tests/swtpm/boot_reenactment.h
// -----------------------------------------------------------------------------
// Re-enacting a recorded boot on a swtpm: every measured event of a real
// event log is extended into the TPM's PCRs in order, so that a real quote
// from this TPM matches the log and later tests can attest real Linux and
// Windows boots end to end.
//
//   ASSERT_OK_AND_ASSIGN(eventlog::EventLog log, eventlog::Parse(bytes));
//   ASSERT_OK_AND_ASSIGN(auto swtpm, StartSwtpmWithBootLog(log));
//
// PCR0's initial value (PC Client PFP §3.3.2; PTP Table 4; TPM 2.0 Part 1
// §34.3) is reproduced, not faked:
//   - StartupLocality 0 (or none): TPM2_Startup(CLEAR) at locality 0 -> 00..00.
//   - StartupLocality 3: TPM2_Startup(CLEAR) sent at locality 3 (the swtpm
//     TCTI sets the locality over the control channel, CMD_SET_LOCALITY) ->
//     libtpms starts PCR0 at 00..03.
//   - H-CRTM (an EV_EFI_HCRTM_EVENT on PCR0, or StartupLocality 4): the TPM
//     sets PCR0 = H(00..04 || H(data)) only through _TPM_Hash_Start/Data/End
//     before TPM2_Startup (swtpm control channel CMD_HASH_*, via
//     `swtpm_ioctl -h -`), which hashes the data itself. This works only when
//     the log's H-CRTM event digest is the hash of its own event data in every
//     allocated bank; real H-CRTM logs record the digest of a firmware blob
//     they do not include, so for them re-enactment is impossible and fails
//     with kFailedPrecondition. (The corpus has no H-CRTM log.)
//   - StartupLocality 1, 2 or >4: impossible; libtpms rejects TPM2_Startup at
//     those localities with TPM_RC_LOCALITY (measured on libtpms 0.9.2).
// Events on PCRs 17-22 are extended at locality 2, the one locality every
// DRTM PCR accepts extends from (PC Client PTP Table 4); they keep their
// startup value of all-0xFF, which is what eventlog::Replay assumes.

#ifndef VIGIL_TESTS_SWTPM_BOOT_REENACTMENT_H_
#define VIGIL_TESTS_SWTPM_BOOT_REENACTMENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "eventlog/event_log.h"
#include "tests/swtpm/swtpm_instance.h"
#include "tpm/types/hash_alg.h"

namespace vigil::testing {

struct ReenactReport {
  uint8_t startup_locality = 0;  // locality TPM2_Startup was sent at
  bool hcrtm = false;            // PCR0 came from a _TPM_Hash sequence
  size_t events_extended = 0;    // TPM2_PCR_Extend calls
  std::vector<tpm::HashAlg> banks;  // log banks the TPM has allocated
  // Log banks the TPM does not have (those PCRs cannot match the log).
  std::vector<tpm::HashAlg> missing_banks;
};

// The log's banks that swtpm can allocate, in log order (sha1, sha256,
// sha384, sha512; not sm3_256).
std::vector<tpm::HashAlg> ReenactableBanks(const eventlog::EventLog& log);

// ReenactBootLog(swtpm, log): sends TPM2_Startup as described above, then
// extends every event that eventlog::Replay extends (not EV_NO_ACTION, not PCR
// 0xFFFFFFFF, not the crypto-agile header) with its digests for the allocated
// banks, in log order.
// Caller guarantees `swtpm` was started with startup_clear = false and has
// not been started by anyone else.
// Fails with kFailedPrecondition when the log's start cannot be reproduced
// (see the file comment), and as tpm/device otherwise.
absl::StatusOr<ReenactReport> ReenactBootLog(const SwtpmInstance& swtpm,
                                             const eventlog::EventLog& log);

// StartSwtpmWithBootLog(log, options): a new swtpm with the log's banks
// allocated (options.pcr_banks and startup_clear are overridden), with the
// log re-enacted. Fails as SwtpmInstance::Start and ReenactBootLog.
absl::StatusOr<std::unique_ptr<SwtpmInstance>> StartSwtpmWithBootLog(
    const eventlog::EventLog& log, SwtpmOptions options = {},
    ReenactReport* report = nullptr);

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SWTPM_BOOT_REENACTMENT_H_
