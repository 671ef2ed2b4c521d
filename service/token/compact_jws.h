// File: service/token/compact_jws.h
// -----------------------------------------------------------------------------
// Parsing of JWS Compact Serialization (RFC 7515 §7.1) carrying a JWT
// (RFC 7519 §7.2), on untrusted bytes. Nothing here verifies anything:
// JwtVerifier (jwt_verifier.h) calls these steps in the safe order (header,
// key, signature, and only then the claims) and is the only producer of
// VerifiedJwt. ParseUnverifiedJwt is for debugging output and tests.
//
// Every error is kInvalidArgument and names the segment and field:
//   "token: 5 segments, want 3 (header.payload.signature; 5 is a JWE)"
//   "header: not base64url: ..."   "header: \"alg\" is missing"
//   "payload: \"exp\": not a NumericDate"   "signature: empty"

#ifndef VIGIL_SERVICE_TOKEN_COMPACT_JWS_H_
#define VIGIL_SERVICE_TOKEN_COMPACT_JWS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/token/json.h"

namespace vigil::token {

struct JwsLimits {
  // Whole token. Azure Attestation-style tokens carry the events JSON, so
  // tens of kilobytes are normal.
  size_t max_token_size = 1 << 20;
  // Encoded header: room for an "x5c" chain of a few certificates.
  size_t max_header_size = 16 << 10;
};

// The three segments, as views into the caller's token.
struct CompactJwsSegments {
  absl::string_view header;         // BASE64URL(UTF8(JOSE Header))
  absl::string_view payload;        // BASE64URL(JWS Payload)
  absl::string_view signature;      // BASE64URL(JWS Signature)
  absl::string_view signing_input;  // header '.' payload, what is signed
};

// Segments that may be empty. A JWT never has an empty payload or signature,
// so both are refused by default. Azure Attestation's policy-management
// documents have both (maa-spec §5.1-5.2): an unsecured JWS ("alg":"none",
// RFC 7515 Appendix A.5) ends with an empty signature, and a reset request
// carries an empty payload. The header is never empty.
struct JwsEmptySegments {
  bool payload = false;
  bool signature = false;
};

// SplitCompactJws: exactly three segments of the base64url alphabet without
// '=' padding (RFC 7515 §2), within `limits`; none empty except as
// `allow_empty` says.
absl::StatusOr<CompactJwsSegments> SplitCompactJws(
    absl::string_view token, const JwsLimits& limits = {},
    JwsEmptySegments allow_empty = {});

// The JOSE Header members this library reads (RFC 7515 §4.1). Untrusted
// until the signature is verified.
struct JwsHeader {
  std::string alg;  // required; any string, checked later
  std::optional<std::string> kid;
  std::optional<std::string> typ;
  std::vector<std::string> crit;  // RFC 7515 §4.1.11
  Json json;                      // the whole header object
};

// DecodeJwsHeader: base64url -> a JSON object without duplicate members,
// with "alg" a string and "kid"/"typ" strings and "crit" a non-empty array
// of strings when present.
absl::StatusOr<JwsHeader> DecodeJwsHeader(absl::string_view segment);

// DecodeJwsSignature: the signature bytes.
absl::StatusOr<std::string> DecodeJwsSignature(absl::string_view segment);

// The registered claims (RFC 7519 §4.1), typed.
struct RegisteredClaims {
  std::optional<std::string> issuer;     // "iss"
  std::optional<std::string> subject;    // "sub"
  std::vector<std::string> audiences;    // "aud": string or array
  std::optional<absl::Time> expiration;  // "exp"
  std::optional<absl::Time> not_before;  // "nbf"
  std::optional<absl::Time> issued_at;   // "iat"
  std::optional<std::string> jwt_id;     // "jti"
};

// DecodeJwtClaims: base64url -> a JSON object (RFC 7519 §7.2 step 10) with
// no duplicate members, nesting at most kMaxClaimDepth.
// ReadRegisteredClaims: its registered claims, checked to be of the right
// types: strings, "aud" a string or array of strings, NumericDates
// (RFC 7519 §2, integer or fraction, 0..9999-12-31; fractions are floored).
absl::StatusOr<Json> DecodeJwtClaims(absl::string_view segment);
absl::StatusOr<RegisteredClaims> ReadRegisteredClaims(const Json& claims);

// UnverifiedJwt: INSECURE, nothing in it is verified. For printing a token
// while debugging and for tests; never for decisions.
struct UnverifiedJwt {
  JwsHeader header;
  Json claims;
  RegisteredClaims registered;
  std::string signature;
};
absl::StatusOr<UnverifiedJwt> ParseUnverifiedJwt(absl::string_view token,
                                                 const JwsLimits& limits = {});

}  // namespace vigil::token

#endif  // VIGIL_SERVICE_TOKEN_COMPACT_JWS_H_
