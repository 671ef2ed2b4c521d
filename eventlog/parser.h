// File: eventlog/parser.h
// -----------------------------------------------------------------------------
// Parse: TCG event log bytes -> EventLog. Pure: no I/O. Handles SHA-1 logs
// (TCG_PCR_EVENT records) and crypto-agile logs (Spec ID Event03 header, then
// TCG_PCR_EVENT2 records with digests for any of sha1, sha256, sha384, sha512,
// sm3_256).
//
// Every length field is validated before use through common/byte_reader.h;
// sizes are capped (kMaxLogSize, kMaxEvents). The input is untrusted; any byte
// string is safe to pass (fuzzed by eventlog/fuzz/parser_fuzzer.cc).

#ifndef VIGIL_EVENTLOG_PARSER_H_
#define VIGIL_EVENTLOG_PARSER_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "eventlog/event_log.h"

namespace vigil::eventlog {

// Largest log accepted. Real firmware logs are 10-100 KiB; the kernel exposes
// at most the ACPI TPM2/TCPA log area (typically 64 KiB - 1 MiB).
inline constexpr size_t kMaxLogSize = 16 * 1024 * 1024;
// Most records accepted.
inline constexpr size_t kMaxEvents = 100000;

// Parse(bytes): returns the parsed log. The result is UNVERIFIED (see
// eventlog/event_log.h).
// Fails with kInvalidArgument, message "offset N: <reason>", when:
//   - the log is empty or larger than kMaxLogSize;
//   - a record is truncated or a length runs past the end;
//   - a crypto-agile record names an algorithm absent from the Spec ID event,
//     repeats one, or carries no digest or more digests than declared banks
//     (fewer is accepted: some Windows events are SHA-256 only);
//   - the Spec ID event is malformed (digest size disagrees with the
//     algorithm, no algorithms, unknown algorithm id);
//   - a PCR index is >= 24 and not 0xFFFFFFFF;
//   - there are more than kMaxEvents records;
//   - non-zero bytes follow the last record that cannot be parsed as one.
absl::StatusOr<EventLog> Parse(absl::Span<const uint8_t> bytes);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_PARSER_H_
