#include "eventlog/parser.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"
#include "eventlog/event_types.h"
#include "tpm/types/pcr_bank.h"

namespace vigil::eventlog {

std::optional<absl::Span<const uint8_t>> RawEvent::DigestFor(
    tpm::HashAlg alg) const {
  for (const EventDigest& d : digests) {
    if (d.alg == alg) return d.value;
  }
  return std::nullopt;
}

namespace {

constexpr size_t kSha1Size = 20;
constexpr char kSpecIdEvent03[] = "Spec ID Event03";  // 15 chars + NUL
constexpr char kStartupLocality[] = "StartupLocality";  // 15 chars + NUL

absl::Status Error(size_t offset, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("offset ", offset, ": ", what));
}

bool HasPrefix(absl::Span<const uint8_t> data, const char* cstr_with_nul) {
  const size_t n = std::strlen(cstr_with_nul) + 1;
  return data.size() >= n && std::memcmp(data.data(), cstr_with_nul, n) == 0;
}

bool AllZero(absl::Span<const uint8_t> s) {
  return std::all_of(s.begin(), s.end(), [](uint8_t b) { return b == 0; });
}

// One bank as the Spec ID event declares it. `alg` is empty for algorithm ids
// Vigil does not know; their digests are skipped using the declared size.
struct DeclaredBank {
  uint16_t id;
  uint16_t size;
  std::optional<tpm::HashAlg> alg;
};

absl::Status CheckPcrIndex(uint32_t pcr, size_t offset, size_t index) {
  if (pcr < tpm::kNumPcrs || pcr == kNoPcr) return absl::OkStatus();
  return Error(offset, absl::StrCat("event ", index, ": pcr index ", pcr,
                                    " out of range 0..23"));
}

// TCG_EfiSpecIdEvent (PC Client PFP §10.4.5.1), from the header's data.
absl::StatusOr<SpecIdEvent> ParseSpecId(ByteReader r) {
  SpecIdEvent s;
  absl::Span<const uint8_t> sig;
  uint32_t num_algs;
  if (!r.ReadBytes(16, &sig) || !r.ReadU32Le(&s.platform_class) ||
      !r.ReadU8(&s.spec_version_minor) || !r.ReadU8(&s.spec_version_major) ||
      !r.ReadU8(&s.spec_errata) || !r.ReadU8(&s.uintn_size) ||
      !r.ReadU32Le(&num_algs)) {
    return Error(r.offset(), "Spec ID event: truncated header");
  }
  s.signature.assign(reinterpret_cast<const char*>(sig.data()), 15);
  // Each entry is 4 bytes; reject counts the remaining data cannot hold
  // before reserving anything.
  if (num_algs == 0 || num_algs > r.remaining() / 4) {
    return Error(r.offset(),
                 absl::StrCat("Spec ID event: bad numberOfAlgorithms ", num_algs));
  }
  for (uint32_t i = 0; i < num_algs; ++i) {
    SpecIdEvent::Algorithm a;
    if (!r.ReadU16Le(&a.algorithm_id) || !r.ReadU16Le(&a.digest_size)) {
      return Error(r.offset(), "Spec ID event: truncated algorithm list");
    }
    s.algorithms.push_back(a);
  }
  uint8_t vendor_size;
  absl::Span<const uint8_t> vendor;
  if (!r.ReadU8(&vendor_size) || !r.ReadBytes(vendor_size, &vendor)) {
    return Error(r.offset(), "Spec ID event: truncated vendorInfo");
  }
  s.vendor_info.assign(vendor.begin(), vendor.end());
  return s;
}

absl::StatusOr<std::vector<DeclaredBank>> DeclaredBanks(
    const SpecIdEvent& spec, size_t offset) {
  std::vector<DeclaredBank> banks;
  for (const auto& a : spec.algorithms) {
    for (const auto& b : banks) {
      if (b.id == a.algorithm_id) {
        return Error(offset, absl::StrCat("Spec ID event: algorithm 0x",
                                          absl::Hex(a.algorithm_id),
                                          " listed twice"));
      }
    }
    std::optional<tpm::HashAlg> alg = tpm::HashAlgFromId(a.algorithm_id);
    if (alg.has_value() && tpm::DigestSize(*alg) != a.digest_size) {
      return Error(offset,
                   absl::StrCat("Spec ID event: ", tpm::HashAlgName(*alg),
                                " declared with digest size ", a.digest_size,
                                ", want ", tpm::DigestSize(*alg)));
    }
    if (a.digest_size == 0 || a.digest_size > 512) {
      return Error(offset, absl::StrCat("Spec ID event: algorithm 0x",
                                        absl::Hex(a.algorithm_id),
                                        " has implausible digest size ",
                                        a.digest_size));
    }
    banks.push_back({a.algorithm_id, a.digest_size, alg});
  }
  return banks;
}

// TCG_PCR_EVENT (PC Client PFP §10.2.1): pcrIndex, eventType, SHA-1 digest,
// eventSize, event.
absl::Status ParseSha1Record(ByteReader& r, size_t index, RawEvent* ev) {
  ev->index = index;
  ev->offset = r.offset();
  ByteReader copy = r;
  absl::Span<const uint8_t> digest;
  ByteReader data;
  if (!copy.ReadU32Le(&ev->pcr_index) || !copy.ReadU32Le(&ev->untrusted_type) ||
      !copy.ReadBytes(kSha1Size, &digest)) {
    return Error(ev->offset, absl::StrCat("event ", index, ": truncated header"));
  }
  if (!copy.ReadU32LePrefixed(&data)) {
    return Error(copy.offset(),
                 absl::StrCat("event ", index, ": eventSize exceeds the ",
                              copy.remaining() < 4 ? 0 : copy.remaining() - 4,
                              " bytes left"));
  }
  ev->digests.push_back({tpm::HashAlg::kSha1, digest});
  ev->data = data.Rest();
  r = copy;
  return CheckPcrIndex(ev->pcr_index, ev->offset, index);
}

// TCG_PCR_EVENT2 (PC Client PFP §10.2.2): pcrIndex, eventType,
// TPML_DIGEST_VALUES, eventSize, event.
absl::Status ParseAgileRecord(ByteReader& r, size_t index,
                              const std::vector<DeclaredBank>& banks,
                              RawEvent* ev) {
  ev->index = index;
  ev->offset = r.offset();
  ByteReader copy = r;
  uint32_t count;
  if (!copy.ReadU32Le(&ev->pcr_index) || !copy.ReadU32Le(&ev->untrusted_type) ||
      !copy.ReadU32Le(&count)) {
    return Error(ev->offset, absl::StrCat("event ", index, ": truncated header"));
  }
  // A record may carry fewer digests than banks declared: real Windows logs
  // measure some events (EV_COMPACT_HASH in PCR 11, SIPA trust points on PCR
  // 0xFFFFFFFF) into the SHA-256 bank only. Replay then skips the event in
  // the banks it lacks, and the comparison with quoted PCRs decides.
  if (count == 0 || count > banks.size()) {
    return Error(copy.offset() - 4,
                 absl::StrCat("event ", index, ": has ", count,
                              " digests, the Spec ID event declares ",
                              banks.size()));
  }
  uint64_t seen = 0;  // bit i: banks[i] already present
  for (uint32_t i = 0; i < count; ++i) {
    uint16_t id;
    const size_t at = copy.offset();
    if (!copy.ReadU16Le(&id)) {
      return Error(at, absl::StrCat("event ", index, ": truncated digest list"));
    }
    size_t b = 0;
    while (b < banks.size() && banks[b].id != id) ++b;
    if (b == banks.size()) {
      return Error(at, absl::StrCat("event ", index, ": digest algorithm 0x",
                                    absl::Hex(id),
                                    " is not declared in the Spec ID event"));
    }
    if (seen & (uint64_t{1} << b)) {
      return Error(at, absl::StrCat("event ", index, ": digest algorithm 0x",
                                    absl::Hex(id), " appears twice"));
    }
    seen |= uint64_t{1} << b;
    absl::Span<const uint8_t> digest;
    if (!copy.ReadBytes(banks[b].size, &digest)) {
      return Error(copy.offset(),
                   absl::StrCat("event ", index, ": truncated ",
                                banks[b].alg ? tpm::HashAlgName(*banks[b].alg)
                                             : "unknown-algorithm",
                                " digest"));
    }
    if (banks[b].alg.has_value()) ev->digests.push_back({*banks[b].alg, digest});
  }
  ByteReader data;
  if (!copy.ReadU32LePrefixed(&data)) {
    return Error(copy.offset(),
                 absl::StrCat("event ", index, ": eventSize exceeds the ",
                              copy.remaining() < 4 ? 0 : copy.remaining() - 4,
                              " bytes left"));
  }
  ev->data = data.Rest();
  r = copy;
  return CheckPcrIndex(ev->pcr_index, ev->offset, index);
}

void NoteStartupLocality(const RawEvent& ev, EventLog* log) {
  if (ev.untrusted_type == EV_NO_ACTION && ev.pcr_index == 0 &&
      ev.data.size() == 17 && HasPrefix(ev.data, kStartupLocality)) {
    log->startup_locality = ev.data[16];
  }
}

}  // namespace

absl::StatusOr<EventLog> Parse(absl::Span<const uint8_t> bytes) {
  if (bytes.empty()) return Error(0, "empty event log");
  if (bytes.size() > kMaxLogSize) {
    return Error(0, absl::StrCat("event log of ", bytes.size(),
                                 " bytes exceeds the limit of ", kMaxLogSize));
  }
  EventLog log;
  auto storage = std::make_shared<std::vector<uint8_t>>(bytes.begin(), bytes.end());
  log.storage = storage;
  log.size_bytes = bytes.size();
  ByteReader r(*storage);

  RawEvent header;
  if (absl::Status s = ParseSha1Record(r, 0, &header); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.message(), " (not a TCG event log?)"));
  }
  std::vector<DeclaredBank> banks;
  const bool agile = header.untrusted_type == EV_NO_ACTION &&
                     header.pcr_index == 0 && HasPrefix(header.data, kSpecIdEvent03);
  if (agile) {
    if (!AllZero(header.digests[0].value)) {
      return Error(header.offset + 8, "Spec ID event: digest is not zero");
    }
    ByteReader spec_reader(header.data, header.offset + 32);
    auto spec = ParseSpecId(spec_reader);
    if (!spec.ok()) return spec.status();
    auto declared = DeclaredBanks(*spec, header.offset + 32);
    if (!declared.ok()) return declared.status();
    banks = *std::move(declared);
    log.format = LogFormat::kCryptoAgile;
    for (const auto& b : banks) {
      if (b.alg.has_value()) log.algorithms.push_back(*b.alg);
    }
    log.spec_id = *std::move(spec);
  } else {
    log.format = LogFormat::kSha1;
    log.algorithms = {tpm::HashAlg::kSha1};
  }
  NoteStartupLocality(header, &log);
  log.events.push_back(std::move(header));

  while (!r.empty()) {
    const size_t index = log.events.size();
    // Firmware may zero-fill the rest of the log area. A record starting with
    // pcr 0 / type 0 followed only by zeros is padding, not an event.
    if (r.remaining() < 8 || (r.Rest()[0] | r.Rest()[1] | r.Rest()[2] |
                              r.Rest()[3] | r.Rest()[4] | r.Rest()[5] |
                              r.Rest()[6] | r.Rest()[7]) == 0) {
      if (AllZero(r.Rest())) {
        log.trailing_zero_bytes = r.remaining();
        break;
      }
    }
    if (index >= kMaxEvents) {
      return Error(r.offset(),
                   absl::StrCat("more than ", kMaxEvents, " events"));
    }
    RawEvent ev;
    absl::Status s = agile ? ParseAgileRecord(r, index, banks, &ev)
                           : ParseSha1Record(r, index, &ev);
    if (!s.ok()) return s;
    NoteStartupLocality(ev, &log);
    log.events.push_back(std::move(ev));
  }
  return log;
}

}  // namespace vigil::eventlog
