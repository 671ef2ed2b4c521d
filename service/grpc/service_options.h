// File: service/grpc/service_options.h
// -----------------------------------------------------------------------------
// Tunables of the AttestationService (no gRPC types, so configuration code
// can fill them without including grpcpp).
#ifndef VIGIL_SERVICE_GRPC_SERVICE_OPTIONS_H_
#define VIGIL_SERVICE_GRPC_SERVICE_OPTIONS_H_

#include <cstddef>

#include "absl/time/time.h"

namespace vigil::service {

// What clients can make gRPC hold on a listener, and for how long. The
// defaults are the agent listener's but for memory (ServiceOptions sets
// 1 GiB); the admin listener has fixed ones (admin_service_impl.h).
struct TransportLimits {
  // HTTP/2 streams one connection may have open at once
  // (SETTINGS_MAX_CONCURRENT_STREAMS, RFC 9113 §6.5.2): an agent needs one
  // (its Connect stream) and a unary call now and then; a one-shot caller a
  // few. Bounds what one connection can make the verifier hold, and, with
  // max_streams, how many streams a few clients can take.
  size_t max_streams_per_connection = 100;
  // The bound on memory gRPC holds for a listener — bytes read from
  // connections and not yet delivered as whole messages, among the rest —
  // as a gRPC resource quota. Above it gRPC stops reading and then cancels
  // streams (RESOURCE_EXHAUSTED, "Buffers full") until it is under again:
  // without it, clients that start large messages and never finish them
  // hold up to 32 MiB per stream (tests/swtpm/verifier_grpc_test.cc,
  // PartialMessagesAreCutOffAtTheTransportMemoryLimit). It does not bound
  // what OpenSSL holds per TLS connection, nor the decoded messages the
  // verifier works on. 0: no bound.
  size_t memory_bytes = 0;
  // How long a new connection may take to finish its handshake — TLS and
  // the client's HTTP/2 preface and SETTINGS — before it is closed (gRPC's
  // default is 120 s). A client that connects and then says nothing holds a
  // socket and, over TLS, ~150 KiB of buffers meanwhile. Long enough for a
  // reconnect storm: 10,000 agents' TLS handshakes after a restart take
  // the verifier's 2 cores seconds, not tens of seconds.
  absl::Duration handshake_timeout = absl::Seconds(20);
  // A connection with no stream open for this long is sent GOAWAY and
  // closed (gRPC's default: never). Agents keep their Connect stream open,
  // so only one-shot callers between calls — whose channels reconnect on
  // their next call — and clients that hold connections without calling
  // are affected; without it the latter were bounded only by the file
  // limit, ~150 KiB each over TLS.
  absl::Duration idle_connection_timeout = absl::Seconds(60);
};

struct ServiceOptions {
  absl::Duration hello_timeout = absl::Seconds(10);
  absl::Duration step_timeout = absl::Seconds(60);
  absl::Duration reattest_interval = absl::Hours(1);
  size_t max_streams = 20000;
  // What clients can make gRPC hold on the agent listener, and for how
  // long (server.h, LimitTransport).
  TransportLimits transport{.memory_bytes = size_t{1} << 30};
  // Threads that verify evidence, at most kMaxWorkerThreads; 0:
  // DefaultWorkerThreads (two per core, eight per core with a store).
  size_t worker_threads = 0;
  size_t max_queued_work = 10000;
  // Permitted attestations logged one by one, at most, per second (the rest
  // are counted in at most one line a minute; denials are always logged): a
  // line each at fleet rates would flood the journal, whose rate limit then
  // drops lines of every kind. Negative: all; 0: none one by one.
  int log_permits_per_second = 10;
  // The listener is behind a TLS front (listen_tls = front): log lines name
  // the caller by the front's x-forwarded-for first (PeerForLog).
  bool peer_from_front = false;
};

// The most worker threads the `workers` setting accepts, and the most the
// default gives.
inline constexpr size_t kMaxWorkerThreads = 256;

// The worker pool's size when ServiceOptions::worker_threads is 0, for
// `cores` cores (at least one counted), at most kMaxWorkerThreads. More
// threads than cores because a
// worker also waits, and a core whose worker waits is otherwise idle:
// - two per core for the in-memory registry, whose workers wait only for
//   locks; one per core cost ~15% more CPU per attestation (gRPC's threads
//   then woke for nearly every completion), four gained nothing;
// - eight per core when `registry_waits_for_commit`
//   (DeviceRegistry::RecordClockWaitsForCommit): every attestation's worker
//   waits for the store's group commit of its TPM clock, and the batch a
//   commit can take is at most the workers waiting. On the 2-core
//   benchmark, 16 workers instead of 4 gave +8–34% att/s on SQLite and
//   +29–46% on PostgreSQL in alternating pairs; 32 and 64 no more
//   (docs/PERFORMANCE.md, 2026-11-25 04:00).
size_t DefaultWorkerThreads(bool registry_waits_for_commit, unsigned cores);

// The pool an AttestationService with `options` runs: worker_threads, or
// when that is 0, DefaultWorkerThreads.
size_t WorkerThreads(const ServiceOptions& options,
                     bool registry_waits_for_commit, unsigned cores);

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_GRPC_SERVICE_OPTIONS_H_
