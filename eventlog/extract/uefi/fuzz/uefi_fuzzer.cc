// libFuzzer target for every UEFI event-data decoder (UEFI_VARIABLE_DATA,
// EFI_SIGNATURE_LIST, device paths, UEFI_IMAGE_LOAD_EVENT, EFI_LOAD_OPTION,
// firmware blobs, handoff tables, GPT, separators, text): the first input byte
// picks the event type, the rest is the event data, rendered as Azure's
// ProcessedData and as the one-line description.
#include <cstddef>
#include <cstdint>

#include "eventlog/event_log.h"
#include "eventlog/event_types.h"
#include "eventlog/extract/uefi/efi_signature_list.h"
#include "eventlog/extract/uefi/processed_data.h"

namespace {

constexpr uint32_t kTypes[] = {
    vigil::eventlog::EV_EFI_VARIABLE_DRIVER_CONFIG,
    vigil::eventlog::EV_EFI_VARIABLE_BOOT,
    vigil::eventlog::EV_EFI_VARIABLE_BOOT2,
    vigil::eventlog::EV_EFI_VARIABLE_AUTHORITY,
    vigil::eventlog::EV_EFI_BOOT_SERVICES_APPLICATION,
    vigil::eventlog::EV_EFI_BOOT_SERVICES_DRIVER,
    vigil::eventlog::EV_EFI_RUNTIME_SERVICES_DRIVER,
    vigil::eventlog::EV_EFI_GPT_EVENT,
    vigil::eventlog::EV_EFI_ACTION,
    vigil::eventlog::EV_EFI_PLATFORM_FIRMWARE_BLOB,
    vigil::eventlog::EV_EFI_PLATFORM_FIRMWARE_BLOB2,
    vigil::eventlog::EV_EFI_HANDOFF_TABLES,
    vigil::eventlog::EV_EFI_HANDOFF_TABLES2,
    vigil::eventlog::EV_SEPARATOR,
    vigil::eventlog::EV_S_CRTM_VERSION,
    vigil::eventlog::EV_IPL,
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  vigil::eventlog::RawEvent ev;
  ev.pcr_index = 7;
  ev.untrusted_type = kTypes[data[0] % (sizeof(kTypes) / sizeof(kTypes[0]))];
  ev.data = absl::MakeConstSpan(data + 1, size - 1);
  (void)vigil::eventlog::UefiProcessedData(ev);
  (void)vigil::eventlog::DescribeUefiEvent(ev);
  (void)vigil::eventlog::ParseEfiSignatureLists(ev.data, 0);
  return 0;
}
