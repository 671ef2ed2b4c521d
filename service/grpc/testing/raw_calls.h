// File: service/grpc/testing/raw_calls.h
// -----------------------------------------------------------------------------
// What hostile or newer clients send, for tests of the services registered
// raw (service/grpc/untrusted_codec.h): unknown fields, and request bytes no
// stub would encode.
#ifndef VIGIL_SERVICE_GRPC_TESTING_RAW_CALLS_H_
#define VIGIL_SERVICE_GRPC_TESTING_RAW_CALLS_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"

namespace vigil::service::testing {

// Adds `n` empty length-delimited fields numbered 15 (unknown to every
// vigil message) to `m`, as a newer or hostile client would send them.
inline void AddUnknownFields(google::protobuf::Message& m, int n) {
  google::protobuf::UnknownFieldSet* u =
      m.GetReflection()->MutableUnknownFields(&m);
  for (int i = 0; i < n; ++i) u->AddLengthDelimited(15, "");
}

// Calls unary `method` ("/vigil.v1.Service/Method") on `channel` with
// `request` as the request's bytes, whatever they are, and returns the
// call's status (the response is dropped). The call's deadline is 10 s; a
// call gRPC never finishes gives DEADLINE_EXCEEDED "no answer in 15 s".
inline grpc::Status RawUnaryCall(std::shared_ptr<grpc::Channel> channel,
                                 const std::string& method,
                                 const std::string& request) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::GenericStub generic(std::move(channel));
  grpc::Slice slice(request);
  grpc::ByteBuffer in(&slice, 1), out;
  absl::Notification finished;
  grpc::Status done;
  generic.UnaryCall(&ctx, method, grpc::StubOptions(), &in, &out,
                    [&](grpc::Status r) {
                      done = std::move(r);
                      finished.Notify();
                    });
  if (!finished.WaitForNotificationWithTimeout(absl::Seconds(15))) {
    ctx.TryCancel();
    finished.WaitForNotification();
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        "no answer in 15 s");
  }
  return done;
}

}  // namespace vigil::service::testing

#endif  // VIGIL_SERVICE_GRPC_TESTING_RAW_CALLS_H_
