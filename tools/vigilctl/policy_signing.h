// File: tools/vigilctl/policy_signing.h
// -----------------------------------------------------------------------------
// The policy-management JWS that vigilctl makes from files (maa-spec §5,
// service/control/jws_writer.h), shared by the offline commands (`policy
// sign`, `policy-certs make-change`, in the static vigilctl) and the online
// ones (`policy set|reset`, `policy-certs add|remove`, in vigilctl-admin).
//
// A signer is a private key (--key, unencrypted PEM: PKCS#8, EC or RSA) and
// its X.509 certificate chain (--cert, PEM, leaf first), as Azure's
// maa.signing.tool takes them. Nothing here reads or sends anything over a
// network, and no private key appears in an output or an error.
//
// Every error is kInvalidArgument (exit 2), one line naming the flag or file:
// "--key k.pem: not a PEM private key ...", "--cert c.pem: the leaf's
// public key is not this key", "policy.txt: policy text is empty ...".

#ifndef VIGIL_TOOLS_VIGILCTL_POLICY_SIGNING_H_
#define VIGIL_TOOLS_VIGILCTL_POLICY_SIGNING_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/token/signing_key.h"
#include "tools/vigilctl/args.h"

namespace vigil::vigilctl {

// LoadPolicySigner: the private key of `key_path` carrying the certificate
// chain of `cert_path`. Fails when either file cannot be read or parsed, the
// key type or size cannot sign policies (P-256, RSA 2048-8192), or the
// chain's leaf does not hold the key.
absl::StatusOr<token::SigningKey> LoadPolicySigner(
    const std::string& key_path, const std::string& cert_path);

// SignerFromFlags: the signer of --key and --cert when both are given;
// nullopt when neither is. Fails when only one is given ("--key needs
// --cert ...") and as LoadPolicySigner.
absl::StatusOr<std::optional<token::SigningKey>> SignerFromFlags(
    const ParsedArgs& args);

// IsCompactJws: whether `text`, surrounding whitespace ignored, has the
// shape of a compact JWS: three base64url segments joined by '.' (the
// payload and signature may be empty). Policy text never has that shape:
// every policy has ';', '{' or a space, none of which is base64url.
bool IsCompactJws(absl::string_view text);

// MakePolicyJws: the policy JWS of `text`, signed by `signer` when set,
// unsigned (alg none) otherwise. Fails for empty or non-UTF-8 text.
absl::StatusOr<std::string> MakePolicyJws(
    absl::string_view text, const std::optional<token::SigningKey>& signer);

// MakeResetJws: the reset request, signed by `signer` when set, else
// "eyJhbGciOiJub25lIn0..".
absl::StatusOr<std::string> MakeResetJws(
    const std::optional<token::SigningKey>& signer);

// PolicyJwsFromFile: what `policy set FILE` sends. FILE holding a JWS (as
// `policy sign` writes it) is sent as it is, surrounding whitespace removed;
// a `signer` is then an error (it is signed already, or deliberately not).
// Any other content is policy text, its exact bytes wrapped by
// MakePolicyJws. Fails naming FILE.
absl::StatusOr<std::string> PolicyJwsFromFile(
    const std::string& path, const std::optional<token::SigningKey>& signer);

// CertificateChangeJwsFromFile: the body of a policy-management certificate
// add or remove request (the same body for both, as Azure's) for the one
// certificate in `cert_path` (PEM; DER also accepted), signed by `signer`.
// Fails when the file holds no certificate or several, or a certificate
// whose key cannot sign policies.
absl::StatusOr<std::string> CertificateChangeJwsFromFile(
    const std::string& cert_path, const token::SigningKey& signer);

// CertificateChangeFromArgs: the change of `CERT.pem --key K --cert C`
// (exactly one positional argument; both flags required), as
// CertificateChangeJwsFromFile. `command` names the command in messages.
absl::StatusOr<std::string> CertificateChangeFromArgs(absl::string_view command,
                                                      const ParsedArgs& args);

}  // namespace vigil::vigilctl

#endif  // VIGIL_TOOLS_VIGILCTL_POLICY_SIGNING_H_
