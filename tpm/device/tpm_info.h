// File: tpm/device/tpm_info.h
// -----------------------------------------------------------------------------
// What the TPM says about itself: fixed properties (TPM 2.0 Part 2 §6.13
// TPM_PT_*), allocated PCR banks (TPM_CAP_PCRS) and clock (TPM2_ReadClock,
// Part 3 §29.1). All of it is self-reported by the TPM: it identifies, it does
// not prove (only an EK certificate chain ties a TPM to a manufacturer).

#ifndef VIGIL_TPM_DEVICE_TPM_INFO_H_
#define VIGIL_TPM_DEVICE_TPM_INFO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tpm/device/esys_context.h"
#include "tpm/types/hash_alg.h"

namespace vigil::tpm {

struct TpmInfo {
  uint32_t manufacturer_id = 0;  // TPM_PT_MANUFACTURER
  std::string manufacturer;      // its four ASCII bytes, trailing spaces/NULs cut
  std::string vendor;            // TPM_PT_VENDOR_STRING_1..4, concatenated
  uint32_t firmware_version_1 = 0;  // TPM_PT_FIRMWARE_VERSION_1
  uint32_t firmware_version_2 = 0;  // TPM_PT_FIRMWARE_VERSION_2
  // "a.b.c.d" from the 16-bit halves of the two words, as go-attestation
  // and tpm2_getcap print it.
  std::string firmware_version;
  std::string family;        // TPM_PT_FAMILY_INDICATOR, "2.0"
  uint32_t spec_level = 0;   // TPM_PT_LEVEL
  uint32_t spec_revision = 0;  // TPM_PT_REVISION (e.g. 164 = 1.64)
  uint32_t spec_year = 0;      // TPM_PT_YEAR
  // True for known software TPMs (swtpm/libtpms and IBM's simulator report
  // manufacturer "IBM" with vendor string "SW TPM"). Such a TPM protects
  // nothing: whoever runs it can read its keys and set its PCRs.
  bool is_software = false;
  std::string software_reason;  // why is_software is set, else ""
  std::vector<HashAlg> pcr_banks;  // allocated banks (at least one PCR set)
};

// TPMS_TIME_INFO as TPM2_ReadClock returns it (named apart from
// tpm/wire/attest_info.h ClockInfo, the signed clockInfo inside a quote, so
// one translation unit can use both).
struct TpmTime {
  uint64_t time_ms = 0;    // TPMS_TIME_INFO.time: ms since TPM2_Startup
  uint64_t clock_ms = 0;   // TPMS_CLOCK_INFO.clock: ms the TPM has been on
  uint32_t reset_count = 0;    // TPM Resets (reboots)
  uint32_t restart_count = 0;  // TPM Restarts / Resumes since the last reset
  bool safe = false;  // clock not rolled back since last reset
};

// ReadTpmInfo(ctx): fixed properties and allocated banks. Writes a loud
// "INSECURE" warning to stderr (once per process) when the TPM is a software
// TPM (rust-keylime does the same). Fails as tss_status.h (kUnavailable when
// the TPM cannot be reached).
absl::StatusOr<TpmInfo> ReadTpmInfo(const EsysContext& ctx);

// The allocated PCR banks whose algorithms Vigil knows, in the TPM's order.
absl::StatusOr<std::vector<HashAlg>> AllocatedPcrBanks(const EsysContext& ctx);

// TPM2_ReadClock. Fails as tss_status.h.
absl::StatusOr<TpmTime> ReadClock(const EsysContext& ctx);

// TPM_PT_NV_BUFFER_MAX: the largest NV_Read/NV_Write chunk (Part 2 §6.13).
absl::StatusOr<uint32_t> NvBufferMax(const EsysContext& ctx);

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_DEVICE_TPM_INFO_H_
