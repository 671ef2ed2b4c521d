#include "service/grpc/status_mapping.h"

#include <iostream>

namespace vigil::service {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  if (status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kUnknown) {
    std::cerr << "vigil-verifier: internal error: " << status.message() << "\n";
    return grpc::Status(code, "internal error in the verifier (logged)");
  }
  return grpc::Status(code, std::string(status.message()));
}

}  // namespace vigil::service
