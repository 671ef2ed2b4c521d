// File: common/grpc_target.h
// -----------------------------------------------------------------------------
// Facts about a gRPC client target string ("host:port", "dns:///host",
// "ipv4:1.2.3.4:5", "unix:/path"), for the clients that decide whether
// plaintext is acceptable (vigil-agent, vigilctl-admin). Listener addresses
// have their own, stricter check (service/config IsLoopbackAddress: a port
// is required there).
#ifndef VIGIL_COMMON_GRPC_TARGET_H_
#define VIGIL_COMMON_GRPC_TARGET_H_

#include "absl/strings/string_view.h"

namespace vigil {

// IsLoopbackTarget(target): true for unix: / unix-abstract: targets,
// localhost, 127.0.0.0/8 and [::1] (with or without a port or a dns:///,
// ipv4:, ipv6: scheme). A host name other than "localhost" is never
// loopback (it may resolve anywhere).
bool IsLoopbackTarget(absl::string_view target);

}  // namespace vigil

#endif  // VIGIL_COMMON_GRPC_TARGET_H_
