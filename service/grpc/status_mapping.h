// File: service/grpc/status_mapping.h
// -----------------------------------------------------------------------------
// The one place absl::Status becomes grpc::Status (style.md rule 4). Codes map
// one to one (gRPC and absl share the canonical codes); kInternal and
// kUnknown messages are replaced by a generic line so internal detail (paths,
// OpenSSL error strings) never reaches a client, and are logged instead.
#ifndef VIGIL_SERVICE_GRPC_STATUS_MAPPING_H_
#define VIGIL_SERVICE_GRPC_STATUS_MAPPING_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace vigil::service {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_GRPC_STATUS_MAPPING_H_
