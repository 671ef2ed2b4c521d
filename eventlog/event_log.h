// File: eventlog/event_log.h
// -----------------------------------------------------------------------------
// A parsed TCG event log. UNVERIFIED: every field came from the log bytes,
// which the device (or an attacker on it) wrote. Parsing only proves the bytes
// are well formed. Nothing here may feed a decision until the log has been
// replayed against PCR values from a verified quote (eventlog/replay.h), which
// yields a ReplayedLog (style.md rules 5-7).

#ifndef VIGIL_EVENTLOG_EVENT_LOG_H_
#define VIGIL_EVENTLOG_EVENT_LOG_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "tpm/types/hash_alg.h"

namespace vigil::eventlog {

// PCR index some Windows logs use for non-measured trust-point events
// (SIPA TRUSTPOINT_AGGREGATION); such events are parsed and never replayed.
inline constexpr uint32_t kNoPcr = 0xFFFFFFFF;

enum class LogFormat {
  // TCG_PCR_EVENT records only, SHA-1 digests (TPM 1.2 logs, and TPM 2.0
  // "non-agile" logs; PC Client PFP §10.2.1).
  kSha1,
  // Header TCG_PCR_EVENT carrying "Spec ID Event03", then TCG_PCR_EVENT2
  // records with one digest per bank (PC Client PFP §10.2.2).
  kCryptoAgile,
};

struct EventDigest {
  tpm::HashAlg alg;
  absl::Span<const uint8_t> value;  // points into EventLog storage
};

// One log record. Spans point into the owning EventLog's storage.
struct RawEvent {
  size_t index = 0;   // position in the log; 0 is the first record
  size_t offset = 0;  // byte offset of the record in the log
  uint32_t pcr_index = 0;
  // Attacker-controlled; see eventlog/event_types.h.
  uint32_t untrusted_type = 0;
  absl::InlinedVector<EventDigest, 4> digests;
  absl::Span<const uint8_t> data;

  // The digest for `alg`, or nullopt if this record has none.
  std::optional<absl::Span<const uint8_t>> DigestFor(tpm::HashAlg alg) const;
};

// TCG_EfiSpecIdEvent (PC Client PFP §10.4.5.1).
struct SpecIdEvent {
  std::string signature;  // "Spec ID Event03" (NUL stripped)
  uint32_t platform_class = 0;
  uint8_t spec_version_minor = 0;
  uint8_t spec_version_major = 0;
  uint8_t spec_errata = 0;
  uint8_t uintn_size = 0;
  struct Algorithm {
    uint16_t algorithm_id = 0;
    uint16_t digest_size = 0;
  };
  std::vector<Algorithm> algorithms;
  std::vector<uint8_t> vendor_info;
};

// A parsed, unverified event log. Copies share the immutable byte storage.
struct EventLog {
  LogFormat format = LogFormat::kSha1;
  // Banks the log carries digests for, in Spec ID order (kSha1 logs: SHA-1).
  std::vector<tpm::HashAlg> algorithms;
  // Present for crypto-agile logs (and SHA-1 logs with a Spec ID header).
  std::optional<SpecIdEvent> spec_id;
  // Every record in log order, including the header record (index 0).
  std::vector<RawEvent> events;
  // Locality from a "StartupLocality" EV_NO_ACTION event (PC Client PFP
  // §10.4.5.3), which sets PCR0's initial value. Unverified like everything
  // here; replay against quoted PCRs is what checks it.
  std::optional<uint8_t> startup_locality;
  // Zero bytes after the last record (some firmware pads the ACPI log area).
  size_t trailing_zero_bytes = 0;
  // Total size of the parsed input.
  size_t size_bytes = 0;

  std::shared_ptr<const std::vector<uint8_t>> storage;
};

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_EVENT_LOG_H_
