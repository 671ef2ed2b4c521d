// File: service/verifier/policy_set.h
// -----------------------------------------------------------------------------
// The policies in force, one per attestation type ("Tpm", "VbsEnclave", ...),
// each compiled once and swapped atomically (issue #5 §2: compiled at start
// and on reload). Readers take a shared_ptr snapshot, so an attestation that
// started under one policy finishes under it even if a reload lands midway.
//
// Two layers per type. The defaults come from the configuration (Load): a
// directory holding `<Type>.policy` files (e.g. `Tpm.policy`), or one file
// for `Tpm`; a type with no file runs the built-in default, the one Azure
// Attestation's shared instances use for TPM (`authorizationrules {
// => permit(); }`, maa-spec §0): admit any device whose evidence verifies,
// with an AIK the trust bundle vouches for (require_valid_aik_cert defaults
// to true). Over them, the managed policies the control plane sets (Set)
// and removes (Reset: back to the default), issue #6 §1. The policy in force
// is the managed one when there is one, else the default; reloading the
// defaults never disturbs a managed policy.
#ifndef VIGIL_SERVICE_VERIFIER_POLICY_SET_H_
#define VIGIL_SERVICE_VERIFIER_POLICY_SET_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "policy/compiler.h"
#include "policy/property.h"

namespace vigil::service {

inline constexpr absl::string_view kAttestationTypeTpm = "Tpm";
inline constexpr absl::string_view kDefaultTpmPolicy =
    "version=1.0;\n"
    "authorizationrules\n"
    "{\n"
    "    => permit();\n"
    "};\n"
    "issuancerules\n"
    "{\n"
    "};\n";

struct ActivePolicy {
  std::string attestation_type;
  std::string text;    // exactly as stored (the hash covers these bytes)
  std::string source;  // file path, or "built-in default"
  policy::CompiledPolicy compiled;
  std::string hash;  // x-ms-policy-hash (maa-spec §3.5)
  // The configuration rules' properties, which do not depend on evidence:
  // required_pcr_mask tells the agent what to quote before any claim
  // exists. (A configuration rule that reads incoming claims sees none
  // here; such a policy gets the property's default.)
  policy::PolicyProperties properties;
  bool report_validity_set = false;  // the policy chose the token lifetime
  uint64_t generation = 0;           // increases with every change
  absl::Time loaded_at;
  // Whether the policy may read the `events` claim
  // (policy::CompiledPolicy::MayReadClaimType). When not, a round decided
  // from a held verdict, without the log, can still be evaluated.
  bool reads_events = true;
  // Whether it may read the `pcrs` claim: only then must a memoized
  // decision be for the round's every PCR value (BuiltClaims::decision_key).
  bool reads_pcrs = true;
};

class PolicySet {
 public:
  PolicySet();

  // Compiles `text` (strict mode) into a policy for `type` without putting
  // it in force (the control plane checks a policy before storing it; dry
  // runs evaluate it). Fails with kInvalidArgument holding the compiler's
  // "SOURCE:LINE:COL: error: ..." lines.
  absl::StatusOr<std::shared_ptr<const ActivePolicy>> Compile(
      absl::string_view type, std::string text, std::string source,
      absl::Time now) const;

  // Compiles `text` and, when it compiles, puts it in force for `type` as
  // the managed policy. Fails as Compile; the policy in force then stays.
  absl::Status Set(absl::string_view type, std::string text, std::string source,
                   absl::Time now);

  // Drops the managed policy of `type`: back to its default (the file, the
  // built-in Tpm policy, or none for other types). No-op without one.
  void Reset(absl::string_view type, absl::Time now);

  // Loads the defaults from `path`: a directory of <Type>.policy files, or a
  // single file for Tpm. All or nothing: every file must compile, else
  // nothing changes and the error names each failing file. Types that lost
  // their file fall back to the built-in default (Tpm) or none. Managed
  // policies stay in force. Fails with kNotFound when `path` is missing.
  absl::Status Load(const std::string& path, absl::Time now);

  // The default of `type` (what Reset returns to), or nullptr.
  std::shared_ptr<const ActivePolicy> Default(absl::string_view type) const;
  // Whether `type` runs a managed policy.
  bool IsManaged(absl::string_view type) const;

  // The policy in force for `type`, or nullptr when none (non-Tpm types
  // without a file).
  std::shared_ptr<const ActivePolicy> Get(absl::string_view type) const;

  // Called (outside the lock) after every change, with the type changed;
  // the verifier uses it to ask connected agents to re-attest.
  void OnChange(std::function<void(const std::string& type)> callback);

  uint64_t generation() const;

 private:
  using PolicyMap =
      std::map<std::string, std::shared_ptr<const ActivePolicy>, std::less<>>;
  // Runs `change` on the layers under the lock, then recomputes the policy
  // in force for `types`; each that changed gets a new generation, and the
  // callbacks run for it outside the lock.
  void Update(const std::function<void()>& change,
              const std::vector<std::string>& types, absl::Time now);

  mutable absl::Mutex mu_;
  PolicyMap defaults_ ABSL_GUARDED_BY(mu_);
  PolicyMap managed_ ABSL_GUARDED_BY(mu_);
  PolicyMap policies_ ABSL_GUARDED_BY(mu_);  // in force
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::function<void(const std::string&)>> callbacks_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_VERIFIER_POLICY_SET_H_
