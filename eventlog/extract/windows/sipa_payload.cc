#include "eventlog/extract/windows/sipa_payload.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/byte_reader.h"
#include "common/encoding.h"
#include "eventlog/extract/windows/sipa_ids.h"
#include "tpm/types/hash_alg.h"

namespace vigil::eventlog {
namespace {

using json = nlohmann::ordered_json;

struct EnumName {
  uint64_t value;
  const char* name;
};

// SI_BOOT_APP transfer types. 1 and 5 are in maa-spec.md §3.4; 2 is the
// winresume transfer (Microsoft PCPTool's SIPAEVENT_TRANSFER_CONTROL case).
constexpr EnumName kTransferControl[] = {
    {1, "SiBootAppOsLoader"}, {2, "SiBootAppResume"}, {5, "SiBootHypervisor"}};
// BCD nxpolicy (BcdOSLoaderInteger_NxPolicy); §3.4 names NxPolicyOptIn.
constexpr EnumName kNxPolicy[] = {{0, "NxPolicyOptIn"},
                                  {1, "NxPolicyOptOut"},
                                  {2, "NxPolicyAlwaysOff"},
                                  {3, "NxPolicyAlwaysOn"}};
// wbcl.h OSDEVICE_TYPE_*.
constexpr EnumName kOsDevice[] = {
    {0x00000000, "OSDEVICE_TYPE_UNKNOWN"},
    {0x00010001, "OSDEVICE_TYPE_BLOCKIO_HARDDISK"},
    {0x00010002, "OSDEVICE_TYPE_BLOCKIO_REMOVABLEDISK"},
    {0x00010003, "OSDEVICE_TYPE_BLOCKIO_CDROM"},
    {0x00010004, "OSDEVICE_TYPE_BLOCKIO_PARTITION"},
    {0x00010005, "OSDEVICE_TYPE_BLOCKIO_FILE"},
    {0x00010006, "OSDEVICE_TYPE_BLOCKIO_RAMDISK"},
    {0x00010007, "OSDEVICE_TYPE_BLOCKIO_VIRTUALHARDDISK"},
    {0x00020000, "OSDEVICE_TYPE_SERIAL"},
    {0x00030000, "OSDEVICE_TYPE_UDP"},
    {0x00040000, "OSDEVICE_TYPE_VMBUS"},
    {0x00050000, "OSDEVICE_TYPE_COMPOSITE"},
    {0x00060000, "OSDEVICE_TYPE_CIMFS"},
};
// BCD hypervisorlaunchtype / vsmlaunchtype (Off, Auto); §3.4 names the Auto
// values, which the corpus shows as 1 on machines with VBS running.
constexpr EnumName kHypervisorLaunch[] = {{0, "HypervisorLaunchOff"},
                                          {1, "HypervisorLaunchAuto"}};
constexpr EnumName kVsmLaunch[] = {{0, "VsmLaunchOff"}, {1, "VsmLaunchAuto"}};
// BCD hypervisoriommupolicy (Default, Enable, Disable). Only
// BtIommuPolicyEnable is named in §3.4; the numbering follows the BCD
// element's documented order [inferred].
constexpr EnumName kIommuPolicy[] = {{0, "BtIommuPolicyDefault"},
                                     {1, "BtIommuPolicyEnable"},
                                     {2, "BtIommuPolicyDisable"}};
// ELAM boot-start driver initialization policy (EarlyLaunch DriverLoadPolicy
// ADMX values).
constexpr EnumName kDriverLoadPolicy[] = {
    {1, "GoodPlusUnknown"},
    {3, "GoodPlusUnknownPlusKnownBadCritical"},
    {7, "All"},
    {8, "GoodOnly"}};
// wincrypt.h CAPI ALG_IDs for hashes (e.g. CALG_SHA_256 = 32780, §3.4).
constexpr EnumName kCalg[] = {{0x8003, "CALG_MD5"},
                              {0x8004, "CALG_SHA1"},
                              {0x800C, "CALG_SHA_256"},
                              {0x800D, "CALG_SHA_384"},
                              {0x800E, "CALG_SHA_512"}};
// Only the value §3.4 and Microsoft's HVCI policy rule name; other HVCI
// policy values stay unnamed so they can never satisfy that rule.
constexpr EnumName kHvciPolicy[] = {
    {1, "HypervisorEnforcedCodeIntegrityEnable"}};
// wbcl.h FVEB_UNLOCK_FLAG_* (bit flags).
constexpr EnumName kFvebUnlockFlags[] = {
    {0x001, "CACHED"},     {0x002, "MEDIA"},    {0x004, "TPM"},
    {0x010, "PIN"},        {0x020, "EXTERNAL"}, {0x040, "RECOVERY"},
    {0x080, "PASSPHRASE"}, {0x100, "NBP"},      {0x200, "AUK_OSFVEINFO"}};

// VSM_IDK_ALG_ID_RSA (the only KeyAlgID wbcl.h describes).
constexpr uint32_t kVsmIdkAlgIdRsa = 1;

template <size_t N>
std::optional<std::string> Find(const EnumName (&table)[N], uint64_t v) {
  for (const EnumName& e : table) {
    if (e.value == v) return std::string(e.name);
  }
  return std::nullopt;
}

std::optional<std::string> FvebUnlockFlags(uint64_t v) {
  if (v == 0) return "NONE";
  std::vector<std::string> names;
  uint64_t known = 0;
  for (const EnumName& e : kFvebUnlockFlags) {
    known |= e.value;
    if (v & e.value) names.emplace_back(e.name);
  }
  if (v & ~known) return std::nullopt;
  return absl::StrJoin(names, "|");
}

json Blob(absl::Span<const uint8_t> bytes) { return Base64UrlEncode(bytes); }

// A little-endian integer of 1, 2, 4 or 8 bytes filling all of `payload`.
std::optional<uint64_t> LeInteger(absl::Span<const uint8_t> payload) {
  const size_t n = payload.size();
  if (n != 1 && n != 2 && n != 4 && n != 8) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= static_cast<uint64_t>(payload[i]) << (8 * i);
  return v;
}

json EnumJson(uint32_t id, uint64_t value) {
  json j = json::object();
  if (std::optional<std::string> s = SipaEnumString(id, value))
    j["String"] = *s;
  j["Value"] = value;
  return j;
}

// TPM_ALG_ID as MAA spells it ("SHA256"); ids that are not PCR banks stay
// numeric rather than receiving an invented name.
json TpmAlgJson(uint16_t alg) {
  if (std::optional<tpm::HashAlg> a = tpm::HashAlgFromId(alg)) {
    return std::string(tpm::HashAlgMaaName(*a));
  }
  return alg;
}

// SIPAEVENT_REVOCATION_LIST_PAYLOAD {LONGLONG CreationTime; UINT32
// DigestLength; UINT16 HashAlgID; BYTE Digest[DigestLength]} (wbcl.h).
std::optional<json> RevocationList(absl::Span<const uint8_t> p) {
  ByteReader r(p);
  uint64_t creation;
  uint32_t digest_len;
  uint16_t alg;
  absl::Span<const uint8_t> digest;
  if (!r.ReadU64Le(&creation) || !r.ReadU32Le(&digest_len) ||
      !r.ReadU16Le(&alg) || !r.ReadBytes(digest_len, &digest) || !r.empty()) {
    return std::nullopt;
  }
  json j = json::object();
  j["CreationTime"] = static_cast<int64_t>(creation);  // FILETIME as LONGLONG
  j["Digest"] = Blob(digest);
  j["HashAlgId"] = TpmAlgJson(alg);
  j["RawData"] = Blob(p);
  return j;
}

// SIPAEVENT_SI_POLICY_PAYLOAD {ULONGLONG PolicyVersion; UINT16
// PolicyNameLength; UINT16 HashAlgID; UINT32 DigestLength; WCHAR
// PolicyName[]; BYTE Digest[]} (wbcl.h). PolicyVersion stays the raw
// ULONGLONG (four UINT16 parts, most significant first: 10.0.21250.0).
std::optional<json> SiPolicy(absl::Span<const uint8_t> p) {
  ByteReader r(p);
  uint64_t version;
  uint16_t name_len, alg;
  uint32_t digest_len;
  absl::Span<const uint8_t> name, digest;
  if (!r.ReadU64Le(&version) || !r.ReadU16Le(&name_len) || !r.ReadU16Le(&alg) ||
      !r.ReadU32Le(&digest_len) || !r.ReadBytes(name_len, &name) ||
      !r.ReadBytes(digest_len, &digest) || !r.empty()) {
    return std::nullopt;
  }
  std::optional<std::string> name_utf8 = SipaUtf16ToUtf8(name);
  if (!name_utf8.has_value()) return std::nullopt;
  json j = json::object();
  j["PolicyName"] = *name_utf8;
  j["PolicyVersion"] = version;
  j["HashAlgId"] = TpmAlgJson(alg);
  j["Digest"] = Blob(digest);
  j["RawData"] = Blob(p);
  return j;
}

// SIPAEVENT_SI_POLICY_CERTIFICATE_PAYLOAD {UINT16 PublisherCommonNameLength;
// UINT16 IssuerCommonNameLength; UINT32 HashAlgID (CAPI); UINT16
// DigestLength; WCHAR Publisher[]; WCHAR Issuer[]; BYTE Digest[]}.
std::optional<json> SiPolicyCertificate(ByteReader* r) {
  uint16_t pub_len, iss_len, digest_len;
  uint32_t calg;
  absl::Span<const uint8_t> pub, iss, digest;
  if (!r->ReadU16Le(&pub_len) || !r->ReadU16Le(&iss_len) ||
      !r->ReadU32Le(&calg) || !r->ReadU16Le(&digest_len) ||
      !r->ReadBytes(pub_len, &pub) || !r->ReadBytes(iss_len, &iss) ||
      !r->ReadBytes(digest_len, &digest)) {
    return std::nullopt;
  }
  std::optional<std::string> pub_utf8 = SipaUtf16ToUtf8(pub);
  std::optional<std::string> iss_utf8 = SipaUtf16ToUtf8(iss);
  if (!pub_utf8.has_value() || !iss_utf8.has_value()) return std::nullopt;
  json j = json::object();
  j["CapiHashAlgId"] = EnumJson(SIPAEVENT_HASHALGORITHMID, calg);
  j["Digest"] = Blob(digest);
  j["IssuerCommonName"] = *iss_utf8;
  j["PublisherCommonName"] = *pub_utf8;
  return j;
}

// SIPAEVENT_SI_POLICY_SIGNER_PAYLOAD {UINT32 RootID; UINT32
// CertificatesLength; UINT16 CertificatesCount; UINT16 PolicyNameLength;
// UINT16 EKUsLength; UINT16 EKUsCount; WCHAR PolicyName[]; BYTE EKUs[] as
// [UINT8 len | OID bytes]...; BYTE Certificates[]} (wbcl.h, Windows 11).
std::optional<json> SiPolicySigner(absl::Span<const uint8_t> p) {
  ByteReader r(p);
  uint32_t root_id, certs_len;
  uint16_t certs_count, name_len, ekus_len, ekus_count;
  ByteReader name, ekus, certs;
  if (!r.ReadU32Le(&root_id) || !r.ReadU32Le(&certs_len) ||
      !r.ReadU16Le(&certs_count) || !r.ReadU16Le(&name_len) ||
      !r.ReadU16Le(&ekus_len) || !r.ReadU16Le(&ekus_count) ||
      !r.ReadSub(name_len, &name) || !r.ReadSub(ekus_len, &ekus) ||
      !r.ReadSub(certs_len, &certs) || !r.empty()) {
    return std::nullopt;
  }
  std::optional<std::string> name_utf8 = SipaUtf16ToUtf8(name.Rest());
  if (!name_utf8.has_value()) return std::nullopt;
  json eku_list = json::array();
  for (uint16_t i = 0; i < ekus_count; ++i) {
    uint8_t len;
    absl::Span<const uint8_t> oid;
    if (!ekus.ReadU8(&len) || !ekus.ReadBytes(len, &oid)) return std::nullopt;
    eku_list.push_back(Blob(oid));
  }
  if (!ekus.empty()) return std::nullopt;
  json cert_list = json::array();
  for (uint16_t i = 0; i < certs_count; ++i) {
    std::optional<json> c = SiPolicyCertificate(&certs);
    if (!c.has_value()) return std::nullopt;
    cert_list.push_back(*std::move(c));
  }
  if (!certs.empty()) return std::nullopt;
  json j = json::object();
  j["PolicyName"] = *name_utf8;
  j["RootId"] = root_id;
  j["EKUs"] = std::move(eku_list);
  j["Certificates"] = std::move(cert_list);
  j["RawData"] = Blob(p);
  return j;
}

// SIPAEVENT_SBCP_INFO_PAYLOAD_V1 {UINT32 PayloadVersion; UINT32
// VarDataOffset; UINT16 HashAlgID; UINT16 DigestLength; UINT32 Options;
// UINT32 SignersCount; BYTE VarData[] at VarDataOffset = Digest} (wbcl.h).
std::optional<json> SbcpInfo(absl::Span<const uint8_t> p) {
  constexpr size_t kFixedSize = 20;
  ByteReader r(p);
  uint32_t version, var_offset, options, signers;
  uint16_t alg, digest_len;
  if (!r.ReadU32Le(&version) || !r.ReadU32Le(&var_offset) ||
      !r.ReadU16Le(&alg) || !r.ReadU16Le(&digest_len) ||
      !r.ReadU32Le(&options) || !r.ReadU32Le(&signers)) {
    return std::nullopt;
  }
  if (version != 1 || var_offset < kFixedSize || var_offset > p.size() ||
      digest_len > p.size() - var_offset) {
    return std::nullopt;
  }
  json j = json::object();
  j["PayloadVersion"] = version;
  j["HashAlgId"] = TpmAlgJson(alg);
  j["Digest"] = Blob(p.subspan(var_offset, digest_len));
  // MAA's text for Options == 0 (§3.4); the option bits' names are not
  // public, so other values show the raw bits.
  j["Options"] =
      options == 0
          ? std::string("SecureBootPolicy: default (no options set)")
          : absl::StrFormat("SecureBootPolicy: options 0x%08X", options);
  j["SignersCount"] = signers;
  return j;
}

// SIPAEVENT_VSM_IDK_INFO_PAYLOAD {ULONG32 KeyAlgID; SIPAEVENT_VSM_IDK_RSA_INFO
// {ULONG32 KeyBitLength; ULONG32 PublicExpLengthBytes; ULONG32
// ModulusSizeBytes; BYTE PublicExponent[] (big-endian); BYTE Modulus[]}}.
std::optional<json> VsmIdkInfo(absl::Span<const uint8_t> p) {
  ByteReader r(p);
  uint32_t alg, bits, exp_len, mod_len;
  absl::Span<const uint8_t> exponent, modulus;
  if (!r.ReadU32Le(&alg) || alg != kVsmIdkAlgIdRsa || !r.ReadU32Le(&bits) ||
      !r.ReadU32Le(&exp_len) || !r.ReadU32Le(&mod_len) ||
      !r.ReadBytes(exp_len, &exponent) || !r.ReadBytes(mod_len, &modulus) ||
      !r.empty()) {
    return std::nullopt;
  }
  json j = json::object();
  j["Vsm_idk_alg_id"] = "VSM_IDK_ALG_ID_RSA";
  j["RsaKeyBitLength"] = bits;
  j["RsaPublicExponent"] = Blob(exponent);
  j["RsaModulus"] = Blob(modulus);
  return j;
}

std::optional<json> Decode(const SipaIdInfo& info,
                           absl::Span<const uint8_t> p) {
  switch (info.payload) {
    case SipaPayload::kAggregation:
    case SipaPayload::kBlob:
      return std::nullopt;
    case SipaPayload::kBoolean:
      if (p.size() != 1 || p[0] > 1) return std::nullopt;
      return json(p[0] == 1);
    case SipaPayload::kUint:
      if (std::optional<uint64_t> v = LeInteger(p)) return json(*v);
      return std::nullopt;
    case SipaPayload::kEnum:
      if (std::optional<uint64_t> v = LeInteger(p))
        return EnumJson(info.id, *v);
      return std::nullopt;
    case SipaPayload::kUtf16:
      if (std::optional<std::string> s = SipaUtf16ToUtf8(p)) return json(*s);
      return std::nullopt;
    case SipaPayload::kRevocationList:
      return RevocationList(p);
    case SipaPayload::kSiPolicy:
      return SiPolicy(p);
    case SipaPayload::kSiPolicySigner:
      return SiPolicySigner(p);
    case SipaPayload::kSbcpInfo:
      return SbcpInfo(p);
    case SipaPayload::kVsmIdkInfo:
      return VsmIdkInfo(p);
    case SipaPayload::kDrtmStateAuth: {
      json j = json::object();
      j["RawData"] = Blob(p);
      return j;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> SipaUtf16ToUtf8(absl::Span<const uint8_t> data) {
  if (data.size() % 2 != 0) return std::nullopt;
  std::vector<uint16_t> units;
  units.reserve(data.size() / 2);
  ByteReader r(data);
  uint16_t u;
  while (r.ReadU16Le(&u)) units.push_back(u);
  while (!units.empty() && units.back() == 0) units.pop_back();
  std::string out;
  for (size_t i = 0; i < units.size(); ++i) {
    const uint16_t hi = units[i];
    if (hi == 0) return std::nullopt;
    uint32_t cp = hi;
    if (hi >= 0xD800 && hi <= 0xDBFF) {
      if (i + 1 >= units.size()) return std::nullopt;
      const uint16_t lo = units[++i];
      if (lo < 0xDC00 || lo > 0xDFFF) return std::nullopt;
      cp = 0x10000 + ((static_cast<uint32_t>(hi) - 0xD800) << 10) +
           (lo - 0xDC00);
    } else if (hi >= 0xDC00 && hi <= 0xDFFF) {
      return std::nullopt;
    }
    AppendUtf8(cp, &out);
  }
  return out;
}

std::optional<std::string> SipaEnumString(uint32_t id, uint64_t value) {
  switch (id) {
    case SIPAEVENT_TRANSFER_CONTROL:
      return Find(kTransferControl, value);
    case SIPAEVENT_BITLOCKER_UNLOCK:
      return FvebUnlockFlags(value);
    case SIPAEVENT_DATAEXECUTIONPREVENTION:
      return Find(kNxPolicy, value);
    case SIPAEVENT_OSDEVICE:
      return Find(kOsDevice, value);
    case SIPAEVENT_HYPERVISOR_LAUNCH_TYPE:
      return Find(kHypervisorLaunch, value);
    case SIPAEVENT_HYPERVISOR_IOMMU_POLICY:
      return Find(kIommuPolicy, value);
    case SIPAEVENT_DRIVER_LOAD_POLICY:
      return Find(kDriverLoadPolicy, value);
    case SIPAEVENT_VSM_LAUNCH_TYPE:
      return Find(kVsmLaunch, value);
    case SIPAEVENT_HASHALGORITHMID:
      return Find(kCalg, value);
    case SIPAEVENT_VBS_HVCI_POLICY:
      return Find(kHvciPolicy, value);
    default:
      return std::nullopt;
  }
}

json SipaPayloadJson(uint32_t id, absl::Span<const uint8_t> payload) {
  std::optional<SipaIdInfo> info = LookupSipaId(id);
  if (info.has_value()) {
    if (std::optional<json> j = Decode(*info, payload)) return *std::move(j);
  }
  return Blob(payload);
}

}  // namespace vigil::eventlog
