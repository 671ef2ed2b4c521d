// File: policy/claim.h
// -----------------------------------------------------------------------------
// The policy engine's input vocabulary (maa-spec.md §1.2, §3): a claim is a
// type, a value (Boolean, Integer, String, or a Set of those) and an issuer.
// A ClaimSet is the incoming claim set a policy is evaluated over.
//
//   ClaimSet claims;
//   claims.Add("secureBootEnabled", Value::Bool(true));    //
//   AttestationService claims.Add("events", Value::JsonDocument(events_json));
//   // parsed once claims.Add("x-ms-sgx-svn", Value::Int(2),
//   kIssuerCustomClaim);
//
// ClaimSet is a plain value: build it, then share it read-only between
// evaluations (const use is thread-safe).

#ifndef VIGIL_POLICY_CLAIM_H_
#define VIGIL_POLICY_CLAIM_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/value.h"

namespace vigil::policy {

// The three issuers of §1.2. Claims the verifier derives from evidence use
// kIssuerAttestationService (the default here); every claim a policy creates
// with add/issue/issueproperty has kIssuerAttestationPolicy.
inline constexpr absl::string_view kIssuerAttestationService =
    "AttestationService";
inline constexpr absl::string_view kIssuerAttestationPolicy =
    "AttestationPolicy";
inline constexpr absl::string_view kIssuerCustomClaim = "CustomClaim";

struct Claim {
  std::string type;
  Value value;  // scalar or Set; an Empty value is never stored
  std::string issuer = std::string(kIssuerAttestationService);
};

class ClaimSet {
 public:
  // ClaimSet::Add(): appends a claim (order is kept: rules see claims in
  // insertion order, which fixes the order in which bindings fire). An Empty
  // value is ignored, as adding an empty claim is a no-op (§1.5).
  void Add(Claim claim);
  void Add(std::string type, Value value,
           absl::string_view issuer = kIssuerAttestationService);

  // Room for `n` claims in all, so that building a set of known size
  // moves no claim.
  void Reserve(size_t n) { claims_.reserve(n); }

  const std::vector<Claim>& claims() const { return claims_; }
  size_t size() const { return claims_.size(); }
  bool empty() const { return claims_.empty(); }

 private:
  std::vector<Claim> claims_;
};

// ParseClaimsJson(): the claims file of `vigilctl policy eval` (issue #3 §5):
// a JSON array of {"type": string, "value": ..., "issuer": string (optional,
// default "AttestationService"), "readOnly": bool (optional)}. The value is
// a boolean, an integer (int64), or a string; for the JSON-valued evidence
// claims (events, bootEvents, pcrs, x-ms-tpm-request-key,
// x-ms-tpm-other-keys) an object or array is serialised to JSON text (and its
// document kept), and a string is taken as the JSON text itself; for any
// other type an array of scalars is a Set. `pcrs` from AttestationService is
// read-only unless "readOnly": false is given (maa-spec.md §1.2: "PCRS are
// only read-only"). Fails with kInvalidArgument naming the element index and
// field (`claims[2].value: got a number with a fraction, want ...`). The
// input may be untrusted.
absl::StatusOr<ClaimSet> ParseClaimsJson(absl::string_view json_text);

// WriteClaimsJson(): the inverse of ParseClaimsJson, for keeping a claim set
// as text (the control plane keeps each device's latest incoming claims):
// ParseClaimsJson(WriteClaimsJson(set).text) gives claims equal to `set`'s,
// in order, with the same issuers and read-only marks. JSON-valued evidence
// claims are written as their document when it is known (else, or when it
// nests too deeply to be wrapped in the claims array, as their text; the
// document's text is made once and kept by the value); "issuer" and
// "readOnly" only where they differ from ParseClaimsJson's defaults. Lazily
// rendered values (Value::lazy(), the `events` claim) are NOT rendered:
// they are left out and their types listed in `omitted`, in order. Never
// fails; invalid UTF-8 in a string is written as U+FFFD (the only way the
// round trip can differ). About 25 µs for a device's claims with `pcrs`
// (5 KB; policy/bench BM_WriteClaimsJson).
struct WrittenClaims {
  std::string text;
  std::vector<std::string> omitted;
};
WrittenClaims WriteClaimsJson(const ClaimSet& set);

// IsJsonValuedClaimType(): whether `type` is one of the JSON-valued evidence
// claims named above.
bool IsJsonValuedClaimType(absl::string_view type);

}  // namespace vigil::policy

#endif  // VIGIL_POLICY_CLAIM_H_
