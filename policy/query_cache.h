// File: policy/query_cache.h
// -----------------------------------------------------------------------------
// QueryCache: the JMESPath queries a policy builds at run time (AppendString()
// results passed to JmesPath(), e.g. the HealthAttestation CSP policy's
// "Events[? EventSeq < `N` && ...]") compiled once across evaluations.
// Literal queries are compiled by Compile() already; these depend on the
// evidence, but repeat across attestations of similar machines and across
// the evaluations of one attestation.
//
//   internal::QueryCache cache;
//   absl::StatusOr<jmespath::Expression> q = cache.Compile(query_text);
//
// Compile(text) returns exactly what jmespath::Compile(text) returns (the
// expression, or the same error): a compiled Expression is immutable, so a
// cached one is as good as a fresh one.
//
// Bounded: at most `max_entries` queries and `max_text_bytes` bytes of query
// text (the compiled tree grows with the text); past either bound the least
// recently used queries are dropped. A text longer than `max_text_bytes` is
// compiled and returned but not kept. Expressions already returned stay valid
// after eviction (they share their tree with the caller).
//
// Thread-safe: any number of threads may call Compile() at once (one mutex;
// a miss compiles outside it, so a slow compile does not block hits).
//
// Internal to the policy engine; each CompiledPolicy's program owns one.

#ifndef VIGIL_POLICY_QUERY_CACHE_H_
#define VIGIL_POLICY_QUERY_CACHE_H_

#include <cstddef>
#include <list>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "policy/jmespath/jmespath.h"

namespace vigil::policy::internal {

class QueryCache {
 public:
  // A policy builds a handful of queries per evaluation (the CSP policy:
  // five, of ~300 bytes each); these bounds keep hundreds of distinct
  // machines' queries while capping memory at a few MB even for hostile
  // texts.
  static constexpr size_t kDefaultMaxEntries = 256;
  static constexpr size_t kDefaultMaxTextBytes = 64 * 1024;

  explicit QueryCache(size_t max_entries = kDefaultMaxEntries,
                      size_t max_text_bytes = kDefaultMaxTextBytes)
      : max_entries_(max_entries), max_text_bytes_(max_text_bytes) {}
  QueryCache(const QueryCache&) = delete;
  QueryCache& operator=(const QueryCache&) = delete;

  // QueryCache::Compile(): jmespath::Compile(text), from the cache when the
  // same text was compiled before (errors are cached too).
  absl::StatusOr<jmespath::Expression> Compile(absl::string_view text)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Number of queries kept, and the bytes of their text (for tests).
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t text_bytes() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    std::string text;
    absl::StatusOr<jmespath::Expression> compiled;
  };
  using Lru = std::list<Entry>;  // most recently used first

  const size_t max_entries_;
  const size_t max_text_bytes_;
  mutable absl::Mutex mu_;
  Lru lru_ ABSL_GUARDED_BY(mu_);
  // Keys view the text of their entry (list nodes do not move).
  absl::flat_hash_map<absl::string_view, Lru::iterator> index_
      ABSL_GUARDED_BY(mu_);
  size_t text_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vigil::policy::internal

#endif  // VIGIL_POLICY_QUERY_CACHE_H_
