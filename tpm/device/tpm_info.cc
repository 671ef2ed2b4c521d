#include "tpm/device/tpm_info.h"

#include <iostream>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tpm/device/esys_ptr.h"
#include "tpm/device/tss_status.h"

namespace vigil::tpm {
namespace {

// TPM_CAP_TPM_PROPERTIES for the fixed group (Part 2 §6.13: PT_FIXED =
// PT_GROUP * 1), following moreData across calls.
absl::StatusOr<std::map<uint32_t, uint32_t>> FixedProperties(
    const EsysContext& ctx) {
  std::map<uint32_t, uint32_t> out;
  uint32_t next = TPM2_PT_FIXED;
  TPMI_YES_NO more = TPM2_YES;
  while (more == TPM2_YES && next < TPM2_PT_FIXED + TPM2_PT_GROUP) {
    TPMS_CAPABILITY_DATA* raw = nullptr;
    TSS2_RC rc = Esys_GetCapability(ctx.get(), ESYS_TR_NONE, ESYS_TR_NONE,
                                    ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES, next,
                                    TPM2_MAX_TPM_PROPERTIES, &more, &raw);
    EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
    if (rc != TSS2_RC_SUCCESS) return TssStatus("Esys_GetCapability", rc);
    const TPML_TAGGED_TPM_PROPERTY& props = data->data.tpmProperties;
    if (props.count == 0) break;
    for (uint32_t i = 0; i < props.count; ++i) {
      out[props.tpmProperty[i].property] = props.tpmProperty[i].value;
    }
    next = props.tpmProperty[props.count - 1].property + 1;
  }
  return out;
}

std::string Ascii(uint32_t word) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) {
    char c = static_cast<char>((word >> shift) & 0xff);
    if (c == '\0') continue;
    s.push_back((c >= 0x20 && c < 0x7f) ? c : '?');
  }
  return s;
}

std::string TrimRight(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// Software TPMs by (manufacturer, vendor-string prefix). libtpms (swtpm) and
// the IBM simulator it derives from report "IBM" and "SW   TPM".
struct SoftwareTpm {
  const char* manufacturer;
  const char* vendor_prefix;
  const char* what;
};
constexpr SoftwareTpm kSoftwareTpms[] = {
    {"IBM", "SW", "libtpms/swtpm or the IBM TPM 2.0 simulator"},
};

void WarnSoftwareTpmOnce(const std::string& reason) {
  static std::once_flag once;
  std::call_once(once, [&reason] {
    std::cerr << "WARNING: INSECURE: Vigil is using a software TPM (" << reason
              << "), not a hardware TPM. Its keys, quotes and PCR values prove "
                 "nothing about this machine.\n";
  });
}

}  // namespace

absl::StatusOr<std::vector<HashAlg>> AllocatedPcrBanks(const EsysContext& ctx) {
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* raw = nullptr;
  TSS2_RC rc = Esys_GetCapability(ctx.get(), ESYS_TR_NONE, ESYS_TR_NONE,
                                  ESYS_TR_NONE, TPM2_CAP_PCRS, 0, 1, &more, &raw);
  EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
  if (rc != TSS2_RC_SUCCESS) return TssStatus("Esys_GetCapability(PCRS)", rc);
  std::vector<HashAlg> banks;
  const TPML_PCR_SELECTION& sel = data->data.assignedPCR;
  for (uint32_t i = 0; i < sel.count; ++i) {
    const TPMS_PCR_SELECTION& s = sel.pcrSelections[i];
    bool any = false;
    for (uint8_t j = 0; j < s.sizeofSelect; ++j) any |= s.pcrSelect[j] != 0;
    std::optional<HashAlg> alg = HashAlgFromId(s.hash);
    if (any && alg.has_value()) banks.push_back(*alg);
  }
  return banks;
}

absl::StatusOr<TpmInfo> ReadTpmInfo(const EsysContext& ctx) {
  absl::StatusOr<std::map<uint32_t, uint32_t>> props = FixedProperties(ctx);
  if (!props.ok()) return props.status();
  auto get = [&](uint32_t pt) {
    auto it = props->find(pt);
    return it == props->end() ? 0u : it->second;
  };
  TpmInfo info;
  info.manufacturer_id = get(TPM2_PT_MANUFACTURER);
  info.manufacturer = TrimRight(Ascii(info.manufacturer_id));
  info.vendor = TrimRight(
      Ascii(get(TPM2_PT_VENDOR_STRING_1)) + Ascii(get(TPM2_PT_VENDOR_STRING_2)) +
      Ascii(get(TPM2_PT_VENDOR_STRING_3)) + Ascii(get(TPM2_PT_VENDOR_STRING_4)));
  info.firmware_version_1 = get(TPM2_PT_FIRMWARE_VERSION_1);
  info.firmware_version_2 = get(TPM2_PT_FIRMWARE_VERSION_2);
  info.firmware_version = absl::StrFormat(
      "%d.%d.%d.%d", info.firmware_version_1 >> 16,
      info.firmware_version_1 & 0xffff, info.firmware_version_2 >> 16,
      info.firmware_version_2 & 0xffff);
  info.family = Ascii(get(TPM2_PT_FAMILY_INDICATOR));
  info.spec_level = get(TPM2_PT_LEVEL);
  info.spec_revision = get(TPM2_PT_REVISION);
  info.spec_year = get(TPM2_PT_YEAR);
  for (const SoftwareTpm& s : kSoftwareTpms) {
    if (info.manufacturer == s.manufacturer &&
        info.vendor.rfind(s.vendor_prefix, 0) == 0) {
      info.is_software = true;
      info.software_reason =
          absl::StrCat(s.what, ": manufacturer \"", info.manufacturer,
                       "\", vendor \"", info.vendor, "\"");
    }
  }
  if (info.is_software) WarnSoftwareTpmOnce(info.software_reason);
  absl::StatusOr<std::vector<HashAlg>> banks = AllocatedPcrBanks(ctx);
  if (!banks.ok()) return banks.status();
  info.pcr_banks = *std::move(banks);
  return info;
}

absl::StatusOr<TpmTime> ReadClock(const EsysContext& ctx) {
  TPMS_TIME_INFO* raw = nullptr;
  TSS2_RC rc = Esys_ReadClock(ctx.get(), ESYS_TR_NONE, ESYS_TR_NONE,
                              ESYS_TR_NONE, &raw);
  EsysPtr<TPMS_TIME_INFO> t(raw);
  if (rc != TSS2_RC_SUCCESS) return TssStatus("Esys_ReadClock", rc);
  TpmTime c;
  c.time_ms = t->time;
  c.clock_ms = t->clockInfo.clock;
  c.reset_count = t->clockInfo.resetCount;
  c.restart_count = t->clockInfo.restartCount;
  c.safe = t->clockInfo.safe == TPM2_YES;
  return c;
}

absl::StatusOr<uint32_t> NvBufferMax(const EsysContext& ctx) {
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* raw = nullptr;
  TSS2_RC rc = Esys_GetCapability(ctx.get(), ESYS_TR_NONE, ESYS_TR_NONE,
                                  ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
                                  TPM2_PT_NV_BUFFER_MAX, 1, &more, &raw);
  EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
  if (rc != TSS2_RC_SUCCESS) return TssStatus("Esys_GetCapability", rc);
  const TPML_TAGGED_TPM_PROPERTY& p = data->data.tpmProperties;
  // Part 2 §6.13 only promises the property exists; fall back to the PC
  // Client minimum (PTP §4.6: 512) if a TPM omits it.
  if (p.count == 0 || p.tpmProperty[0].property != TPM2_PT_NV_BUFFER_MAX ||
      p.tpmProperty[0].value == 0) {
    return 512u;
  }
  return p.tpmProperty[0].value;
}

}  // namespace vigil::tpm
