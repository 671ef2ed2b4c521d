// File: tools/vigilctl/token_command.h
// -----------------------------------------------------------------------------
// `vigilctl token verify`: checks a PlatformAttested token the way a relying
// party does (issue #6 §6, maa-spec.md §6.3-6.4): fetches the issuer's
// OpenID metadata and JWKS over HTTPS, verifies the signature with the key
// the header's kid names, expiry and not-before with a clock skew, the
// issuer (and the audience when asked), then prints the claims.
//
//   vigilctl token verify TOKEN|@FILE|- --issuer URL [--ca PEM]
//       [--audience AUD] [--skew 5m] [--format json|yaml]
//
// Exit codes: 0 valid; 2 usage or unreadable input; 3 the token is refused
// (the reason on stderr: signature, expired, issuer, ...); 69 the metadata
// or JWKS cannot be fetched or are malformed.
#ifndef VIGIL_TOOLS_VIGILCTL_TOKEN_COMMAND_H_
#define VIGIL_TOOLS_VIGILCTL_TOKEN_COMMAND_H_

#include <string>
#include <vector>

#include "tools/vigilctl/exit_codes.h"

namespace vigil::vigilctl {

int RunTokenCommand(const std::vector<std::string>& args);

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_TOKEN_COMMAND_H_
