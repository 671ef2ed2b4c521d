// File: policy/policy_hash.h
// -----------------------------------------------------------------------------
// The `x-ms-policy-hash` token claim (maa-spec.md §3.5):
//   BASE64URL(SHA256(UTF8(BASE64URL(UTF8(policy text)))))
// over the exact stored bytes of the policy (line endings, leading and
// trailing whitespace all count).

#ifndef VIGIL_POLICY_POLICY_HASH_H_
#define VIGIL_POLICY_POLICY_HASH_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigil::policy {

// PolicyHash(): the unpadded base64url hash of `policy_text` (43 characters).
// Fails with kInternal only if OpenSSL's SHA-256 fails.
absl::StatusOr<std::string> PolicyHash(absl::string_view policy_text);

}  // namespace vigil::policy

#endif  // VIGIL_POLICY_POLICY_HASH_H_
