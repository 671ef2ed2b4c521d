// File: service/control/policy_document.h
// -----------------------------------------------------------------------------
// The attestation policy as Azure Attestation's policy API carries it
// (maa-spec §5.1): a management JWS (management_jws.h) whose payload is the
// StoredAttestationPolicy {"AttestationPolicy": BASE64URL(UTF-8 policy text)},
// or whose payload is empty: a reset to the default policy (§5.2).
//
//   ASSIGN_OR_RETURN(PolicyDocument doc, DecodePolicyDocument(body));
//   if (doc.is_reset()) ... else Compile(doc.policy_text());
//   store(doc.jws());   // get-policy returns it unchanged (x-ms-policy)
//
// The raw-text fallback [maa-spec §5.1 INF]: the preview API (2018-09-01-
// preview) put the policy text itself into "AttestationPolicy"; GA versions
// put base64url of it. A value that is valid base64url (RFC 4648 §5, without
// padding or with correct padding) is decoded; any other value is taken as
// the text itself. This cannot misread a policy: every policy has a
// "version=...;" header and "{...}" sections, and '=' (except as trailing
// padding), ';', '{', '}', ' ' are outside the base64url alphabet, so policy
// text is never valid base64url, and base64url never a policy. A value that
// IS base64url but decodes to bytes that are not UTF-8 is refused, not read
// as text: it was meant as base64url.

#ifndef VIGIL_SERVICE_CONTROL_POLICY_DOCUMENT_H_
#define VIGIL_SERVICE_CONTROL_POLICY_DOCUMENT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/control/management_jws.h"

namespace vigil::control {

// How "AttestationPolicy" held the text.
enum class PolicyTextEncoding {
  kNone,       // a reset: no text
  kBase64Url,  // GA API versions (maa-spec §5.1)
  kRawText,    // the preview API's form, accepted as the fallback above
};

// PolicyDocument: a decoded policy JWS whose signature, if any, verified
// with the certificate its header names. Only DecodePolicyDocument makes one.
// Trusted as far as VerifiedManagementJws is: the signer holds the leaf's
// key; whether the signer may set policy is the caller's decision (mode,
// TrustedSigners). The text is not compiled or checked here. Immutable,
// copyable.
class PolicyDocument {
 public:
  // The JWS exactly as received: what to store and return as "x-ms-policy".
  const std::string& jws() const { return jws_.compact(); }
  // True for an empty payload: reset to the default policy (maa-spec §5.2).
  bool is_reset() const { return encoding_ == PolicyTextEncoding::kNone; }
  // The policy text, valid UTF-8 (RFC 3629); empty for a reset.
  const std::string& policy_text() const { return text_; }
  PolicyTextEncoding text_encoding() const { return encoding_; }
  // Set when "alg" is not "none": the certificate chain whose leaf signed.
  const std::optional<PolicySigner>& signer() const { return jws_.signer(); }
  bool is_signed() const { return jws_.signer().has_value(); }
  // "x-ms-policy-token-hash" of jws() (maa-spec §5.2).
  const std::string& token_hash() const { return jws_.token_hash(); }

 private:
  friend absl::StatusOr<PolicyDocument> DecodePolicyDocument(
      absl::string_view jws);
  PolicyDocument(VerifiedManagementJws jws, std::string text,
                 PolicyTextEncoding encoding)
      : jws_(std::move(jws)), text_(std::move(text)), encoding_(encoding) {}

  VerifiedManagementJws jws_;
  std::string text_;
  PolicyTextEncoding encoding_;
};

// DecodePolicyDocument: `jws` (the request body, byte for byte) decoded and
// its signature checked (DecodeManagementJws), then the payload read:
// empty -> reset; else a JSON object with "AttestationPolicy" a non-empty
// string, decoded as the file comment says. Other members are ignored (the
// StoredAttestationPolicy schema has no others). Fails with kInvalidArgument:
// every DecodeManagementJws failure, or "payload: \"AttestationPolicy\" is
// missing ...", "... not a string", "... is empty ...", "payload:
// \"AttestationPolicy\": base64url decodes to invalid UTF-8 at byte N".
absl::StatusOr<PolicyDocument> DecodePolicyDocument(absl::string_view jws);

}  // namespace vigil::control

#endif  // VIGIL_SERVICE_CONTROL_POLICY_DOCUMENT_H_
