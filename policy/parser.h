// File: policy/parser.h
// -----------------------------------------------------------------------------
// Recursive-descent parser for the policy language (maa-spec.md §1.4, the
// inferred EBNF; each parse function's first comment line is its production).
// Errors are collected as Issues, with recovery at the next ';' so one run
// reports several problems.
//
// The documented slips of Microsoft's own samples (corpus README E2/E6/E7/
// E10/E11/E13) are repaired the same way in both modes; in Mode::kStrict they
// are errors, in Mode::kCompat warnings:
//   * a single '=' comparing in a condition is read as '==';
//   * a missing ';' after a rule or after a section's '}' is supplied when
//     what follows clearly starts a new rule/section or ends the block;
//   * a section keyword in another case (`Issuancerules`) is accepted.
//
// Internal to the policy compiler; use compiler.h.

#ifndef VIGIL_POLICY_PARSER_H_
#define VIGIL_POLICY_PARSER_H_

#include <vector>

#include "policy/ast.h"
#include "policy/issue.h"
#include "policy/source.h"

namespace vigil::policy {

// How strictly the documented slips of Microsoft's samples are treated.
enum class Mode {
  kStrict,  // every slip is an error (the default)
  kCompat,  // known tolerable slips are warnings and are repaired
};

// ParsePolicy(): a complete policy (`version=M.N;` then sections). Appends
// problems to `issues`; the returned tree holds whatever parsed, and is only
// meaningful when no error was appended.
ast::Policy ParsePolicy(const Source& source, Mode mode,
                        std::vector<Issue>* issues);

// ParseRuleList(): a bare list of rules without version header or sections
// (the snippets of the Microsoft docs); the rules are put in one section of
// kind `section`. Returns as ParsePolicy() does, with is_rule_list set.
ast::Policy ParseRuleList(const Source& source, Mode mode,
                          ast::SectionKind section, std::vector<Issue>* issues);

}  // namespace vigil::policy

#endif  // VIGIL_POLICY_PARSER_H_
