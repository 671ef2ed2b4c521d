// libFuzzer target for CheckWire (service/grpc/wire_check.h) on untrusted
// bytes, as every request type of AttestationService that carries agent
// data. Any input must be refused with a status or admitted without a crash
// or a sanitizer report; what is admitted must decode, and, encoded again,
// still be admitted (decoding keeps unknown fields, so the counts cannot
// grow). Seeds: service/grpc/testdata/wire/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "service/grpc/wire_check.h"
#include "vigil/v1/attestation_service.pb.h"

namespace {

template <typename T>
void Fuzz(absl::Span<const uint8_t> in) {
  if (!vigil::service::CheckWire(in, *T::descriptor()).ok()) return;
  // What the check admits, protobuf decodes: the check is at least as
  // strict as the decoder (structure, UTF-8), never looser.
  T m;
  if (!m.ParseFromArray(in.data(), static_cast<int>(in.size()))) std::abort();
  const std::string again = m.SerializeAsString();
  if (!vigil::service::CheckWire(
           absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(again.data()),
                               again.size()),
           *T::descriptor())
           .ok()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Span<const uint8_t> in(data, size);
  Fuzz<vigil::v1::AgentMessage>(in);
  Fuzz<vigil::v1::AttestRequest>(in);
  Fuzz<vigil::v1::EnrollRequest>(in);
  Fuzz<vigil::v1::ActivateEnrollmentRequest>(in);
  return 0;
}
