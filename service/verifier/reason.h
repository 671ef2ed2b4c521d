// File: service/verifier/reason.h
// -----------------------------------------------------------------------------
// Reason: why a device was not attested (or a warning when it was), with
// where it applies: which PCR and bank, which event, which policy rule
// (issue #5 §2: "structured reasons ... never swallowed"). Mirrors
// vigil.v1.Reason; service/grpc converts.
#ifndef VIGIL_SERVICE_VERIFIER_REASON_H_
#define VIGIL_SERVICE_VERIFIER_REASON_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace vigil::service {

struct Reason {
  // "enrolment", "nonce", "quote", "eventlog", "replay", "clock", "claims",
  // "policy", "token".
  std::string stage;
  std::string code;     // stable within the stage: "pcr_mismatch", ...
  std::string message;  // one line for people
  int pcr = -1;
  std::string bank;           // "SHA256" when about a PCR bank
  int64_t event = -1;         // event index in the log
  int64_t event_offset = -1;  // byte offset of that event
  std::string rule;           // "LINE:COL" of a policy rule
  std::string rule_text;

  static Reason Of(std::string stage, std::string code, std::string message) {
    Reason r;
    r.stage = std::move(stage);
    r.code = std::move(code);
    r.message = std::move(message);
    return r;
  }
  // "replay/pcr_mismatch: PCR 7 (SHA256): ..." for logs.
  std::string ToString() const { return stage + "/" + code + ": " + message; }
};

// The heap a kept Reason holds beyond sizeof(Reason): its strings. For the
// charges of the caches that keep reasons (verdicts, policy decisions).
inline size_t ReasonHeapBytes(const Reason& r) {
  return r.stage.capacity() + r.code.capacity() + r.message.capacity() +
         r.bank.capacity() + r.rule.capacity() + r.rule_text.capacity();
}

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_REASON_H_
