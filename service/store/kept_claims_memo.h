// File: service/store/kept_claims_memo.h
// -----------------------------------------------------------------------------
// Which of a batch of attestation records must carry their claims
// serialised (issue #6 §3 dry runs keep each device's latest incoming
// claims; issue #5 §6 load).
//
// Every attestation carries its claims (~5 KB of JSON with `pcrs`), and the
// store keeps them per device, rewriting them only when their digest
// changes (AttestationStore::RecordAttestations). A device that attests
// every few minutes on the same boot brings the same claims each time, so
// serialising them only to find the digest unchanged cost the recorder
// ~25 µs per attestation plus a 5 KB statement — the largest part of what a
// SQLite store added to an attestation (docs/PERFORMANCE.md).
//
// The memo remembers, per device, the source key of the claims this
// process last serialised (service/verifier BuiltClaims::source_key: equal
// keys mean equal claims) and their ClaimsDigest. For a record whose key
// matches, it asks the store which digest it keeps (one read for the
// batch); only when that is the remembered one is serialising skipped and
// the record written with kept_claims_sha256. The store decides, not the
// memo: another replica, a re-enrolment or a restore that changed the kept
// claims is seen at once, and the claims are serialised again.
//
//   KeptClaimsMemo memo;
//   memo.Fill(store, writes, sources);   // then store.RecordAttestations
//
// Not thread-safe: one recorder thread owns it.

#ifndef VIGIL_SERVICE_STORE_KEPT_CLAIMS_MEMO_H_
#define VIGIL_SERVICE_STORE_KEPT_CLAIMS_MEMO_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "service/store/store.h"

namespace vigil::service::store {

// The claims an attestation carried, not yet serialised.
struct ClaimsSource {
  // BuiltClaims::source_key; empty: unknown, always serialised.
  std::string source_key;
  // Serialises them; null: the attestation carried none (or they were
  // dropped on the way: then the kept ones stay as they are).
  std::function<DeviceClaims()> render;
};

class KeptClaimsMemo {
 public:
  // At most `max_devices` devices are remembered; beyond that the memo
  // starts over (~250 bytes a device).
  explicit KeptClaimsMemo(size_t max_devices = 100000)
      : max_devices_(max_devices) {}

  // For each writes[i] with sources[i].render set: either sets
  // writes[i].claims (serialised) or, when the store keeps exactly the
  // claims this memo last serialised for that device from the same source
  // key, writes[i].kept_claims_sha256. `sources` has one entry per write.
  // Never fails: when the store cannot be read every claim is serialised
  // (and RecordAttestations reports the store's trouble).
  void Fill(AttestationStore& store,
            absl::Span<AttestationStore::AttestationWrite> writes,
            absl::Span<const ClaimsSource> sources);

  // For metrics and tests: claims serialised, and claims whose
  // serialisation was skipped, since construction.
  int64_t serialised() const { return serialised_; }
  int64_t skipped() const { return skipped_; }

 private:
  struct Entry {
    std::string source_key;
    std::string sha256;  // ClaimsDigest of what that key serialised to
  };
  const size_t max_devices_;
  absl::flat_hash_map<std::string, Entry> by_device_;
  int64_t serialised_ = 0;
  int64_t skipped_ = 0;
};

}  // namespace vigil::service::store

#endif  // VIGIL_SERVICE_STORE_KEPT_CLAIMS_MEMO_H_
