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
// messages, gRPC 1.51 with the probe answers most messages it reads with a
// write of nothing but WINDOW_UPDATE frames (seen in strace) before the
// verifier's answer is ready: three writes per round instead of two, and a
// wake-up of the agent for each (docs/PERFORMANCE.md, the
// 2026-11-23 17:00 section, 1,000 agents over TLS: 3.5-3.6 sendmsg per
// attestation with the defaults, 3.1 with the probe off, 2.9-3.1 with
// these settings). With a fixed window larger than a boot log most of
// those updates ride along with the next answer. For an agent's first
// round after boot (its whole event log, 45-220 KB in the corpus) the
// stream's window is 1 MiB from the start instead of whatever the probe
// has grown it to; the connection's window still starts at HTTP/2's
// 65,535 (gRPC sent a raw client no connection WINDOW_UPDATE before a
// stream opened), so the first 64 KiB go in the first round trip either
// way.
//
// What it costs. The window bounds what a peer may send that the receiver
// has not asked for. The verifier always has a read posted on an agent's
// stream (AgentStream re-arms StartRead at once), so a message is taken as
// it arrives and its size is bounded by the maximum message size (32 MiB,
// service/grpc/request_validation.h) either way; the window adds at most
// kAttestationStreamWindowBytes per stream of data queued behind it.
#ifndef VIGIL_COMMON_GRPC_FLOW_CONTROL_H_
#define VIGIL_COMMON_GRPC_FLOW_CONTROL_H_

#include <array>

namespace vigil {

// Every stream's initial HTTP/2 window (SETTINGS_INITIAL_WINDOW_SIZE), in
// bytes: more than four times the largest boot log in the corpus (~220 KB).
// 4 MiB (what gRPC's own clients announce by default) measured the same
// (2.9-3.0 sendmsg per attestation against 2.9-3.1) and lets more queue.
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
