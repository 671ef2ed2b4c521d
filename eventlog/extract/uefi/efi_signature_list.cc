#include "eventlog/extract/uefi/efi_signature_list.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/byte_reader.h"
#include "common/encoding.h"

namespace vigil::eventlog {
namespace {

constexpr size_t kGuidSize = 16;

absl::Status Error(size_t offset, absl::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat("offset ", offset, ": ", reason));
}

const EfiGuid& Guid(const char* text) {
  // Only called with the literal constants below, which are well formed.
  return *new EfiGuid(*EfiGuid::FromString(text));
}

// SignatureData size for the fixed-size signature types, or 0 if variable.
size_t FixedDataSize(const EfiGuid& type) {
  if (type == EfiCertSha256Guid()) return 32;
  if (type == EfiCertSha1Guid()) return 20;
  if (type == EfiCertSha384Guid()) return 48;
  if (type == EfiCertSha512Guid()) return 64;
  if (type == EfiCertRsa2048Guid()) return 256;
  return 0;
}

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};

std::string NameToString(const X509_NAME* name) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return "";
  // RFC 2253 with UTF-8 output instead of escaped multibyte characters.
  const unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
  if (X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) return "";
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return "";
  return std::string(data, static_cast<size_t>(len));
}

void DecodeIfX509(EfiSignatureData* entry) {
  absl::StatusOr<X509Summary> cert = DecodeX509(entry->data);
  if (cert.ok()) {
    entry->x509 = *std::move(cert);
  } else {
    entry->x509_error = std::string(cert.status().message());
  }
}

}  // namespace

const EfiGuid& EfiCertSha256Guid() {
  static const EfiGuid& g = Guid("C1C41626-504C-4092-ACA9-41F936934328");
  return g;
}
const EfiGuid& EfiCertRsa2048Guid() {
  static const EfiGuid& g = Guid("3C5766E8-269C-4E34-AA14-ED776E85B3B6");
  return g;
}
const EfiGuid& EfiCertSha1Guid() {
  static const EfiGuid& g = Guid("826CA512-CF10-4AC9-B187-BE01496631BD");
  return g;
}
const EfiGuid& EfiCertX509Guid() {
  static const EfiGuid& g = Guid("A5C059A1-94E4-4AA7-87B5-AB155C2BF072");
  return g;
}
const EfiGuid& EfiCertSha384Guid() {
  static const EfiGuid& g = Guid("FF3E5307-9FD0-48C9-85F1-8AD56C701E01");
  return g;
}
const EfiGuid& EfiCertSha512Guid() {
  static const EfiGuid& g = Guid("093E0FAE-A6C4-4F50-9F1B-D41B2B89C19A");
  return g;
}

std::optional<absl::string_view> SignatureTypeName(const EfiGuid& type) {
  if (type == EfiCertX509Guid()) return "EFI_CERT_X509_GUID";
  if (type == EfiCertSha256Guid()) return "EFI_CERT_SHA256_GUID";
  if (type == EfiCertSha1Guid()) return "EFI_CERT_SHA1_GUID";
  if (type == EfiCertSha384Guid()) return "EFI_CERT_SHA384_GUID";
  if (type == EfiCertSha512Guid()) return "EFI_CERT_SHA512_GUID";
  if (type == EfiCertRsa2048Guid()) return "EFI_CERT_RSA2048_GUID";
  return std::nullopt;
}

namespace {

absl::StatusOr<X509Summary> DecodeX509Uncached(absl::Span<const uint8_t> der,
                                               std::string sha256_fingerprint) {
  const unsigned char* p = der.data();
  std::unique_ptr<X509, X509Deleter> cert(
      d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr) {
    return absl::InvalidArgumentError("x509: DER does not parse");
  }
  const size_t used = static_cast<size_t>(p - der.data());
  if (used != der.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "x509: ", der.size() - used, " bytes follow the certificate"));
  }
  X509Summary out;
  out.subject = NameToString(X509_get_subject_name(cert.get()));
  out.issuer = NameToString(X509_get_issuer_name(cert.get()));
  std::unique_ptr<BIGNUM, BnDeleter> serial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (serial != nullptr) {
    char* hex = BN_bn2hex(serial.get());
    if (hex != nullptr) {
      out.serial_hex = absl::AsciiStrToLower(hex);
      OPENSSL_free(hex);
    }
  }
  out.sha256_fingerprint = std::move(sha256_fingerprint);
  return out;
}

// Summaries by SHA-256 of the DER. d2i_X509 costs ~100 us under OpenSSL 3
// (the key type is resolved through the provider decoders), and a fleet's
// logs carry the same few Microsoft and OEM certificates in db, KEK, PK and
// every EV_EFI_VARIABLE_AUTHORITY event; the verifier renders them on every
// attestation whose policy reads the `events` claim. Bounded: when full it
// starts afresh (a log of unique junk certificates can only churn it).
// Outcomes are pure functions of the bytes, so failures are kept too.
class X509SummaryCache {
 public:
  static X509SummaryCache& Get() {
    static auto* cache = new X509SummaryCache();
    return *cache;
  }

  std::optional<absl::StatusOr<X509Summary>> Find(const std::string& key) {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }

  void Put(const std::string& key, const absl::StatusOr<X509Summary>& value) {
    absl::MutexLock lock(&mu_);
    if (entries_.size() >= kCapacity) entries_.clear();
    entries_.try_emplace(key, value);
  }

 private:
  static constexpr size_t kCapacity = 4096;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::StatusOr<X509Summary>> entries_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<X509Summary> DecodeX509(absl::Span<const uint8_t> der) {
  if (der.empty() || der.size() > static_cast<size_t>(LONG_MAX)) {
    return absl::InvalidArgumentError("x509: empty or oversized certificate");
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  // Fingerprint of the bytes as measured, not of OpenSSL's re-encoding.
  if (EVP_Digest(der.data(), der.size(), md, &md_len, EVP_sha256(), nullptr) !=
      1) {
    return absl::InternalError("x509: SHA-256 unavailable");
  }
  std::string fingerprint = HexEncode(absl::MakeConstSpan(md, md_len));
  X509SummaryCache& cache = X509SummaryCache::Get();
  if (std::optional<absl::StatusOr<X509Summary>> hit =
          cache.Find(fingerprint)) {
    return *std::move(hit);
  }
  absl::StatusOr<X509Summary> decoded = DecodeX509Uncached(der, fingerprint);
  cache.Put(fingerprint, decoded);
  return decoded;
}

absl::StatusOr<std::vector<EfiSignatureList>> ParseEfiSignatureLists(
    absl::Span<const uint8_t> data, size_t base_offset) {
  std::vector<EfiSignatureList> lists;
  size_t total_signatures = 0;
  ByteReader r(data, base_offset);
  while (!r.empty()) {
    EfiSignatureList list;
    list.offset = r.offset();
    ByteReader header = r;
    if (!ReadEfiGuid(header, &list.signature_type) ||
        !header.ReadU32Le(&list.signature_list_size) ||
        !header.ReadU32Le(&list.signature_header_size) ||
        !header.ReadU32Le(&list.signature_size)) {
      return Error(list.offset, "truncated EFI_SIGNATURE_LIST header");
    }
    if (list.signature_list_size < kEfiSignatureListHeaderSize) {
      return Error(list.offset,
                   absl::StrCat("SignatureListSize ", list.signature_list_size,
                                " is smaller than the 28-byte header"));
    }
    ByteReader body;
    if (!r.ReadSub(list.signature_list_size, &body)) {
      return Error(
          list.offset,
          absl::StrCat("SignatureListSize ", list.signature_list_size,
                       " runs past the end (", r.remaining(), " bytes left)"));
    }
    body.Skip(kEfiSignatureListHeaderSize);  // cannot fail: size checked
    if (!body.ReadBytes(list.signature_header_size, &list.signature_header)) {
      return Error(
          list.offset,
          absl::StrCat("SignatureHeaderSize ", list.signature_header_size,
                       " does not fit in SignatureListSize ",
                       list.signature_list_size));
    }
    if (list.signature_size < kGuidSize) {
      return Error(list.offset,
                   absl::StrCat("SignatureSize ", list.signature_size,
                                " is smaller than 16"));
    }
    if (body.remaining() % list.signature_size != 0) {
      return Error(list.offset,
                   absl::StrCat(body.remaining(),
                                " signature bytes are not a multiple of "
                                "SignatureSize ",
                                list.signature_size));
    }
    const size_t fixed = FixedDataSize(list.signature_type);
    if (fixed != 0 && list.signature_size != kGuidSize + fixed) {
      return Error(list.offset,
                   absl::StrCat("SignatureSize ", list.signature_size, " for ",
                                *SignatureTypeName(list.signature_type),
                                ", want ", kGuidSize + fixed));
    }
    const size_t count = body.remaining() / list.signature_size;
    if (count > kMaxEfiSignatures - total_signatures) {
      return Error(list.offset, absl::StrCat("more than ", kMaxEfiSignatures,
                                             " signatures"));
    }
    total_signatures += count;
    const bool x509 = list.signature_type == EfiCertX509Guid();
    list.signatures.reserve(count);
    while (!body.empty()) {
      EfiSignatureData entry;
      entry.offset = body.offset();
      ByteReader one;
      body.ReadSub(list.signature_size, &one);  // multiple checked above
      ReadEfiGuid(one, &entry.owner);           // size >= 16 checked above
      entry.data = one.Rest();
      if (x509) DecodeIfX509(&entry);
      list.signatures.push_back(std::move(entry));
    }
    lists.push_back(std::move(list));
  }
  return lists;
}

absl::StatusOr<EfiSignatureData> ParseEfiSignatureData(
    absl::Span<const uint8_t> data, size_t base_offset) {
  ByteReader r(data, base_offset);
  EfiSignatureData entry;
  entry.offset = base_offset;
  if (!ReadEfiGuid(r, &entry.owner)) {
    return Error(base_offset,
                 absl::StrCat("EFI_SIGNATURE_DATA of ", data.size(),
                              " bytes is shorter than its 16-byte owner"));
  }
  entry.data = r.Rest();
  if (!entry.data.empty() && entry.data[0] == 0x30) DecodeIfX509(&entry);
  return entry;
}

}  // namespace vigil::eventlog
