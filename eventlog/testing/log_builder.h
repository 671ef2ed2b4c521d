// File: eventlog/testing/log_builder.h
// -----------------------------------------------------------------------------
// Builds TCG event logs byte by byte for tests and fuzz seeds: well-formed
// ones (digests computed as H(data) unless given), and, through the raw
// accessors, every kind of malformed one.
//
//   LogBuilder b({tpm::HashAlg::kSha1, tpm::HashAlg::kSha256});
//   b.Add(7, EV_SEPARATOR, {0, 0, 0, 0});
//   std::vector<uint8_t> bytes = b.Bytes();

#ifndef VIGIL_EVENTLOG_TESTING_LOG_BUILDER_H_
#define VIGIL_EVENTLOG_TESTING_LOG_BUILDER_H_

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "eventlog/event_types.h"
#include "tpm/types/hash_alg.h"

namespace vigil::eventlog::testing {

inline void PutU16(std::vector<uint8_t>* out, uint16_t v) {
  out->push_back(v & 0xff);
  out->push_back(v >> 8);
}
inline void PutU32(std::vector<uint8_t>* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back((v >> (8 * i)) & 0xff);
}
inline void PutU64(std::vector<uint8_t>* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back((v >> (8 * i)) & 0xff);
}
inline std::vector<uint8_t> Str(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}
inline std::vector<uint8_t> Utf16(const std::string& ascii, bool nul = false) {
  std::vector<uint8_t> out;
  for (char c : ascii) PutU16(&out, static_cast<uint8_t>(c));
  if (nul) PutU16(&out, 0);
  return out;
}
inline std::vector<uint8_t> HashOf(tpm::HashAlg alg,
                                   const std::vector<uint8_t>& data) {
  return *tpm::Hash(alg, data);
}

// Concatenates byte strings.
inline std::vector<uint8_t> Cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// One Windows TCG_PCClientTaggedEventStruct {EventID, EventDataSize,
// EventData} (wbcl.h; maa-spec §3.4), the data of an EV_EVENT_TAG event.
inline std::vector<uint8_t> SipaTag(uint32_t id, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> out;
  PutU32(&out, id);
  PutU32(&out, static_cast<uint32_t>(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// UEFI_VARIABLE_DATA for EV_EFI_VARIABLE_* events (PFP §10.3.3).
inline std::vector<uint8_t> UefiVariable(const std::vector<uint8_t>& guid16,
                                         const std::string& name,
                                         const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out(guid16);
  PutU64(&out, name.size());
  PutU64(&out, data.size());
  std::vector<uint8_t> n = Utf16(name);
  out.insert(out.end(), n.begin(), n.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// EFI_GLOBAL_VARIABLE 8BE4DF61-93CA-11D2-AA0D-00E098032B8C, on-disk order.
inline std::vector<uint8_t> GlobalVariableGuid() {
  return {0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
          0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c};
}

class LogBuilder {
 public:
  // Crypto-agile log with the given banks (empty: a SHA-1 format log).
  explicit LogBuilder(std::vector<tpm::HashAlg> banks) : banks_(std::move(banks)) {
    if (!banks_.empty()) AddSpecIdHeader();
  }

  // Appends an event whose digests are H(data) in every bank.
  LogBuilder& Add(uint32_t pcr, uint32_t type, const std::vector<uint8_t>& data) {
    std::map<tpm::HashAlg, std::vector<uint8_t>> d;
    for (tpm::HashAlg a : Banks()) d[a] = HashOf(a, data);
    return AddWithDigests(pcr, type, data, d);
  }

  // Appends an event with explicit digests (one per bank, in bank order).
  LogBuilder& AddWithDigests(
      uint32_t pcr, uint32_t type, const std::vector<uint8_t>& data,
      const std::map<tpm::HashAlg, std::vector<uint8_t>>& digests) {
    PutU32(&bytes_, pcr);
    PutU32(&bytes_, type);
    if (banks_.empty()) {
      const auto& d = digests.at(tpm::HashAlg::kSha1);
      bytes_.insert(bytes_.end(), d.begin(), d.end());
    } else {
      PutU32(&bytes_, static_cast<uint32_t>(banks_.size()));
      for (tpm::HashAlg a : banks_) {
        PutU16(&bytes_, static_cast<uint16_t>(a));
        const auto& d = digests.at(a);
        bytes_.insert(bytes_.end(), d.begin(), d.end());
      }
    }
    PutU32(&bytes_, static_cast<uint32_t>(data.size()));
    bytes_.insert(bytes_.end(), data.begin(), data.end());
    return *this;
  }

  // EV_NO_ACTION "StartupLocality" (PFP §10.4.5.3) in PCR0.
  LogBuilder& AddStartupLocality(uint8_t locality) {
    std::vector<uint8_t> data = Str(std::string("StartupLocality") + '\0');
    data.push_back(locality);
    std::map<tpm::HashAlg, std::vector<uint8_t>> zero;
    for (tpm::HashAlg a : Banks()) zero[a] = std::vector<uint8_t>(tpm::DigestSize(a));
    return AddWithDigests(0, EV_NO_ACTION, data, zero);
  }

  std::vector<tpm::HashAlg> Banks() const {
    return banks_.empty() ? std::vector<tpm::HashAlg>{tpm::HashAlg::kSha1} : banks_;
  }
  const std::vector<uint8_t>& Bytes() const { return bytes_; }
  std::vector<uint8_t>& MutableBytes() { return bytes_; }
  // Offset where the next event will start.
  size_t size() const { return bytes_.size(); }

 private:
  void AddSpecIdHeader() {
    std::vector<uint8_t> spec = Str(std::string("Spec ID Event03") + '\0');
    PutU32(&spec, 0);  // platformClass
    spec.push_back(0);  // specVersionMinor
    spec.push_back(2);  // specVersionMajor
    spec.push_back(0);  // specErrata
    spec.push_back(2);  // uintnSize
    PutU32(&spec, static_cast<uint32_t>(banks_.size()));
    for (tpm::HashAlg a : banks_) {
      PutU16(&spec, static_cast<uint16_t>(a));
      PutU16(&spec, static_cast<uint16_t>(tpm::DigestSize(a)));
    }
    spec.push_back(0);  // vendorInfoSize
    PutU32(&bytes_, 0);
    PutU32(&bytes_, EV_NO_ACTION);
    bytes_.insert(bytes_.end(), 20, 0);
    PutU32(&bytes_, static_cast<uint32_t>(spec.size()));
    bytes_.insert(bytes_.end(), spec.begin(), spec.end());
  }

  std::vector<tpm::HashAlg> banks_;
  std::vector<uint8_t> bytes_;
};

}  // namespace vigil::eventlog::testing

#endif  // VIGIL_EVENTLOG_TESTING_LOG_BUILDER_H_
