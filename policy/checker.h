// File: policy/checker.h
// -----------------------------------------------------------------------------
// Semantic checks on a parsed policy (maa-spec.md §1): the rules a
// well-formed text can still break. Each is an error unless noted.
//   * version is 1.0, 1.1 or 1.2; configurationrules only from 1.1; sections
//     at most once, in the order configuration, authorization, issuance;
//     authorizationrules present (a complete policy without it can never
//     permit);
//   * function calls and '!' conditions only in 1.2; known functions
//     (case-sensitive, with a "did you mean" hint) with the right arity;
//     literal arguments of the wrong kind (AppendString(1, "x"));
//   * claim variables: declared once per rule; used only after the condition
//     that binds them (in a later condition or the action); an absence
//     condition '!' cannot bind one;
//   * comparisons: type/issuer/valueType with '==' or '!=' against a string;
//     '<', '<=', '>', '>=' only against integers; valueType names are
//     "String", "Integer", "Boolean";
//   * actions per section (claim-rule-grammar.md): permit()/deny() only in
//     authorizationrules; add() in authorizationrules and issuancerules;
//     issue() only in issuancerules (in authorizationrules a Slip: strict
//     error, compat warning and run as add(), maa-spec.md §1.5 and corpus E9);
//     issueproperty() in configurationrules and issuancerules;
//   * issueproperty() of the known properties with a literal of the wrong
//     kind or range (required_pcr_mask 0..0xFFFFFF, report_validity_in_minutes
//     1..525600, require_valid_aik_cert/omit_x5c Boolean).
//
// Internal to the policy compiler; use compiler.h.

#ifndef VIGIL_POLICY_CHECKER_H_
#define VIGIL_POLICY_CHECKER_H_

#include <vector>

#include "policy/ast.h"
#include "policy/issue.h"
#include "policy/parser.h"
#include "policy/source.h"

namespace vigil::policy {

// Check(): appends the problems of `policy` (parsed from `source`) to
// `issues`. A rule list is checked as version 1.2 rules of its one section.
void Check(const ast::Policy& policy, const Source& source, Mode mode,
           std::vector<Issue>* issues);

}  // namespace vigil::policy

#endif  // VIGIL_POLICY_CHECKER_H_
