#include "tools/vigilctl/policy_command.h"

#include <iostream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "policy/claim.h"
#include "policy/compiler.h"
#include "policy/evaluator.h"
#include "policy/policy_hash.h"
#include "service/token/signing_key.h"
#include "tools/vigilctl/args.h"
#include "tools/vigilctl/policy_signing.h"

namespace vigil::vigilctl {
namespace {

constexpr char kUsage[] =
    "usage: vigilctl policy check FILE [--compat]\n"
    "       vigilctl policy eval --policy FILE --claims CLAIMS.json [--compat] "
    "[--explain]\n"
    "       vigilctl policy hash FILE\n"
    "       vigilctl policy sign FILE (--key KEY.pem --cert CHAIN.pem | "
    "--unsigned) [--out OUT]\n"
    "       vigilctl policy sign --reset [--key KEY.pem --cert CHAIN.pem] "
    "[--out OUT]\n"
    "  sign writes the policy JWS Azure Attestation's policy API takes\n"
    "  (maa.signing.tool's output): {\"AttestationPolicy\": base64url(FILE)},\n"
    "  signed with the key, the chain in x5c; --unsigned: alg none; --reset:\n"
    "  the reset request. Nothing is sent anywhere.\n"
    "  With a running verifier (vigilctl-admin, see `vigilctl policy get "
    "--help`):\n"
    "       vigilctl policy get | set | reset | history | dry-run\n"
    "  exit: 0 ok (a deny too), 2 usage, policy errors or unusable files,\n"
    "        4 evaluation error, 1 internal\n";

constexpr char kCertsUsage[] =
    "usage: vigilctl policy-certs make-change CERT.pem --key SIGNER.key "
    "--cert SIGNER_CHAIN.pem [--out OUT]\n"
    "  writes the body of a policy-management certificate add or remove\n"
    "  request (the same body for both, as Azure's): a JWS signed by the\n"
    "  signer whose payload is {\"policyCertificate\": {\"kty\", \"x5c\": "
    "[CERT]}}.\n"
    "  With a running verifier (vigilctl-admin, see `vigilctl policy-certs "
    "list --help`):\n"
    "       vigilctl policy-certs list | add | remove\n"
    "  exit: 0 written, 2 usage or unusable files, 1 internal\n";

// The exact bytes of a file: the policy hash covers them byte for byte.
std::optional<std::string> ReadText(const std::string& path, int* code) {
  absl::StatusOr<std::string> text = ReadInputFile(path);
  if (!text.ok()) {
    *code = FailWith(kExitBadInput, text.status().message());
    return std::nullopt;
  }
  return *std::move(text);
}

// Compiles FILE; prints every issue (errors and warnings) to stderr.
std::optional<policy::CompiledPolicy> CompileFile(const std::string& path,
                                                  bool compat, int* code) {
  std::optional<std::string> text = ReadText(path, code);
  if (!text) return std::nullopt;
  policy::CompileOptions options;
  options.mode = compat ? policy::Mode::kCompat : policy::Mode::kStrict;
  options.source_name = path;
  options.form = policy::CompileOptions::Form::kAuto;
  policy::CompileResult result = policy::Compile(*text, options);
  std::cerr << result.FormatIssues();
  if (!result.ok()) {
    *code = kExitBadInput;
    return std::nullopt;
  }
  return result.policy();
}

int RunCheck(const ParsedArgs& args) {
  if (args.positional.size() != 1) {
    std::cerr << kUsage;
    return kExitBadInput;
  }
  int code = kExitOk;
  std::optional<policy::CompiledPolicy> p =
      CompileFile(args.positional[0], args.Has("compat"), &code);
  return p ? kExitOk : code;
}

int RunEval(const ParsedArgs& args) {
  std::optional<std::string> policy_path = args.Value("policy");
  std::optional<std::string> claims_path = args.Value("claims");
  if (!policy_path || !claims_path || !args.positional.empty()) {
    std::cerr << kUsage;
    return kExitBadInput;
  }
  int code = kExitOk;
  std::optional<policy::CompiledPolicy> p =
      CompileFile(*policy_path, args.Has("compat"), &code);
  if (!p) return code;
  std::optional<std::string> claims_text = ReadText(*claims_path, &code);
  if (!claims_text) return code;
  absl::StatusOr<policy::ClaimSet> claims =
      policy::ParseClaimsJson(*claims_text);
  if (!claims.ok()) {
    return FailWith(kExitBadInput, absl::StrCat(*claims_path, ": ",
                                                claims.status().message()));
  }
  policy::EvaluateOptions options;
  options.explain = args.Has("explain");
  absl::StatusOr<policy::EvaluationResult> result =
      policy::Evaluate(*p, *claims, options);
  if (!result.ok()) {
    return FailWith(kExitEvaluationError,
                    absl::StrCat(*policy_path, ": evaluation error: ",
                                 result.status().message()));
  }
  std::cout << result->ToJson().dump(2, ' ', false,
                                     jmespath::Json::error_handler_t::replace)
            << "\n";
  return kExitOk;
}

int RunHash(const ParsedArgs& args) {
  if (args.positional.size() != 1) {
    std::cerr << kUsage;
    return kExitBadInput;
  }
  int code = kExitOk;
  std::optional<std::string> text = ReadText(args.positional[0], &code);
  if (!text) return code;
  absl::StatusOr<std::string> hash = policy::PolicyHash(*text);
  if (!hash.ok()) return FailWith(kExitInternal, hash.status().message());
  std::cout << *hash << "\n";
  return kExitOk;
}

int RunSign(const ParsedArgs& args) {
  const bool reset = args.Has("reset");
  if (reset ? !args.positional.empty() : args.positional.size() != 1) {
    return FailWith(kExitBadInput,
                    reset ? "policy sign --reset takes no FILE"
                          : "policy sign: want exactly one FILE (the policy "
                            "text)");
  }
  absl::StatusOr<std::optional<token::SigningKey>> signer =
      SignerFromFlags(args);
  if (!signer.ok()) return FailWith(kExitBadInput, signer.status().message());
  if (args.Has("unsigned") && signer->has_value()) {
    return FailWith(kExitBadInput, "--unsigned contradicts --key/--cert");
  }
  if (!reset && !args.Has("unsigned") && !signer->has_value()) {
    return FailWith(kExitBadInput,
                    "policy sign: give --key KEY.pem --cert CHAIN.pem, or "
                    "--unsigned");
  }
  absl::StatusOr<std::string> jws;
  if (reset) {
    jws = MakeResetJws(*signer);
  } else {
    int code = kExitOk;
    std::optional<std::string> text = ReadText(args.positional[0], &code);
    if (!text) return code;
    jws = MakePolicyJws(*text, *signer);
    if (!jws.ok()) {
      return FailWith(kExitBadInput, absl::StrCat(args.positional[0], ": ",
                                                  jws.status().message()));
    }
  }
  if (!jws.ok()) return FailWith(kExitInternal, jws.status().message());
  absl::Status written =
      WriteOutput(args.Value("out").value_or(""), *jws + "\n");
  if (!written.ok()) return FailWith(kExitBadInput, written.message());
  return kExitOk;
}

int RunMakeChange(const ParsedArgs& args) {
  absl::StatusOr<std::string> jws =
      CertificateChangeFromArgs("policy-certs make-change", args);
  if (!jws.ok()) return FailWith(kExitBadInput, jws.status().message());
  absl::Status written =
      WriteOutput(args.Value("out").value_or(""), *jws + "\n");
  if (!written.ok()) return FailWith(kExitBadInput, written.message());
  return kExitOk;
}

}  // namespace

int RunPolicyCommand(const std::vector<std::string>& args) {
  static const Subcommand kSubcommands[] = {
      {"check", {}, {"compat"}, RunCheck},
      {"eval", {"policy", "claims"}, {"compat", "explain"}, RunEval, false},
      {"hash", {}, {}, RunHash},
      {"sign", {"key", "cert", "out"}, {"unsigned", "reset"}, RunSign},
  };
  return RunSubcommand("policy", kUsage, kSubcommands, args);
}

int RunPolicyCertsCommand(const std::vector<std::string>& args) {
  static const Subcommand kSubcommands[] = {
      {"make-change", {"key", "cert", "out"}, {}, RunMakeChange},
  };
  return RunSubcommand("policy-certs", kCertsUsage, kSubcommands, args);
}

}  // namespace vigil::vigilctl
