// File: common/grpc_flow_control.h
// -----------------------------------------------------------------------------
// HTTP/2 flow control for the attestation stream, set on both of its ends:
// vigil-verifier's listener (service/grpc/server.cc) and vigil-agent's
// channel (agent/client/verifier_client.cc); vigil-loadgen's simulated
// agents and its transport echo use the same, so the benchmark measures
// what a fleet runs.
//
// Why not gRPC's defaults. By default gRPC sizes each connection's window
// from a bandwidth-delay-product probe (PINGs timed against the data
// received). With one connection per agent and a round of four small
// messages, gRPC 1.51 with the probe often answers a message it reads with
// a write of nothing but WINDOW_UPDATE frames (seen in strace) before the
// verifier's answer is ready: an extra write, and a wake-up of the agent.
// With the probe off there are fewer of them (docs/PERFORMANCE.md, the
// 2026-11-23 17:00 section, has the counts: about one write in seven per
// attestation).
//
// Why the window. With the probe off nothing grows a stream's window past
// its initial size, and HTTP/2's default (65,535) would let an agent's
// first round after boot (its whole event log, 45-220 KB in the corpus)
// move only 64 KiB per round trip on a WAN link. A fixed window larger than
// any boot log keeps that round as fast as the probe would have made it.
// (The connection's window also starts at 65,535; gRPC sent a raw client
// no connection WINDOW_UPDATE before a stream opened.)
//
// What it costs. The window bounds what a peer may send that the receiver
// has not asked for. The verifier always has a read posted on an agent's
// stream (AgentStream re-arms StartRead at once), so a message is taken as
// it arrives and its size is bounded by the maximum message size (32 MiB,
// service/grpc/request_validation.h) either way; the window adds at most
// kAttestationStreamWindowBytes per stream of data queued behind it. What a
// client can make the verifier hold over many streams — queued data, or
// messages started and never finished — is bounded by the listener's
// streams per connection and its transport memory quota
// (service/grpc/service_options.h), not by the window.
// In the gRPC sources we read (newer than 1.51) turning the probe off also
// ends the shrinking of windows under memory pressure, which runs only with
// the probe.
#ifndef VIGIL_COMMON_GRPC_FLOW_CONTROL_H_
#define VIGIL_COMMON_GRPC_FLOW_CONTROL_H_

#include <array>

namespace vigil {

// Every stream's initial HTTP/2 window (SETTINGS_INITIAL_WINDOW_SIZE), in
// bytes: more than four times the largest boot log in the corpus (~220 KB).
// 4 MiB measured no differently and lets more queue.
inline constexpr int kAttestationStreamWindowBytes = 1 << 20;

struct GrpcIntArgument {
  const char* name;
  int value;
};

// The channel arguments to set, as gRPC spells them (GRPC_ARG_HTTP2_BDP_PROBE
// and GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES; the literals keep gRPC's
// headers out of common/). Both ends set both: the window a side announces
// is its own receive window.
inline constexpr std::array<GrpcIntArgument, 2> kAttestationFlowControl = {{
    {"grpc.http2.bdp_probe", 0},
    {"grpc.http2.lookahead_bytes", kAttestationStreamWindowBytes},
}};

}  // namespace vigil

#endif  // VIGIL_COMMON_GRPC_FLOW_CONTROL_H_
