// File: tools/loadgen/haproxy_front.h
// -----------------------------------------------------------------------------
// The HAProxy front of docs/VERIFIER.md ("Large fleets: agents' TLS ended
// in front") for a benchmark or a test: the shipped example
// (systemd/haproxy-vigil-agents.cfg.example) with a run's own addresses,
// files and connection limit, every other setting as shipped — so what
// vigil-loadgen --front haproxy measures and the end-to-end test checks is
// the configuration operators are given.
//
//   absl::StatusOr<std::string> cfg = HaproxyFrontConfig(
//       example_text, {.bind = "127.0.0.1:8443", .certificate = "front.pem",
//                      .client_ca = "ca.pem", .verifier = "127.0.0.1:8440",
//                      .max_connections = 1100});
#ifndef VIGIL_TOOLS_LOADGEN_HAPROXY_FRONT_H_
#define VIGIL_TOOLS_LOADGEN_HAPROXY_FRONT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigil::loadgen {

// The example's path under the source tree.
inline constexpr char kHaproxyFrontExample[] =
    "systemd/haproxy-vigil-agents.cfg.example";

struct HaproxyFrontSettings {
  std::string bind;         // where agents connect: "127.0.0.1:PORT"
  std::string certificate;  // PEM file: the front's certificate, then key
  std::string client_ca;    // PEM bundle the agents' certificates chain to
  // The verifier's plaintext listener: host:port, or unix@/path (HAProxy's
  // spelling of a unix socket).
  std::string verifier;
  // `maxconn`: the example's 100,000 needs ~200,000 descriptors, more than
  // a test machine allows.
  int max_connections = 0;
  // The cap on one client address's connections (the example's 2,000); a
  // benchmark's agents all come from 127.0.0.1. 0: the example's.
  int max_connections_per_address = 0;
  // Drops the example's `user`, `group` and `chroot` (the process keeps
  // the caller's identity and file system view).
  bool keep_identity = false;
  // Adds `no strict-limits` to `global`: HAProxy then starts with the
  // descriptors it gets instead of refusing to. It asks for two per
  // connection (~2 x max_connections), but with HTTP/2 to the verifier the
  // server side is a few connections, so ~1 per agent is used; a machine
  // whose hard limit is below twice the agents can still run the front.
  bool tolerate_descriptor_limit = false;
};

// `example` with `settings` in place of its addresses, files and limit.
// Fails with kFailedPrecondition naming the setting the example no longer
// has in the expected form (each is replaced exactly once), and with
// kInvalidArgument for an empty field or max_connections < 1.
absl::StatusOr<std::string> HaproxyFrontConfig(
    absl::string_view example, const HaproxyFrontSettings& settings);

}  // namespace vigil::loadgen

#endif  // VIGIL_TOOLS_LOADGEN_HAPROXY_FRONT_H_
