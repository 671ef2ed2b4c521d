// File: policy/evaluator.h
// -----------------------------------------------------------------------------
// Evaluate(): runs a CompiledPolicy over an incoming ClaimSet (maa-spec.md
// §1.9) and explains the outcome.
//
//   ASSIGN_OR_RETURN(EvaluationResult r, Evaluate(policy, claims));
//   if (!r.permitted) std::cerr << r.reason << "\n";
//   std::cout << r.ToJson().dump() << "\n";
//
// Semantics:
//   * configurationrules, then authorizationrules, then (only when
//     permitted) issuancerules; rules in their written order. Claims a rule
//     adds are visible to every later rule (not to the rule's own bindings,
//     which are all found before its action runs).
//   * A rule's conditions are a natural join: each condition with a claim
//     variable binds, in turn, every claim that satisfies it (resolving
//     references such as `value == F1.value` against the earlier bindings);
//     an anonymous condition only has to match some claim; `![...]` holds
//     when no claim matches. The action runs once per complete binding, in
//     claim order. A rule without conditions runs once.
//   * A comparison between values of different kinds (`value == true` on a
//     string claim) is "no match", never an error. A Set-valued claim (several
//     claims of one type, as JsonToClaimValue of an array makes them) matches
//     a value test when one of its members does, and binds as a whole.
//   * Authorization permits iff some permit() ran and no deny() ran.
//   * add/issue/issueproperty create claims with issuer AttestationPolicy;
//     an Empty value or an empty Set is a no-op. issue(claim=c) and
//     issueproperty(claim=c) of a read-only claim are evaluation errors;
//     copying its value into a new type (type=..., value=c.value) is allowed.
//   * Issued claims of one type issued more than once (or as a Set of several
//     members) become a JSON array in `issued`.
//
// Failure channels (style.md rule 4): a denial is an OK result with
// permitted == false. A function error (JMESPath syntax, JsonToClaimValue
// of an object, an argument of the wrong kind, ...), issue(claim=c) of a
// read-only claim, or an out-of-range property value stops evaluation with
// kInvalidArgument whose message names the rule, e.g.
//   "policy.txt:12:1: issuancerules rule failed: JmesPath() at 12:40:
//    argument 2: query does not compile: syntax error at column 5: ..."
// kResourceExhausted when a rule has more than EvaluateOptions::max_bindings
// bindings or a JMESPath evaluation exceeds its cost budget.
//
// Thread-safe: any number of evaluations of one CompiledPolicy may run at
// once. The result is derived from `claims` as given: it is trusted exactly
// as far as the caller's claims are.

#ifndef VIGIL_POLICY_EVALUATOR_H_
#define VIGIL_POLICY_EVALUATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "policy/ast.h"
#include "policy/claim.h"
#include "policy/compiler.h"
#include "policy/jmespath/json_util.h"
#include "policy/property.h"
#include "policy/source.h"
#include "policy/value.h"

namespace vigil::policy {

struct EvaluateOptions {
  // Record the trace (rules fired, bindings, unmatched conditions). Turning
  // it off saves a little time when only the decision is wanted.
  bool explain = true;
  // A rule whose conditions have more bindings than this fails with
  // kResourceExhausted (guards against N^k joins).
  int64_t max_bindings = 10000;
};

// A claim in the output: `value` is a scalar, or an array when the type was
// issued several times.
struct OutputClaim {
  std::string type;
  jmespath::Json value;
};

// One claim bound to a claim variable in one firing of a rule.
struct TraceBinding {
  std::string identifier;
  std::string type;
  std::string issuer;
  Value value;
};

// What happened to one rule.
struct RuleTrace {
  enum class Outcome {
    kFired,     // the action ran at least once
    kNotFired,  // the conditions had no binding
    kNotRun,    // issuance rules after a denial
  };
  ast::SectionKind section = ast::SectionKind::kIssuance;
  SourceLocation location;
  std::string text;  // canonical rule text
  Outcome outcome = Outcome::kNotRun;
  // One entry per firing, with the claim bound to each claim variable
  // (empty inner vectors for rules without variables).
  std::vector<std::vector<TraceBinding>> firings;
  // kNotFired: the first condition that matched nothing (for `![...]`: the
  // absence condition whose claim was present).
  int unmatched_condition = -1;
  SourceLocation unmatched_location;
  std::string unmatched_text;
  bool unmatched_is_absence = false;
};

struct EvaluationResult {
  bool permitted = false;
  // Why: "permit() at 3:5 fired and no deny() fired", "deny() at 4:5 fired",
  // "no permit() fired".
  std::string reason;
  // The rule that decided: the deny() that fired, or the first permit();
  // line 0 when no rule permitted.
  SourceLocation deciding_rule;
  // Outgoing claims in the order their types were first issued (empty when
  // not permitted).
  std::vector<OutputClaim> issued;
  // Property claims set by issueproperty(), in first-issue order (merged
  // like `issued`).
  std::vector<OutputClaim> issued_properties;
  // The effective configuration: documented defaults overridden by the last
  // issueproperty() of each known property.
  PolicyProperties properties;
  std::vector<RuleTrace> trace;

  // EvaluationResult::ToJson(): the contract of `vigilctl policy eval`:
  //   {"permitted": bool,
  //    "issued": [{"type": ..., "value": ...}],
  //    "properties": [{"type": ..., "value": ..., "default": bool}]
  //                  (the four known properties first, then any other),
  //    "trace": [per rule: {"section", "rule" ("L:C"), "text", "fired" (count)
  //               or "run": false, "bindings": [{VAR: {type, issuer, value}}],
  //               "unmatched": {"condition" ("L:C"), "text", "reason"}},
  //              ..., and last {"decision": "permit"|"deny", "reason",
  //              "rule" ("L:C", absent when no rule decided)}]}
  // Long string values in the trace are shortened (with their length noted);
  // `issued` and `properties` are complete.
  jmespath::Json ToJson() const;
};

// Evaluate(): see the file comment. `policy` and `claims` are only read.
absl::StatusOr<EvaluationResult> Evaluate(const CompiledPolicy& policy,
                                          const ClaimSet& claims,
                                          const EvaluateOptions& options = {});

}  // namespace vigil::policy

#endif  // VIGIL_POLICY_EVALUATOR_H_
