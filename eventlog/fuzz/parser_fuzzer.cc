// libFuzzer target for the event-log pipeline on untrusted bytes: parse,
// replay, integrity checks and the renderings built on them. Any input must
// either be rejected with a Status or processed without crashing, hanging or
// tripping a sanitizer.
#include <cstddef>
#include <cstdint>

#include "eventlog/parser.h"
#include "eventlog/replay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<vigil::eventlog::EventLog> log =
      vigil::eventlog::Parse(absl::MakeConstSpan(data, size));
  if (!log.ok()) return 0;
  absl::StatusOr<vigil::eventlog::ReplayedLog> replayed =
      vigil::eventlog::InsecureReplayWithoutQuote(*log);
  if (!replayed.ok()) return 0;
  for (const auto& ev : log->events) (void)replayed->EventTrusted(ev.index);
  return 0;
}
