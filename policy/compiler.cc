#include "policy/compiler.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "policy/checker.h"
#include "policy/program.h"
#include "policy/property.h"

namespace vigil::policy {
namespace {

class Lowering {
 public:
  Lowering(const Source& source, std::vector<Issue>* issues)
      : source_(source), issues_(issues) {}

  internal::Rule LowerRule(ast::SectionKind section, const ast::Rule& r,
                           bool issue_as_add) {
    internal::Rule rule;
    rule.section = section;
    rule.offset = r.offset;
    rule.location = source_.Location(r.offset);
    rule.text = ast::FormatRule(r);
    slots_.clear();
    for (size_t i = 0; i < r.conditions.size(); ++i) {
      const ast::Condition& c = r.conditions[i];
      if (!c.identifier.empty() && !c.negated) {
        slots_.emplace(c.identifier, static_cast<int>(rule.slot_names.size()));
        rule.slot_names.push_back(c.identifier);
        rule.slot_condition.push_back(i);
      }
    }
    for (const ast::Condition& c : r.conditions) {
      internal::Condition cond;
      cond.offset = c.offset;
      cond.negated = c.negated;
      cond.slot = c.identifier.empty() || c.negated ? -1 : slots_.at(c.identifier);
      cond.text = ast::FormatCondition(c);
      for (const ast::PropertyCondition& p : c.properties) {
        internal::PropertyCondition pc;
        pc.property = p.property;
        pc.op = p.op;
        pc.operand = LowerExpr(p.operand);
        if (p.property == ast::Property::kType && p.op == ast::CompareOp::kEq &&
            p.operand.kind == ast::Expr::Kind::kString && !cond.type_key) {
          cond.type_key = p.operand.string_value;
        }
        cond.properties.push_back(std::move(pc));
      }
      rule.conditions.push_back(std::move(cond));
    }
    const ast::Action& a = r.action;
    rule.action.kind = a.kind;
    if (issue_as_add && a.kind == ast::ActionKind::kIssue) {
      rule.action.kind = ast::ActionKind::kAdd;
    }
    if (!a.claim_identifier.empty()) {
      rule.action.claim_slot = slots_.at(a.claim_identifier);
    }
    if (a.type) rule.action.type = LowerExpr(*a.type);
    if (a.value) rule.action.value = LowerExpr(*a.value);
    if (a.value_type) rule.action.value_type = ValueTypeFromName(*a.value_type);
    return rule;
  }

 private:
  void Warn(size_t offset, std::string message) {
    issues_->emplace_back(Issue::Severity::kWarning, offset,
                          source_.Location(offset), std::move(message));
  }

  internal::Expr LowerExpr(const ast::Expr& e) {
    internal::Expr out;
    out.offset = e.offset;
    switch (e.kind) {
      case ast::Expr::Kind::kBool:
        out.literal = Value::Bool(e.bool_value);
        break;
      case ast::Expr::Kind::kInt:
        out.literal = Value::Int(e.int_value);
        break;
      case ast::Expr::Kind::kString:
        out.literal = Value::String(e.string_value);
        break;
      case ast::Expr::Kind::kPropertyRef:
        out.kind = internal::Expr::Kind::kPropertyRef;
        out.slot = slots_.at(e.identifier);
        out.property = e.property;
        break;
      case ast::Expr::Kind::kCall: {
        out.kind = internal::Expr::Kind::kCall;
        out.function = FindFunction(e.function)->id;
        for (const ast::Expr& arg : e.args) out.args.push_back(LowerExpr(arg));
        if (out.function == Function::kJmesPath ||
            out.function == Function::kJsonToClaimValue) {
          PrepareJsonLiteral(&out.args[0]);
        }
        if (out.function == Function::kJmesPath &&
            e.args[1].kind == ast::Expr::Kind::kString) {
          absl::StatusOr<jmespath::Expression> q =
              jmespath::Compile(e.args[1].string_value);
          if (q.ok()) {
            out.query = *std::move(q);
          } else {
            out.query_status = q.status();
            Warn(e.args[1].offset,
                 absl::StrCat("JMESPath query does not compile (",
                              q.status().message(),
                              "); the rule fails when this call runs"));
          }
        }
        break;
      }
    }
    return out;
  }

  // A literal JSON argument is parsed once, here.
  void PrepareJsonLiteral(internal::Expr* arg) {
    if (arg->kind != internal::Expr::Kind::kLiteral ||
        arg->literal.kind() != Value::Kind::kString) {
      return;
    }
    absl::StatusOr<jmespath::Json> doc =
        jmespath::ParseJson(arg->literal.string_value());
    if (!doc.ok()) {
      Warn(arg->offset,
           absl::StrCat("literal is not valid JSON (", doc.status().message(),
                        "); the rule fails when this call runs"));
      return;
    }
    arg->literal = Value::JsonText(
        arg->literal.shared_string(),
        std::make_shared<const jmespath::Json>(*std::move(doc)));
  }

  const Source& source_;
  std::vector<Issue>* issues_;
  std::map<std::string, int> slots_;
};

// Issues in source order (the lexer runs ahead of the parser).
void SortIssues(std::vector<Issue>* issues) {
  std::stable_sort(issues->begin(), issues->end(),
                   [](const Issue& a, const Issue& b) {
                     return a.offset() < b.offset();
                   });
}

bool StartsWithVersion(absl::string_view text) {
  // Skip whitespace and // comments, then look for the keyword.
  size_t i = 0;
  while (i < text.size()) {
    if (absl::ascii_isspace(text[i])) {
      ++i;
    } else if (text.substr(i, 2) == "//") {
      while (i < text.size() && text[i] != '\n') ++i;
    } else {
      break;
    }
  }
  return text.substr(i, 7) == "version";
}

}  // namespace

int CompiledPolicy::version_major() const { return program_->major; }
int CompiledPolicy::version_minor() const { return program_->minor; }
bool CompiledPolicy::is_rule_list() const { return program_->is_rule_list; }
const Source& CompiledPolicy::source() const { return *program_->source; }
std::string CompiledPolicy::Format() const { return ast::Format(program_->ast); }

bool CompiledPolicy::MayReadClaimType(absl::string_view type) const {
  for (const std::vector<internal::Rule>& section : program_->sections) {
    for (const internal::Rule& rule : section) {
      for (const internal::Condition& c : rule.conditions) {
        if (!c.type_key.has_value() || *c.type_key == type) return true;
      }
    }
  }
  return false;
}

std::string CompiledPolicy::Summary() const {
  std::string out;
  if (program_->is_rule_list) {
    absl::StrAppend(&out, "rule list (as version 1.2 ",
                    ast::SectionName(program_->ast.sections.front().kind),
                    ")\n");
  } else {
    absl::StrAppend(&out, "version ", program_->major, ".", program_->minor, "\n");
  }
  for (const ast::Section& s : program_->ast.sections) {
    std::map<ast::ActionKind, int> counts;
    for (const ast::Rule& r : s.rules) ++counts[r.action.kind];
    absl::StrAppend(&out, ast::SectionName(s.kind), ": ", s.rules.size(),
                    s.rules.size() == 1 ? " rule" : " rules");
    if (!counts.empty()) {
      out += " (";
      bool first = true;
      for (const auto& [kind, n] : counts) {
        absl::StrAppend(&out, first ? "" : ", ", ast::ActionName(kind), " ", n);
        first = false;
      }
      out += ")";
    }
    out += "\n";
  }
  return out;
}

std::string CompileResult::FormatIssues() const {
  return policy::FormatIssues(*source_, issues_);
}

CompileResult Compile(absl::string_view text, const CompileOptions& options) {
  CompileResult result;
  auto source = std::make_shared<const Source>(options.source_name, std::string(text));
  result.source_ = source;
  bool rule_list = options.form == CompileOptions::Form::kRuleList ||
                   (options.form == CompileOptions::Form::kAuto &&
                    !StartsWithVersion(text));
  ast::Policy tree =
      rule_list ? ParseRuleList(*source, options.mode, options.rule_list_section,
                                &result.issues_)
                : ParsePolicy(*source, options.mode, &result.issues_);
  SortIssues(&result.issues_);
  if (HasErrors(result.issues_)) return result;
  Check(tree, *source, options.mode, &result.issues_);
  if (HasErrors(result.issues_)) {
    SortIssues(&result.issues_);
    return result;
  }

  auto program = std::make_shared<internal::Program>();
  program->source = source;
  program->is_rule_list = tree.is_rule_list;
  program->major = tree.major;
  program->minor = tree.minor;
  program->implicit_permit =
      tree.is_rule_list &&
      options.rule_list_section != ast::SectionKind::kAuthorization;
  Lowering lowering(*source, &result.issues_);
  for (const ast::Section& s : tree.sections) {
    bool issue_as_add = s.kind == ast::SectionKind::kAuthorization;
    for (const ast::Rule& r : s.rules) {
      program->sections[static_cast<size_t>(s.kind)].push_back(
          lowering.LowerRule(s.kind, r, issue_as_add));
    }
  }
  SortIssues(&result.issues_);
  program->ast = std::move(tree);
  result.policy_ = CompiledPolicy(std::move(program));
  return result;
}

CompileResult Compile(absl::string_view text) {
  return Compile(text, CompileOptions());
}

CompileResult CompileRuleList(absl::string_view text, CompileOptions options) {
  options.form = CompileOptions::Form::kRuleList;
  return Compile(text, options);
}

}  // namespace vigil::policy
