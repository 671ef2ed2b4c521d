// File: policy/compiler.h
// -----------------------------------------------------------------------------
// Compile(): policy text -> CompiledPolicy, or the issues that prevent it
// (style.md rule 18: lexer -> parser -> checker -> compiled policy). Compile
// once when a policy is uploaded; evaluate (evaluator.h) many times.
//
//   CompileResult r = Compile(text, {.source_name = "policy.txt"});
//   if (!r.ok()) { std::cerr << r.FormatIssues(); return 2; }
//   ASSIGN_OR_RETURN(EvaluationResult e, Evaluate(r.policy(), claims));
//
// Two forms of input (CompileOptions::form):
//   * kPolicy (default): a complete policy, `version=M.N;` then sections.
//   * kRuleList: a bare list of rules as the Microsoft docs print them
//     (no version header, no sections). The rules are checked and run as
//     version 1.2 rules of `rule_list_section` (default issuancerules); unless
//     that section is authorizationrules, evaluation behaves as if the policy
//     had `authorizationrules { => permit(); };`.
//   * kAuto: kPolicy when the text starts with `version`, else kRuleList.

#ifndef VIGIL_POLICY_COMPILER_H_
#define VIGIL_POLICY_COMPILER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "policy/ast.h"
#include "policy/issue.h"
#include "policy/parser.h"
#include "policy/source.h"

namespace vigil::policy {

namespace internal {
struct Program;
}  // namespace internal

struct CompileOptions;
class CompileResult;
// Declared here so CompiledPolicy and CompileResult can befriend it; see
// below for its contract.
CompileResult Compile(absl::string_view text, const CompileOptions& options);

struct CompileOptions {
  enum class Form { kPolicy, kRuleList, kAuto };
  // kStrict rejects the slips of Microsoft's samples; kCompat accepts the
  // tolerable ones with warnings (parser.h, checker.h).
  Mode mode = Mode::kStrict;
  // Name used in issues and evaluation errors (usually the file name).
  std::string source_name = "policy";
  Form form = Form::kPolicy;
  ast::SectionKind rule_list_section = ast::SectionKind::kIssuance;
};

// An immutable compiled policy. Cheap to copy (copies share the program);
// safe to evaluate from many threads at once.
class CompiledPolicy {
 public:
  // CompiledPolicy::version_major()/version_minor(): the declared version
  // (1.2 for a rule list).
  int version_major() const;
  int version_minor() const;
  bool is_rule_list() const;
  const Source& source() const;

  // CompiledPolicy::Format(): the canonical text of the policy (ast::Format).
  std::string Format() const;

  // CompiledPolicy::Summary(): one line per section with its rule count and
  // the actions used, e.g. "issuancerules: 3 rules (add 2, issue 1)".
  std::string Summary() const;

  // CompiledPolicy::MayReadClaimType(): whether evaluating this policy may
  // look at a claim of `type`. True when some condition tests `type ==
  // "<type>"` (exactly: conditions match types exactly), or has no literal
  // type test at all (`[issuer == "AttestationService"]`, `type != "x"`, a
  // computed type) and so may match a claim of any type. When false,
  // evaluating over a claim set with or without claims of `type` gives the
  // same result, trace and cost: the verifier then decides a round whose
  // `events` claim it cannot render (service/verifier/attestation_core.cc).
  // Conservative, never fails; a linear walk over the conditions.
  bool MayReadClaimType(absl::string_view type) const;

  const internal::Program& program() const { return *program_; }

 private:
  friend CompileResult Compile(absl::string_view, const CompileOptions&);
  explicit CompiledPolicy(std::shared_ptr<const internal::Program> program)
      : program_(std::move(program)) {}
  std::shared_ptr<const internal::Program> program_;
};

// The outcome of Compile(): a policy when no issue is an error, and all
// issues (errors and warnings) in source order of discovery.
class CompileResult {
 public:
  // CompileResult::ok(): a policy was produced (warnings allowed).
  bool ok() const { return policy_.has_value(); }
  // CompileResult::policy(): precondition ok().
  const CompiledPolicy& policy() const { return *policy_; }
  const std::vector<Issue>& issues() const { return issues_; }
  const Source& source() const { return *source_; }
  // CompileResult::FormatIssues(): every issue rendered with
  // Issue::ToDisplayString(), one per block, each ending in '\n'.
  std::string FormatIssues() const;

 private:
  friend CompileResult Compile(absl::string_view, const CompileOptions&);
  std::shared_ptr<const Source> source_;
  std::vector<Issue> issues_;
  std::optional<CompiledPolicy> policy_;
};

// Compile(): compiles `text` (untrusted input; never fails as a Status, any
// problem is an Issue). A literal JMESPath query or JSON text that does not
// compile/parse is a warning, not an error: the corpus policies that contain
// one must load (README J5/J6), and the call fails when it runs.
// (The overload above with options; this one uses the defaults: strict mode,
// complete policy, source name "policy".)
CompileResult Compile(absl::string_view text);

// CompileRuleList(): Compile() with form = kRuleList.
CompileResult CompileRuleList(absl::string_view text,
                              CompileOptions options = {});

}  // namespace vigil::policy

#endif  // VIGIL_POLICY_COMPILER_H_
