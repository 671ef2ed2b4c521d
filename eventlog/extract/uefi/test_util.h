// File: eventlog/extract/uefi/test_util.h
// -----------------------------------------------------------------------------
// Test-only builders for hand-made UEFI structures and crypto-agile event
// logs (SHA-256 bank), so hostile-input tests can set every length field.

#ifndef VIGIL_EVENTLOG_EXTRACT_UEFI_TEST_UTIL_H_
#define VIGIL_EVENTLOG_EXTRACT_UEFI_TEST_UTIL_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <string>
#include <vector>

#include "eventlog/uefi_variable.h"

namespace vigil::eventlog::uefi_test {

using Bytes = std::vector<uint8_t>;

inline void AppendU16(Bytes* b, uint16_t v) {
  b->push_back(v & 0xFF);
  b->push_back(v >> 8);
}
inline void AppendU32(Bytes* b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b->push_back((v >> (8 * i)) & 0xFF);
}
inline void AppendU64(Bytes* b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b->push_back((v >> (8 * i)) & 0xFF);
}
inline void Append(Bytes* b, const Bytes& more) {
  b->insert(b->end(), more.begin(), more.end());
}
inline void PutU32(Bytes* b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*b)[at + i] = (v >> (8 * i)) & 0xFF;
}
inline void PutU16(Bytes* b, size_t at, uint16_t v) {
  (*b)[at] = v & 0xFF;
  (*b)[at + 1] = v >> 8;
}
inline void PutU64(Bytes* b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) (*b)[at + i] = (v >> (8 * i)) & 0xFF;
}
inline Bytes GuidBytes(const EfiGuid& g) {
  return Bytes(g.bytes.begin(), g.bytes.end());
}
// ASCII -> UTF-16LE, without terminator.
inline Bytes Utf16(const std::string& s) {
  Bytes b;
  for (char c : s) AppendU16(&b, static_cast<uint8_t>(c));
  return b;
}
inline Bytes Ascii(const std::string& s) { return Bytes(s.begin(), s.end()); }

// EFI_SIGNATURE_LIST with SignatureOwner = EFI_GLOBAL_VARIABLE for each entry.
inline Bytes SignatureList(const EfiGuid& type, const std::vector<Bytes>& sigs) {
  const size_t sig_size = 16 + (sigs.empty() ? 0 : sigs[0].size());
  Bytes b = GuidBytes(type);
  AppendU32(&b, static_cast<uint32_t>(28 + sig_size * sigs.size()));
  AppendU32(&b, 0);
  AppendU32(&b, static_cast<uint32_t>(sig_size));
  for (const Bytes& s : sigs) {
    Append(&b, GuidBytes(EfiGlobalVariableGuid()));
    Append(&b, s);
  }
  return b;
}

// UEFI_VARIABLE_DATA (PFP §10.3.3).
inline Bytes UefiVariable(const EfiGuid& guid, const std::string& name,
                          const Bytes& data) {
  Bytes b = GuidBytes(guid);
  AppendU64(&b, name.size());
  AppendU64(&b, data.size());
  Append(&b, Utf16(name));
  Append(&b, data);
  return b;
}

// Device path node and terminators (UEFI §10.3).
inline Bytes Node(uint8_t type, uint8_t sub, const Bytes& body) {
  Bytes b = {type, sub};
  AppendU16(&b, static_cast<uint16_t>(4 + body.size()));
  Append(&b, body);
  return b;
}
inline Bytes EndNode() { return Node(0x7F, 0xFF, {}); }
inline Bytes FileNode(const std::string& path) {
  Bytes body = Utf16(path);
  AppendU16(&body, 0);
  return Node(0x04, 0x04, body);
}
inline Bytes PciRootNode(uint32_t uid) {
  Bytes body;
  AppendU32(&body, 0x0A0341D0);
  AppendU32(&body, uid);
  return Node(0x02, 0x01, body);
}
inline Bytes PciNode(uint8_t device, uint8_t function) {
  return Node(0x01, 0x01, {function, device});
}

// A self-signed P-256 certificate with serial 42 and subject CN=`cn`.
inline Bytes SelfSignedCertDer(const std::string& cn) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_sign(x, key, EVP_sha256());
  unsigned char* der = nullptr;
  int len = i2d_X509(x, &der);
  Bytes out(der, der + (len > 0 ? len : 0));
  OPENSSL_free(der);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

inline Bytes Sha256(const Bytes& data) {
  Bytes md(32);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md.data(), &n, EVP_sha256(), nullptr);
  return md;
}

// A crypto-agile (SHA-256 only) event log builder.
class LogBuilder {
 public:
  LogBuilder() {
    Bytes spec = Ascii("Spec ID Event03");
    spec.push_back(0);
    AppendU32(&spec, 0);  // platformClass
    spec.push_back(0);    // specVersionMinor
    spec.push_back(2);    // specVersionMajor
    spec.push_back(0);    // specErrata
    spec.push_back(2);    // uintnSize (UINT64)
    AppendU32(&spec, 1);
    AppendU16(&spec, 0x000B);  // TPM_ALG_SHA256
    AppendU16(&spec, 32);
    spec.push_back(0);  // vendorInfoSize
    AppendU32(&bytes_, 0);
    AppendU32(&bytes_, 3);  // EV_NO_ACTION
    Append(&bytes_, Bytes(20, 0));
    AppendU32(&bytes_, static_cast<uint32_t>(spec.size()));
    Append(&bytes_, spec);
  }
  // Adds an event whose digest is SHA-256(`digest_of`).
  LogBuilder& Add(uint32_t pcr, uint32_t type, const Bytes& data,
                  const Bytes& digest_of) {
    AppendU32(&bytes_, pcr);
    AppendU32(&bytes_, type);
    AppendU32(&bytes_, 1);
    AppendU16(&bytes_, 0x000B);
    Append(&bytes_, Sha256(digest_of));
    AppendU32(&bytes_, static_cast<uint32_t>(data.size()));
    Append(&bytes_, data);
    return *this;
  }
  // Adds an event with digest = SHA-256(data).
  LogBuilder& Add(uint32_t pcr, uint32_t type, const Bytes& data) {
    return Add(pcr, type, data, data);
  }
  const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

}  // namespace vigil::eventlog::uefi_test

#endif  // VIGIL_EVENTLOG_EXTRACT_UEFI_TEST_UTIL_H_
