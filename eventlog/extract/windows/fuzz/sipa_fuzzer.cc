// Fuzz target for the SIPA parser and its JSON rendering (style.md rule 8):
// any byte string must parse or fail cleanly, and rendering must not throw.
#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "eventlog/extract/windows/sipa.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto events =
      vigil::eventlog::ParseSipaEvents(absl::MakeConstSpan(data, size));
  if (events.ok()) {
    nlohmann::ordered_json j = vigil::eventlog::SipaEventsJson(*events);
    (void)j.dump(-1, ' ', false,
                 nlohmann::ordered_json::error_handler_t::strict);
  }
  return 0;
}
