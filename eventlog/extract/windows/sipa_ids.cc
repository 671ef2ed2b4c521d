#include "eventlog/extract/windows/sipa_ids.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vigil::eventlog {
namespace {

using P = SipaPayload;

// Windows SDK um/wbcl.h (10.0.22000+), in ID order; the payload column follows
// maa-spec.md §3.4 and the structure comments in wbcl.h. IDs whose payload
// wbcl.h does not describe are kBlob, so nothing is guessed.
constexpr SipaIdInfo kSipaIds[] = {
    // SIPAEVENTTYPE_INFORMATION (0x0002xxxx)
    {0x00020001, "INFORMATION", P::kBlob},
    {0x00020002, "BOOTCOUNTER", P::kUint},
    {0x00020003, "TRANSFER_CONTROL", P::kEnum},
    {0x00020004, "APPLICATION_RETURN", P::kBlob},
    {0x00020005, "BITLOCKER_UNLOCK", P::kEnum},
    {0x00020006, "EVENTCOUNTER", P::kUint},
    {0x00020007, "COUNTERID", P::kUint},
    {0x00020008, "MORBIT_NOT_CANCELABLE", P::kUint},
    {0x00020009, "APPLICATION_SVN", P::kUint},
    {0x0002000A, "SVN_CHAIN_STATUS", P::kUint},
    {0x0002000B, "MORBIT_API_STATUS", P::kUint},
    // SIPAEVENTTYPE_ERROR (0x0003xxxx)
    {0x00030001, "FIRMWAREFAILURE", P::kBlob},
    {0x00030003, "INTERNALFAILURE", P::kBlob},
    // SIPAEVENTTYPE_PREOSPARAMETER (0x0004xxxx)
    {0x00040001, "BOOTDEBUGGING", P::kBoolean},
    {0x00040002, "BOOT_REVOCATION_LIST", P::kRevocationList},
    // SIPAEVENTTYPE_OSPARAMETER (0x0005xxxx)
    {0x00050001, "OSKERNELDEBUG", P::kBoolean},
    {0x00050002, "CODEINTEGRITY", P::kBoolean},
    {0x00050003, "TESTSIGNING", P::kBoolean},
    {0x00050004, "DATAEXECUTIONPREVENTION", P::kEnum},
    {0x00050005, "SAFEMODE", P::kBoolean},
    {0x00050006, "WINPE", P::kBoolean},
    {0x00050007, "PHYSICALADDRESSEXTENSION", P::kUint},
    {0x00050008, "OSDEVICE", P::kEnum},
    {0x00050009, "SYSTEMROOT", P::kUtf16},
    {0x0005000A, "HYPERVISOR_LAUNCH_TYPE", P::kEnum},
    {0x0005000B, "HYPERVISOR_PATH", P::kUtf16},
    {0x0005000C, "HYPERVISOR_IOMMU_POLICY", P::kEnum},
    {0x0005000D, "HYPERVISOR_DEBUG", P::kBoolean},
    {0x0005000E, "DRIVER_LOAD_POLICY", P::kEnum},
    {0x0005000F, "SI_POLICY", P::kSiPolicy},
    {0x00050010, "HYPERVISOR_MMIO_NX_POLICY", P::kUint},
    {0x00050011, "HYPERVISOR_MSR_FILTER_POLICY", P::kUint},
    {0x00050012, "VSM_LAUNCH_TYPE", P::kEnum},
    {0x00050013, "OS_REVOCATION_LIST", P::kRevocationList},
    {0x00050014, "SMT_STATUS", P::kUint},
    {0x00050020, "VSM_IDK_INFO", P::kVsmIdkInfo},
    {0x00050021, "FLIGHTSIGNING", P::kBoolean},
    {0x00050022, "PAGEFILE_ENCRYPTION_ENABLED", P::kBoolean},
    {0x00050023, "VSM_IDKS_INFO", P::kVsmIdkInfo},
    {0x00050024, "HIBERNATION_DISABLED", P::kBoolean},
    {0x00050025, "DUMPS_DISABLED", P::kBoolean},
    {0x00050026, "DUMP_ENCRYPTION_ENABLED", P::kBoolean},
    {0x00050027, "DUMP_ENCRYPTION_KEY_DIGEST", P::kBlob},
    {0x00050028, "LSAISO_CONFIG", P::kUint},
    {0x00050029, "SBCP_INFO", P::kSbcpInfo},
    {0x00050030, "HYPERVISOR_BOOT_DMA_PROTECTION", P::kBoolean},
    {0x00050031, "SI_POLICY_SIGNER", P::kSiPolicySigner},
    {0x00050032, "SI_POLICY_UPDATE_SIGNER", P::kSiPolicySigner},
    // SIPAEVENTTYPE_AUTHORITY (0x0006xxxx)
    {0x00060001, "NOAUTHORITY", P::kBlob},
    {0x00060002, "AUTHORITYPUBKEY", P::kBlob},
    // SIPAEVENTTYPE_LOADEDMODULE (0x0007xxxx)
    {0x00070001, "FILEPATH", P::kUtf16},
    {0x00070002, "IMAGESIZE", P::kUint},
    {0x00070003, "HASHALGORITHMID", P::kEnum},
    {0x00070004, "AUTHENTICODEHASH", P::kBlob},
    {0x00070005, "AUTHORITYISSUER", P::kUtf16},
    {0x00070006, "AUTHORITYSERIAL", P::kBlob},
    {0x00070007, "IMAGEBASE", P::kUint},
    {0x00070008, "AUTHORITYPUBLISHER", P::kUtf16},
    {0x00070009, "AUTHORITYSHA1THUMBPRINT", P::kBlob},
    {0x0007000A, "IMAGEVALIDATED", P::kBoolean},
    {0x0007000B, "MODULE_SVN", P::kUint},
    // SIPAEVENTTYPE_ELAM (0x0009xxxx)
    {0x00090001, "ELAM_KEYNAME", P::kUtf16},
    {0x00090002, "ELAM_CONFIGURATION", P::kBlob},
    {0x00090003, "ELAM_POLICY", P::kBlob},
    {0x00090004, "ELAM_MEASURED", P::kBlob},
    // SIPAEVENTTYPE_VBS (0x000Axxxx)
    {0x000A0001, "VBS_VSM_REQUIRED", P::kBoolean},
    {0x000A0002, "VBS_SECUREBOOT_REQUIRED", P::kBoolean},
    {0x000A0003, "VBS_IOMMU_REQUIRED", P::kBoolean},
    {0x000A0004, "VBS_MMIO_NX_REQUIRED", P::kBoolean},
    {0x000A0005, "VBS_MSR_FILTERING_REQUIRED", P::kBoolean},
    {0x000A0006, "VBS_MANDATORY_ENFORCEMENT", P::kBoolean},
    {0x000A0007, "VBS_HVCI_POLICY", P::kEnum},
    {0x000A0008, "VBS_MICROSOFT_BOOT_CHAIN_REQUIRED", P::kBoolean},
    {0x000A0009, "VBS_DUMP_USES_AMEROOT", P::kBoolean},
    {0x000A000A, "VBS_VSM_NOSECRETS_ENFORCED", P::kBoolean},
    // SIPAEVENTTYPE_KSR (0x000Bxxxx)
    {0x000B0001, "KSR_SIGNATURE", P::kBlob},
    // SIPAEVENTTYPE_DRTM (0x000Cxxxx)
    {0x000C0001, "DRTM_STATE_AUTH", P::kDrtmStateAuth},
    {0x000C0002, "DRTM_SMM_LEVEL", P::kEnum},
    {0x000C0003, "DRTM_AMD_SMM_HASH", P::kBlob},
    {0x000C0004, "DRTM_AMD_SMM_SIGNER_KEY", P::kBlob},
    // Aggregations (SIPAEVENTTYPE_AGGREGATION | SIPAEVENTTYPE_CONTAINER)
    {0x40010001, "TRUSTBOUNDARY", P::kAggregation},
    {0x40010002, "ELAM_AGGREGATION", P::kAggregation},
    {0x40010003, "LOADEDMODULE_AGGREGATION", P::kAggregation},
    {0x40010005, "KSR_AGGREGATION", P::kAggregation},
    {0x40010006, "KSR_SIGNED_MEASUREMENT_AGGREGATION", P::kAggregation},
    // Non-measured (SIPAEVENTTYPE_NONMEASURED)
    {0x80030002, "TPMFAILURE", P::kBlob},
    {0x80030004, "KSRFAILURE", P::kBlob},
    {0x80080001, "QUOTE", P::kBlob},
    {0x80080002, "QUOTESIGNATURE", P::kBlob},
    {0x80080003, "AIKID", P::kUtf16},
    {0x80080004, "AIKPUBDIGEST", P::kBlob},
    {0xC0010004, "TRUSTPOINT_AGGREGATION", P::kAggregation},
};

constexpr bool SortedById() {
  for (size_t i = 1; i < std::size(kSipaIds); ++i) {
    if (kSipaIds[i - 1].id >= kSipaIds[i].id) return false;
  }
  return true;
}
static_assert(SortedById(), "kSipaIds must be sorted by id for binary search");

}  // namespace

std::optional<SipaIdInfo> LookupSipaId(uint32_t id) {
  const auto* end = std::end(kSipaIds);
  const auto* it = std::lower_bound(
      std::begin(kSipaIds), end, id,
      [](const SipaIdInfo& e, uint32_t v) { return e.id < v; });
  if (it == end || it->id != id) return std::nullopt;
  return *it;
}

std::string SipaJsonKey(uint32_t id) {
  if (id == SIPAEVENT_DRTM_SMM_LEVEL) return "EVENT_DRTM_SMM";
  std::optional<SipaIdInfo> info = LookupSipaId(id);
  if (!info.has_value()) return absl::StrFormat("EVENT_UNKNOWN_0x%08X", id);
  return absl::StrCat("EVENT_", info->name);
}

bool SipaAlwaysArray(uint32_t id) {
  return id == SIPAEVENT_LOADEDMODULE_AGGREGATION ||
         id == SIPAEVENT_SI_POLICY || id == SIPAEVENT_SI_POLICY_SIGNER ||
         id == SIPAEVENT_AUTHORITYPUBKEY;
}

}  // namespace vigil::eventlog
