// File: service/token/json.h
// -----------------------------------------------------------------------------
// The JSON type of token headers, claims and key sets, and the two
// non-throwing operations every file here uses on it. nlohmann::ordered_json
// keeps member order (so a header reads alg, typ, kid as written) and 64-bit
// integers exactly, as eventlog/maa_json.h does.

#ifndef VIGIL_SERVICE_TOKEN_JSON_H_
#define VIGIL_SERVICE_TOKEN_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace vigil::token {

using Json = nlohmann::ordered_json;

// Compact JSON text. Never throws: invalid UTF-8 is replaced by U+FFFD (callers
// that sign check UTF-8 first, see ValidateJsonForSigning).
std::string DumpJson(const Json& value);

// Parses `text` as one JSON object, strictly: RFC 8259 syntax, valid UTF-8,
// no duplicate member names at any depth (RFC 7515 §5.2 and RFC 7519 §4 allow
// rejecting them; a verifier that silently keeps the last "alg" or "exp" is
// how parser-differential attacks start), nesting at most `max_depth`.
// Fails with kInvalidArgument: "not JSON: <parser message>", "not a JSON
// object", "duplicate member \"<name>\"", "nesting deeper than N".
// The result is as trusted as `text`.
absl::StatusOr<Json> ParseJsonObject(absl::string_view text, int max_depth);

// Checks that `value` can be signed exactly as given: every string and member
// name is valid UTF-8 (RFC 7519 §7.1 requires UTF-8; DumpJson would otherwise
// alter it), every number is finite, nesting at most `max_depth`. Fails with
// kInvalidArgument naming the JSON path ("x-ms-policy.events[3]: invalid
// UTF-8").
absl::Status ValidateJsonForSigning(const Json& value, int max_depth);

}  // namespace vigil::token

#endif  // VIGIL_SERVICE_TOKEN_JSON_H_
