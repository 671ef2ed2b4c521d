#include "policy/evaluator.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/status_macros.h"
#include "policy/functions.h"
#include "policy/jmespath/jmespath.h"
#include "policy/program.h"

namespace vigil::policy {
namespace {

using ast::ActionKind;
using ast::CompareOp;
using ast::Property;
using ast::SectionKind;
using jmespath::Json;

constexpr size_t kTraceStringLimit = 200;

constexpr uint32_t kNoClaim = ~uint32_t{0};

// A claim during evaluation. `type` and `issuer` point into the input
// ClaimSet, into Evaluation::created_types_ or at PolicyIssuer(), all of
// which outlive the evaluation, so claims cost no string copies.
struct WorkClaim {
  const std::string* type;
  const std::string* issuer;
  Value value;
  uint32_t next_of_type = kNoClaim;  // the next claim of the same type
};

const std::string& PolicyIssuer() {
  static const std::string* const kIssuer =
      new std::string(kIssuerAttestationPolicy);
  return *kIssuer;
}

// Claims of one output channel (issued or property), merged by type.
class OutputAccumulator {
 public:
  void Add(const std::string& type, const Value& value) {
    auto [it, inserted] = index_.try_emplace(type, entries_.size());
    if (inserted) entries_.push_back({type, {}});
    std::vector<Value>& values = entries_[it->second].second;
    if (value.kind() == Value::Kind::kSet) {
      for (const Value& m : value.set_members()) Append(&values, m);
    } else {
      Append(&values, value);
    }
  }

  // A value already issued for the type is not repeated: the CSP sample
  // token (maa-tokens/healthattestation-csp--11) shows `vbsEnabled: true`
  // once although its policy issues it twice (corpus README S6).
  static void Append(std::vector<Value>* values, const Value& v) {
    if (std::find(values->begin(), values->end(), v) == values->end()) {
      values->push_back(v);
    }
  }

  std::vector<OutputClaim> Output() const {
    std::vector<OutputClaim> out;
    out.reserve(entries_.size());
    for (const auto& [type, values] : entries_) {
      OutputClaim claim{type, Json()};
      if (values.size() == 1) {
        claim.value = values[0].ToJson();
      } else {
        claim.value = Json::array();
        for (const Value& v : values) claim.value.push_back(v.ToJson());
      }
      out.push_back(std::move(claim));
    }
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::vector<Value>>> entries_;
  absl::flat_hash_map<std::string, size_t> index_;
};

bool CompareScalar(const Value& a, CompareOp op, const Value& b) {
  if (!a.is_scalar() || a.kind() != b.kind()) return false;
  if (a.kind() == Value::Kind::kInt) {
    int64_t x = a.int_value();
    int64_t y = b.int_value();
    switch (op) {
      case CompareOp::kEq:
        return x == y;
      case CompareOp::kNe:
        return x != y;
      case CompareOp::kLt:
        return x < y;
      case CompareOp::kLe:
        return x <= y;
      case CompareOp::kGt:
        return x > y;
      case CompareOp::kGe:
        return x >= y;
    }
    return false;
  }
  if (op == CompareOp::kEq) return a == b;
  if (op == CompareOp::kNe) return !(a == b);
  return false;  // ordering applies to integers only
}

bool CompareString(absl::string_view actual, CompareOp op,
                   const Value& operand) {
  if (operand.kind() != Value::Kind::kString) return false;
  if (op == CompareOp::kEq) return actual == operand.string_value();
  if (op == CompareOp::kNe) return actual != operand.string_value();
  return false;
}

bool PropertyMatches(const WorkClaim& claim,
                     const internal::PropertyCondition& p,
                     const Value& operand) {
  switch (p.property) {
    case Property::kType:
      return CompareString(*claim.type, p.op, operand);
    case Property::kIssuer:
      return CompareString(*claim.issuer, p.op, operand);
    case Property::kValueType:
      if (claim.value.kind() == Value::Kind::kSet) {
        for (const Value& m : claim.value.set_members()) {
          if (CompareString(Value::KindName(m.kind()), p.op, operand))
            return true;
        }
        return false;
      }
      return CompareString(Value::KindName(claim.value.kind()), p.op, operand);
    case Property::kValue:
      if (!operand.is_scalar()) return false;
      if (claim.value.kind() == Value::Kind::kSet) {
        for (const Value& m : claim.value.set_members()) {
          if (CompareScalar(m, p.op, operand)) return true;
        }
        return false;
      }
      return CompareScalar(claim.value, p.op, operand);
  }
  return false;
}

Json TraceValue(const Value& v) {
  if (v.kind() == Value::Kind::kString &&
      v.string_value().size() > kTraceStringLimit) {
    return Json(
        absl::StrCat(v.string_value().substr(0, kTraceStringLimit), "..."));
  }
  return v.ToJson();
}

class Evaluation {
 public:
  Evaluation(const internal::Program& program, const EvaluateOptions& options)
      : program_(program), options_(options) {}

  absl::StatusOr<EvaluationResult> Run(const ClaimSet& input) {
    // A claim per input claim and per creating firing; a type per input
    // claim and rule at most. Room up front saves regrowing both.
    const size_t rules = program_.sections[0].size() +
                         program_.sections[1].size() +
                         program_.sections[2].size();
    claims_.reserve(input.size() + 64);
    by_type_.reserve(input.size() + rules);
    for (const Claim& c : input.claims()) {
      AddWorkClaim(&c.type, &c.issuer, c.value);
    }

    EvaluationResult result;
    if (options_.explain) result.trace.reserve(rules);
    for (SectionKind section :
         {SectionKind::kConfiguration, SectionKind::kAuthorization}) {
      for (const internal::Rule& rule : Rules(section)) {
        RETURN_IF_ERROR(RunRule(rule, &result.trace));
      }
    }
    if (!denies_.empty()) {
      result.permitted = false;
      result.deciding_rule = denies_.front();
      result.reason =
          absl::StrCat("deny() at ", denies_.front().ToString(), " fired");
    } else if (!permits_.empty()) {
      result.permitted = true;
      result.deciding_rule = permits_.front();
      result.reason = absl::StrCat("permit() at ", permits_.front().ToString(),
                                   " fired and no deny() fired");
    } else if (program_.implicit_permit) {
      result.permitted = true;
      result.reason = "rule list without authorizationrules: permitted";
    } else {
      result.permitted = false;
      result.reason = "no permit() fired";
    }
    for (const internal::Rule& rule : Rules(SectionKind::kIssuance)) {
      if (result.permitted) {
        RETURN_IF_ERROR(RunRule(rule, &result.trace));
      } else if (options_.explain) {
        RuleTrace t;
        t.section = rule.section;
        t.location = rule.location;
        t.text = rule.text;
        t.outcome = RuleTrace::Outcome::kNotRun;
        result.trace.push_back(std::move(t));
      }
    }
    if (result.permitted) result.issued = issued_.Output();
    result.issued_properties = properties_out_.Output();
    result.properties = properties_;
    return result;
  }

 private:
  const std::vector<internal::Rule>& Rules(SectionKind kind) const {
    return program_.sections[static_cast<size_t>(kind)];
  }

  // `type` and `issuer` must outlive the evaluation (see WorkClaim).
  void AddWorkClaim(const std::string* type, const std::string* issuer,
                    const Value& value) {
    const uint32_t index = static_cast<uint32_t>(claims_.size());
    claims_.push_back(WorkClaim{type, issuer, value});
    auto [it, inserted] = by_type_.try_emplace(*type, TypeChain{index, index});
    if (!inserted) {
      claims_[it->second.last].next_of_type = index;
      it->second.last = index;
    }
  }

  // Calls `visit` on each claim of `type` below `limit`, in claim order,
  // until it returns false.
  template <typename Visit>
  void ForEachOfType(absl::string_view type, size_t limit, Visit visit) const {
    auto it = by_type_.find(type);
    if (it == by_type_.end()) return;
    for (uint32_t index = it->second.first; index != kNoClaim && index < limit;
         index = claims_[index].next_of_type) {
      if (!visit(index)) return;
    }
  }

  // The same for the claims condition `c` can match: those of its literal
  // type, or all.
  template <typename Visit>
  void ForEachCandidate(const internal::Condition& c, size_t limit,
                        Visit visit) const {
    if (c.type_key.has_value()) return ForEachOfType(*c.type_key, limit, visit);
    for (uint32_t index = 0; index < limit; ++index) {
      if (!visit(index)) return;
    }
  }

  absl::Status RuleError(const internal::Rule& rule,
                         const absl::Status& cause) {
    return absl::Status(
        cause.code(),
        absl::StrCat(program_.source->name(), ":", rule.location.ToString(),
                     ": ", ast::SectionName(rule.section),
                     " rule failed: ", cause.message()));
  }

  absl::Status RunRule(const internal::Rule& rule,
                       std::vector<RuleTrace>* trace) {
    current_rule_ = &rule;
    current_limit_ = claims_.size();
    const size_t slots = rule.slot_names.size();
    binding_.assign(slots, -1);
    firings_.clear();
    firing_count_ = 0;
    size_t deepest = 0;
    absl::Status joined = Join(rule, 0, claims_.size(), &deepest);
    if (!joined.ok()) return RuleError(rule, joined);
    auto firing = [&](size_t i) {
      return absl::Span<const int>(firings_.data() + i * slots, slots);
    };

    RuleTrace t;
    if (options_.explain) {
      t.section = rule.section;
      t.location = rule.location;
      t.text = rule.text;
      t.outcome = firing_count_ == 0 ? RuleTrace::Outcome::kNotFired
                                     : RuleTrace::Outcome::kFired;
      if (firing_count_ == 0 && deepest < rule.conditions.size()) {
        const internal::Condition& c = rule.conditions[deepest];
        t.unmatched_condition = static_cast<int>(deepest);
        t.unmatched_location = program_.source->Location(c.offset);
        t.unmatched_text = c.text;
        t.unmatched_is_absence = c.negated;
      }
      for (size_t i = 0; i < firing_count_; ++i) {
        absl::Span<const int> f = firing(i);
        std::vector<TraceBinding> bound;
        bound.reserve(f.size());
        for (size_t s = 0; s < f.size(); ++s) {
          const WorkClaim& c = claims_[f[s]];
          bound.push_back(
              TraceBinding{rule.slot_names[s], *c.type, *c.issuer, c.value});
        }
        t.firings.push_back(std::move(bound));
      }
    }
    for (size_t i = 0; i < firing_count_; ++i) {
      absl::Status fired = Fire(rule, firing(i));
      if (!fired.ok()) return RuleError(rule, fired);
    }
    if (options_.explain) trace->push_back(std::move(t));
    return absl::OkStatus();
  }

  // The natural join of conditions [ci, end) given the claims bound so far
  // (binding_); only claims [0, limit) (those present when the rule started)
  // take part. Each complete binding is appended to firings_.
  absl::Status Join(const internal::Rule& rule, size_t ci, size_t limit,
                    size_t* deepest) {
    if (ci == rule.conditions.size()) {
      if (static_cast<int64_t>(firing_count_) >= options_.max_bindings) {
        return absl::ResourceExhaustedError(
            absl::StrCat("more than ", options_.max_bindings,
                         " bindings of the rule's conditions"));
      }
      firings_.insert(firings_.end(), binding_.begin(), binding_.end());
      ++firing_count_;
      return absl::OkStatus();
    }
    *deepest = std::max(*deepest, ci);
    const internal::Condition& c = rule.conditions[ci];
    Operands operands;
    RETURN_IF_ERROR(EvalOperands(c, binding_, &operands));
    auto matches = [&](uint32_t index) {
      return Matches(claims_[index], c, operands.values);
    };
    if (c.negated || c.slot < 0) {
      bool any = false;
      ForEachCandidate(c, limit, [&](uint32_t index) {
        any = matches(index);
        return !any;
      });
      if (any == c.negated) return absl::OkStatus();
      return Join(rule, ci + 1, limit, deepest);
    }
    absl::Status status;
    ForEachCandidate(c, limit, [&](uint32_t index) {
      if (!matches(index)) return true;
      binding_[c.slot] = static_cast<int>(index);
      status = Join(rule, ci + 1, limit, deepest);
      return status.ok();
    });
    binding_[c.slot] = -1;
    return status;
  }

  // The operands of a condition's property tests: literals in place, the
  // others evaluated into `storage`.
  struct Operands {
    absl::InlinedVector<const Value*, 4> values;
    absl::InlinedVector<Value, 2> storage;
  };
  absl::Status EvalOperands(const internal::Condition& c,
                            absl::Span<const int> binding, Operands* out) {
    size_t computed = 0;
    for (const internal::PropertyCondition& p : c.properties) {
      if (p.operand.kind != internal::Expr::Kind::kLiteral) ++computed;
    }
    out->storage.resize(computed);  // no reallocation below: stable pointers
    out->values.reserve(c.properties.size());
    size_t next = 0;
    for (const internal::PropertyCondition& p : c.properties) {
      if (p.operand.kind == internal::Expr::Kind::kLiteral) {
        out->values.push_back(&p.operand.literal);
        continue;
      }
      Value& v = out->storage[next++];
      ASSIGN_OR_RETURN(v, Eval(p.operand, binding));
      out->values.push_back(&v);
    }
    return absl::OkStatus();
  }

  static bool Matches(const WorkClaim& claim, const internal::Condition& c,
                      absl::Span<const Value* const> operands) {
    for (size_t i = 0; i < c.properties.size(); ++i) {
      if (!PropertyMatches(claim, c.properties[i], *operands[i])) return false;
    }
    return true;
  }

  absl::Status Fire(const internal::Rule& rule, absl::Span<const int> binding) {
    const internal::Action& a = rule.action;
    switch (a.kind) {
      case ActionKind::kPermit:
        permits_.push_back(rule.location);
        return absl::OkStatus();
      case ActionKind::kDeny:
        denies_.push_back(rule.location);
        return absl::OkStatus();
      default:
        break;
    }
    const std::string* type = nullptr;
    Value value;
    if (a.claim_slot >= 0) {
      const WorkClaim& c = claims_[binding[a.claim_slot]];
      type = c.type;
      value = c.value;
      if (a.kind != ActionKind::kAdd && value.read_only()) {
        return absl::InvalidArgumentError(absl::StrCat(
            ast::ActionName(a.kind), "(claim=", rule.slot_names[a.claim_slot],
            "): claim '", *type,
            "' is read-only; copy its value instead (type=\"...\", value=",
            rule.slot_names[a.claim_slot], ".value)"));
      }
    } else {
      ASSIGN_OR_RETURN(Value t, Eval(a.type, binding));
      if (t.kind() != Value::Kind::kString || t.string_value().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(ast::ActionName(a.kind),
                         "(): type must be a non-empty "
                         "String, got ",
                         Value::KindName(t.kind()), " ", t.DebugString()));
      }
      // Kept alive with the evaluation, as the claim's type may point at it.
      created_types_.push_back(t.shared_string());
      type = created_types_.back().get();
      ASSIGN_OR_RETURN(value, Eval(a.value, binding));
    }
    if (value.is_empty() ||
        (value.kind() == Value::Kind::kSet && value.set_members().empty())) {
      return absl::OkStatus();  // adding an empty claim is a no-op (§1.5)
    }
    if (a.value_type.has_value()) {
      bool ok =
          value.kind() == Value::Kind::kSet
              ? std::all_of(
                    value.set_members().begin(), value.set_members().end(),
                    [&](const Value& m) { return m.kind() == *a.value_type; })
              : value.kind() == *a.value_type;
      if (!ok) {
        return absl::InvalidArgumentError(absl::StrCat(
            ast::ActionName(a.kind), "(): value ", value.DebugString(),
            " is not of valueType ", Value::KindName(*a.value_type)));
      }
    }
    if (a.kind == ActionKind::kIssueProperty) {
      std::string problem = CheckPropertyValue(*type, value);
      if (!problem.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("issueproperty(): ", problem));
      }
      ApplyProperty(*type, value, &properties_);
      properties_out_.Add(*type, value);
    } else if (a.kind == ActionKind::kIssue) {
      issued_.Add(*type, value);
    }
    if (!HasPolicyClaim(*type, value)) {
      AddWorkClaim(type, &PolicyIssuer(), value);
    }
    return absl::OkStatus();
  }

  // Whether the policy already created this very claim (same type and
  // value); creating it again adds nothing to the claim set.
  bool HasPolicyClaim(const std::string& type, const Value& value) const {
    bool found = false;
    ForEachOfType(type, claims_.size(), [&](uint32_t index) {
      const WorkClaim& c = claims_[index];
      found = *c.issuer == kIssuerAttestationPolicy && c.value == value;
      return !found;
    });
    return found;
  }

  // The members of every claim that matches the condition binding `slot`
  // (given the claims bound to earlier variables): a set argument written
  // `c.value` means the whole set of claims of that type, e.g. both adds of
  // `vsmEnabledSet` in maa-spec.md §2.3 (§3.1: "VSM_REQUIRED ∪
  // MANDATORY_ENFORCEMENT").
  absl::StatusOr<Value> SetOf(int slot, absl::Span<const int> binding) {
    const internal::Rule& rule = *current_rule_;
    const internal::Condition& c = rule.conditions[rule.slot_condition[slot]];
    Operands operands;
    RETURN_IF_ERROR(EvalOperands(c, binding, &operands));
    std::vector<Value> members;
    bool read_only = false;
    ForEachCandidate(c, current_limit_, [&](uint32_t index) {
      const WorkClaim& claim = claims_[index];
      if (Matches(claim, c, operands.values)) {
        members.push_back(claim.value);
        read_only = read_only || claim.value.read_only();
      }
      return true;
    });
    Value set = Value::Set(std::move(members));
    set.set_read_only(read_only);
    return set;
  }

  absl::StatusOr<Value> Eval(const internal::Expr& e,
                             absl::Span<const int> binding) {
    switch (e.kind) {
      case internal::Expr::Kind::kLiteral:
        return e.literal;
      case internal::Expr::Kind::kPropertyRef: {
        const WorkClaim& c = claims_[binding[e.slot]];
        switch (e.property) {
          case Property::kType:
            return Value::String(*c.type);
          case Property::kIssuer:
            return Value::String(*c.issuer);
          case Property::kValueType:
            return Value::String(std::string(Value::KindName(c.value.kind())));
          case Property::kValue:
            return c.value;
        }
        return Value();
      }
      case internal::Expr::Kind::kCall:
        break;
    }
    absl::InlinedVector<Value, 2> args;  // every function has one or two
    args.reserve(e.args.size());
    for (size_t i = 0; i < e.args.size(); ++i) {
      const internal::Expr& arg = e.args[i];
      bool set_position =
          (e.function == Function::kIsSubsetOf) ||
          (e.function == Function::kContainsOnlyValue && i == 0);
      if (set_position && arg.kind == internal::Expr::Kind::kPropertyRef &&
          arg.property == Property::kValue) {
        ASSIGN_OR_RETURN(Value v, SetOf(arg.slot, binding));
        args.push_back(std::move(v));
        continue;
      }
      ASSIGN_OR_RETURN(Value v, Eval(arg, binding));
      args.push_back(std::move(v));
    }
    absl::StatusOr<Value> result = Call(e, args);
    if (result.ok()) return result;
    absl::string_view name = GetFunctionInfo(e.function).name;
    return absl::Status(
        result.status().code(),
        absl::StrCat(name, "() at ",
                     program_.source->Location(e.offset).ToString(), ": ",
                     result.status().message()));
  }

  absl::StatusOr<Value> Call(const internal::Expr& e,
                             absl::Span<const Value> args) {
    switch (e.function) {
      case Function::kJmesPath:
        return CallJmesPath(e, args[0], args[1]);
      case Function::kJsonToClaimValue: {
        ASSIGN_OR_RETURN(jmespath::Result doc, Document(args[0], 1));
        ASSIGN_OR_RETURN(Value v, JsonToValue(doc));
        v.set_read_only(args[0].read_only());
        return v;
      }
      case Function::kIsSubsetOf:
        return IsSubsetOf(args[0], args[1]);
      case Function::kAppendString:
        return AppendString(args[0], args[1]);
      case Function::kNegateBool:
        return NegateBool(args[0]);
      case Function::kContainsOnlyValue:
        return ContainsOnlyValue(args[0], args[1]);
    }
    return absl::InternalError("unknown function");
  }

  // The parsed form of a String argument holding JSON text: attached to the
  // value already, or parsed once per evaluation and cached.
  absl::StatusOr<jmespath::Result> Document(const Value& v, int index) {
    if (v.kind() != Value::Kind::kString) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument ", index, ": got ", Value::KindName(v.kind()),
                       ", want a String of JSON text"));
    }
    if (const jmespath::Result* document = v.document()) return *document;
    if (v.string_value().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument ", index, ": empty string, want JSON text"));
    }
    auto it = documents_.find(v.shared_string().get());
    if (it != documents_.end()) return it->second.second;
    absl::StatusOr<Json> doc = jmespath::ParseJson(v.string_value());
    if (!doc.ok()) {
      return absl::Status(
          doc.status().code(),
          absl::StrCat("argument ", index,
                       " is not valid JSON: ", doc.status().message()));
    }
    jmespath::Result shared =
        jmespath::Result::Of(std::make_shared<const Json>(*std::move(doc)));
    // Keeping the string alive keeps its address from being reused.
    documents_.emplace(v.shared_string().get(),
                       std::make_pair(v.shared_string(), shared));
    return shared;
  }

  absl::StatusOr<Value> CallJmesPath(const internal::Expr& e, const Value& json,
                                     const Value& query_text) {
    ASSIGN_OR_RETURN(jmespath::Result doc, Document(json, 1));
    const jmespath::Expression* query = nullptr;
    if (e.query.has_value()) {
      query = &*e.query;
    } else if (!e.query_status.ok()) {
      return absl::Status(e.query_status.code(),
                          absl::StrCat("argument 2: query does not compile: ",
                                       e.query_status.message()));
    } else {
      if (query_text.kind() != Value::Kind::kString ||
          query_text.string_value().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "argument 2: got ", Value::KindName(query_text.kind()), " ",
            query_text.DebugString(), ", want a non-empty query String"));
      }
      auto it = queries_.find(query_text.string_value());
      if (it == queries_.end()) {
        it = queries_
                 .emplace(query_text.string_value(),
                          program_.runtime_queries->Compile(
                              query_text.string_value()))
                 .first;
      }
      if (!it->second.ok()) {
        return absl::Status(
            it->second.status().code(),
            absl::StrCat("argument 2: query ", query_text.DebugString(),
                         " does not compile: ", it->second.status().message()));
      }
      query = &*it->second;
    }
    // Rules often repeat a query on the same document (the CSP policy
    // computes srtmDrtmEventPcr and evSeparatorSeq twice); the result only
    // depends on the two, so it is computed once per evaluation.
    auto [it, inserted] = results_.try_emplace(
        std::make_pair(doc.identity(), absl::string_view(query->text())));
    if (inserted) {
      // Shared, not copied: the result points into `doc` (maa-spec.md §1.7
      // calls it JSON text; the text is made only if something reads it).
      absl::StatusOr<jmespath::Result> result = query->EvaluateShared(doc);
      if (!result.ok()) {
        results_.erase(it);
        return absl::Status(
            result.status().code(),
            absl::StrCat("query failed: ", result.status().message()));
      }
      absl::StatusOr<Value> value = Value::FromResult(*std::move(result));
      if (!value.ok()) {
        results_.erase(it);
        return value.status();
      }
      // Keeping the document alive keeps its address from being reused by
      // another document while it is a key.
      it->second = CachedResult{doc, *std::move(value)};
    }
    Value out = it->second.value;
    out.set_read_only(json.read_only() || query_text.read_only());
    return out;
  }

  const internal::Program& program_;
  const EvaluateOptions& options_;
  const internal::Rule* current_rule_ = nullptr;
  size_t current_limit_ = 0;
  std::vector<WorkClaim> claims_;
  // The first and last claim of each type (keys view WorkClaim::type).
  struct TypeChain {
    uint32_t first;
    uint32_t last;
  };
  absl::flat_hash_map<absl::string_view, TypeChain> by_type_;
  // Types of claims created from computed values.
  std::vector<std::shared_ptr<const std::string>> created_types_;
  // The rule being run: its current partial binding (claim index per slot)
  // and its complete bindings, firing_count_ of them, slot-count ints each.
  std::vector<int> binding_;
  std::vector<int> firings_;
  size_t firing_count_ = 0;
  absl::flat_hash_map<
      const std::string*,
      std::pair<std::shared_ptr<const std::string>, jmespath::Result>>
      documents_;
  // This evaluation's run-time queries, from program_.runtime_queries; held
  // here so that an eviction there cannot free a query whose text keys
  // results_.
  absl::flat_hash_map<std::string, absl::StatusOr<jmespath::Expression>>
      queries_;
  // JmesPath() results by (document, query text); the query text is owned
  // by the compiled query (the program's or queries_'), which outlives this.
  struct CachedResult {
    jmespath::Result document;
    Value value;
  };
  absl::flat_hash_map<std::pair<const void*, absl::string_view>, CachedResult>
      results_;
  std::vector<SourceLocation> permits_;
  std::vector<SourceLocation> denies_;
  OutputAccumulator issued_;
  OutputAccumulator properties_out_;
  PolicyProperties properties_;
};

Json ClaimsJson(const std::vector<OutputClaim>& claims) {
  Json out = Json::array();
  for (const OutputClaim& c : claims) {
    Json o = Json::object();
    o["type"] = c.type;
    o["value"] = c.value;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

Json EvaluationResult::ToJson() const {
  Json out = Json::object();
  out["permitted"] = permitted;
  out["issued"] = ClaimsJson(issued);

  Json props = Json::array();
  auto known = [&](absl::string_view type, Json value) {
    bool set =
        std::any_of(issued_properties.begin(), issued_properties.end(),
                    [&](const OutputClaim& c) { return c.type == type; });
    Json o = Json::object();
    o["type"] = std::string(type);
    o["value"] = std::move(value);
    o["default"] = !set;
    props.push_back(std::move(o));
  };
  known(kRequireValidAikCert, Json(properties.require_valid_aik_cert));
  known(kRequiredPcrMask, Json(properties.required_pcr_mask));
  known(kReportValidityInMinutes, Json(properties.report_validity_in_minutes));
  known(kOmitX5c, Json(properties.omit_x5c));
  for (const OutputClaim& c : issued_properties) {
    if (c.type == kRequireValidAikCert || c.type == kRequiredPcrMask ||
        c.type == kReportValidityInMinutes || c.type == kOmitX5c) {
      continue;
    }
    Json o = Json::object();
    o["type"] = c.type;
    o["value"] = c.value;
    o["default"] = false;
    props.push_back(std::move(o));
  }
  out["properties"] = std::move(props);

  Json trace_json = Json::array();
  for (const RuleTrace& t : trace) {
    Json r = Json::object();
    r["section"] = std::string(ast::SectionName(t.section));
    r["rule"] = t.location.ToString();
    r["text"] = t.text;
    if (t.outcome == RuleTrace::Outcome::kNotRun) {
      r["run"] = false;
    } else {
      r["fired"] = t.firings.size();
      Json bindings = Json::array();
      for (const std::vector<TraceBinding>& f : t.firings) {
        if (f.empty()) continue;
        Json b = Json::object();
        for (const TraceBinding& tb : f) {
          Json claim = Json::object();
          claim["type"] = tb.type;
          claim["issuer"] = tb.issuer;
          claim["value"] = TraceValue(tb.value);
          if (tb.value.kind() == Value::Kind::kString &&
              tb.value.string_value().size() > kTraceStringLimit) {
            claim["valueLength"] = tb.value.string_value().size();
          }
          b[tb.identifier] = std::move(claim);
        }
        bindings.push_back(std::move(b));
      }
      if (!bindings.empty()) r["bindings"] = std::move(bindings);
      if (t.unmatched_condition >= 0) {
        Json u = Json::object();
        u["condition"] = t.unmatched_location.ToString();
        u["text"] = t.unmatched_text;
        u["reason"] = t.unmatched_is_absence
                          ? "a claim matching the absence condition is present"
                          : "no claim matched";
        r["unmatched"] = std::move(u);
      }
    }
    trace_json.push_back(std::move(r));
  }
  Json decision = Json::object();
  decision["decision"] = permitted ? "permit" : "deny";
  decision["reason"] = reason;
  if (deciding_rule.line > 0) decision["rule"] = deciding_rule.ToString();
  trace_json.push_back(std::move(decision));
  out["trace"] = std::move(trace_json);
  return out;
}

absl::StatusOr<EvaluationResult> Evaluate(const CompiledPolicy& policy,
                                          const ClaimSet& claims,
                                          const EvaluateOptions& options) {
  return Evaluation(policy.program(), options).Run(claims);
}

}  // namespace vigil::policy
