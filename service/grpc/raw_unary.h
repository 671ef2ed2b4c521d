// File: service/grpc/raw_unary.h
// -----------------------------------------------------------------------------
// One unary call of a service registered raw (the generated
// WithRawCallbackMethod_* mixins; untrusted_codec.h says why): the request's
// bytes are checked on the wire and decoded here, `work` runs on a worker
// pool (gRPC's callback threads must not wait on crypto, a database or a
// policy evaluation), its response is encoded and the call finished with its
// status (status_mapping.h).
//
//   return RunUnary<v1::GetNonceRequest, v1::AttestationRequest>(
//       context, pool, raw_request, raw_response,
//       [this](const v1::GetNonceRequest& in, v1::AttestationRequest* out) {
//         ...
//       });
#ifndef VIGIL_SERVICE_GRPC_RAW_UNARY_H_
#define VIGIL_SERVICE_GRPC_RAW_UNARY_H_

#include <exception>
#include <functional>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/thread_pool.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "service/grpc/status_mapping.h"
#include "service/grpc/untrusted_codec.h"

namespace vigil::service {

template <typename Request, typename Response>
using UnaryWork = std::function<absl::Status(const Request&, Response*)>;

// Decodes `request` at once on gRPC's thread (DecodeUntrusted, which also
// releases gRPC's bytes before the call waits in the pool's queue: they
// count against the listener's transport quota) and runs `work` on `pool`.
// A request refused on the wire finishes with INVALID_ARGUMENT
// ("request: offset 0: ...") and `work` never sees it. A null `pool` runs
// `work` at once on gRPC's thread (work that never waits); a full one
// finishes the call with RESOURCE_EXHAUSTED instead of growing without
// bound. A call whose caller gave up (its deadline passed, it cancelled,
// the server is shutting down) while it waited in the queue finishes with
// CANCELLED without `work` running: nobody would read the answer, and a
// change (SetPolicy) the caller was told timed out is not then made behind
// its back. (Once `work` has started it runs to the end.)
//
// Our code returns statuses, but a library under `work` may still raise a
// C++ exception (an allocation, a JSON library on bad input): on a pool
// thread that would end the process, where gRPC's own handlers answered
// UNKNOWN. Caught here, it is INTERNAL and the process serves on.
template <typename Request, typename Response>
grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context,
                                   ThreadPool* pool,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response,
                                   UnaryWork<Request, Response> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto in = std::make_shared<Request>();
  // gRPC's request buffer is its own (not const) and unused after this.
  if (absl::Status s = DecodeUntrusted(const_cast<grpc::ByteBuffer*>(request),
                                       "request", in.get());
      !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  auto run = [context, reactor, in, response, work = std::move(work)]() {
    // Callback API: valid from any thread until Finish.
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                                   "the caller gave up while the call waited "
                                   "for a worker; nothing was done"));
      return;
    }
    absl::Status s;
    try {
      Response out;
      s = work(*in, &out);
      if (s.ok()) *response = EncodeMessage(out);
    } catch (const std::exception& e) {
      s = absl::InternalError(
          absl::StrCat("internal error handling the request: ", e.what()));
    }
    reactor->Finish(ToGrpcStatus(s));
  };
  if (pool == nullptr) {
    run();
  } else if (!pool->Submit(std::move(run))) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "verifier overloaded; retry later"));
  }
  return reactor;
}

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_GRPC_RAW_UNARY_H_
